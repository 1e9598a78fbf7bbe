/**
 * Marketing's audit entries (each also the outbox record of its domain event, functions/audit/audit.ts):
 * campaigns created / updated / scheduled / paused / resumed / cancelled, templates, segments and lists
 * created or changed, consent changes (by a user, the sign-up form, an unsubscribe link, an SMS STOP,
 * a complaint) and suppressions. Written in the transaction of the change, in the record's own
 * partition (`CMP#…`, `TPL#…`, `SEG#…`, `MLIST#…`, `CONSENT#<contactId>`, `SUPP#…`, sort key
 * `AUD#<at>#<id>`), so a retried or repeated change that writes nothing writes no entry either.
 *
 * Never personal data: ids, field names, statuses and reasons only. A template's subject, HTML and
 * text are recorded as changed without values; a suppression names the address's hash (the ledger
 * key), never the address.
 */
import { auditItem, diff, NO_CUSTOMER, type AuditInput, type FieldChange } from '../audit/audit';
import { keys } from '../data/keys';
import type { Principal } from '../security/principal';
import { addressHash } from './address-hash';
import type { Stored } from './store';

/** The actor of changes no signed-in user made: the id the change records (`by`), e.g. `unsubscribe-link`, `sms-stop`, `ses-feedback`. */
export const actorOf = (userId: string): Principal => ({ userId, role: 'analyst', groups: [] });

/** An audit entry in the record's own partition. */
export function marketingAudit(partition: string, input: Omit<AuditInput, 'customerId'>): Stored {
  const item = auditItem({ ...input, customerId: NO_CUSTOMER });
  return { ...item, pk: partition, sk: `${keys.audit.prefix}${String(item.at)}#${String(item.id)}` };
}

export const TEMPLATE_FIELDS = ['name', 'subject', 'html', 'text'] as const;
/** Template content may hold anything a marketer typed (names, addresses): recorded as changed, never with values. */
const TEMPLATE_REDACTED = ['subject', 'html', 'text'] as const;
export const SEGMENT_FIELDS = ['name', 'description', 'rules'] as const;
export const LIST_FIELDS = ['name', 'description'] as const;
export const CAMPAIGN_FIELDS = ['name', 'goal', 'budget', 'channel', 'templateId', 'audience', 'sender', 'startsOn', 'endsOn', 'consentPolicy', 'sendRatePerSecond', 'status', 'sendAt'] as const;

type Versioned = { id: string; version: number };

export function templateAudit(before: Versioned | undefined, after: Versioned, actor: Principal, at: Date): Stored {
  return marketingAudit(keys.template.primary(after.id).pk, {
    entityType: 'template', entityId: after.id, action: before ? 'updated' : 'created', actor, at, version: after.version,
    changes: diff(before, after, TEMPLATE_FIELDS, TEMPLATE_REDACTED),
  });
}

export function segmentAudit(before: Versioned | undefined, after: Versioned, actor: Principal, at: Date): Stored {
  return marketingAudit(keys.segment.primary(after.id).pk, {
    entityType: 'segment', entityId: after.id, action: before ? 'updated' : 'created', actor, at, version: after.version,
    changes: diff(before, after, SEGMENT_FIELDS, []),
  });
}

/** A list created, or its members changed (the contact ids added or removed). */
export function listAudit(listId: string, version: number, change: { created: object } | { added: string[] } | { removed: string[] }, actor: Principal, at: Date): Stored {
  const changes: FieldChange[] = 'created' in change
    ? diff(undefined, change.created, LIST_FIELDS, [])
    : [{ field: 'members', to: change }];
  return marketingAudit(keys.mailingList.primary(listId).pk, {
    entityType: 'mailing-list', entityId: listId, action: 'created' in change ? 'created' : 'updated', actor, at, version, changes,
  });
}

export function campaignAudit(before: object | undefined, after: Versioned & Partial<Record<(typeof CAMPAIGN_FIELDS)[number], unknown>>, action: 'created' | 'updated' | 'scheduled' | 'paused' | 'resumed' | 'cancelled', actor: Principal, at: Date, extra: FieldChange[] = []): Stored {
  return marketingAudit(keys.campaign.primary(after.id).pk, {
    entityType: 'campaign', entityId: after.id, action, actor, at, version: after.version,
    changes: [...diff(before, after, CAMPAIGN_FIELDS, []), ...extra],
  });
}

/** A consent change: channel, status from → to, and its source (`form`, `unsubscribe_link`, `sms_stop`, `complaint`, …). */
export function consentAudit(input: { contactId: string; channel: string; from: string; to: string; source: string; by: string; at: string; version: number }): Stored {
  return marketingAudit(keys.consent.partition(input.contactId), {
    entityType: 'consent', entityId: input.contactId,
    action: input.to === 'opted_in' ? 'opted-in' : input.to === 'opted_out' ? 'opted-out' : 'updated',
    actor: actorOf(input.by), at: new Date(input.at), version: input.version,
    changes: [{ field: 'channel', to: input.channel }, { field: 'status', from: input.from, to: input.to }, { field: 'source', to: input.source }],
  });
}

/** An address suppressed (or suppressed again: it keeps its first reason); the entry names the address's hash. */
export function suppressionAudit(input: { email: string; reason: string; at: string; by?: string; campaignId?: string }): Stored {
  return marketingAudit(keys.suppression.primary(input.email).pk, {
    entityType: 'suppression', entityId: addressHash(input.email), action: 'suppressed',
    actor: actorOf(input.by ?? (input.reason === 'unsubscribe' ? 'unsubscribe-link' : 'ses-feedback')), at: new Date(input.at), version: 1,
    changes: [{ field: 'reason', to: input.reason }, ...(input.campaignId ? [{ field: 'campaignId', to: input.campaignId }] : [])],
  });
}
