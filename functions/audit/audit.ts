/**
 * Audit entries: who changed what and when, written in the same transaction as the change. Each
 * entry is also the outbox record of its domain event (see functions/events/outbox.ts).
 * Sensitive fields are recorded as "changed", never with their values.
 */
import { keys, newId } from '../data/keys';
import { EVENT_SOURCE, OUTBOX_KIND } from '../events/outbox';
import type { Principal } from '../security/principal';

export interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
  redacted?: true;
}

/** An empty list or object counts as absent: `links: {}` on a new record is no change. */
const meaningful = (v: unknown) =>
  v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) ? null : v;
const same = (a: unknown, b: unknown) => JSON.stringify(meaningful(a)) === JSON.stringify(meaningful(b));

/** Field-by-field difference of two versions of a record, over the given fields. */
export function diff(
  before: object | undefined,
  after: object | undefined,
  fields: readonly string[],
  sensitive: readonly string[],
): FieldChange[] {
  // Any record type (an item interface has no index signature); read here by field name only.
  const b = before as Record<string, unknown> | undefined;
  const a = after as Record<string, unknown> | undefined;
  const changes: FieldChange[] = [];
  for (const field of fields) {
    const from = b?.[field];
    const to = a?.[field];
    if (same(from, to)) continue;
    if (sensitive.includes(field)) changes.push({ field, redacted: true });
    else changes.push({ field, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }
  return changes;
}

export interface AuditInput {
  customerId: string;
  entityType: 'customer' | 'contact' | 'task' | 'activity' | 'asset' | 'settings' | 'lead' | 'deal' | 'pipeline' | 'quota' | 'product' | 'quote' | 'order' | 'commission-plan' | 'ticket' | 'ticket-message' | 'queue' | 'contract' | 'article';
  entityId: string;
  action: 'created' | 'updated' | 'archived' | 'restored' | 'deleted' | 'completed' | 'reopened' | 'cancelled' | 'converted' | 'sent' | 'accepted' | 'rejected' | 'revised' | 'resolved' | 'closed' | 'expired';
  actor: Principal;
  at: Date;
  version: number;
  changes: FieldChange[];
  /** A key record event: also shown on the customer's timeline (GET /v1/customers/{id}/timeline). */
  timeline?: boolean;
}

export function auditItem(input: AuditInput): Record<string, unknown> {
  const id = newId('aud');
  const at = input.at.toISOString();
  const eventType = `${input.entityType}.${input.action}`;
  return {
    ...keys.audit.item(input.customerId, at, id),
    ...(input.timeline ? keys.timeline.recordEvent(input.customerId, input.entityType, at, id) : {}),
    kind: OUTBOX_KIND,
    id,
    at,
    actor: input.actor.userId,
    action: input.action,
    entityType: input.entityType,
    entityId: input.entityId,
    changes: input.changes,
    // The domain event, published from the stream. Thin by design: ids and field names only,
    // no personal data; consumers read the record through the API.
    event: {
      source: EVENT_SOURCE,
      detailType: eventType,
      detail: {
        eventId: id,
        type: eventType,
        occurredAt: at,
        entityType: input.entityType,
        entityId: input.entityId,
        customerId: input.customerId,
        version: input.version,
        changedFields: input.changes.map((c) => c.field),
        actorId: input.actor.userId,
      },
    },
  };
}

/** The public shape of an audit entry (history endpoint). */
export function toHistoryEntry(item: Record<string, unknown>) {
  return {
    id: item.id,
    at: item.at,
    actor: item.actor,
    action: item.action,
    entityType: item.entityType,
    entityId: item.entityId,
    changes: item.changes ?? [],
  };
}
