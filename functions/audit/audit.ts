/**
 * Audit entries: who changed what and when, written in the same transaction as the change. Each
 * entry is also the outbox record of its domain event (see functions/events/outbox.ts).
 * Sensitive fields are recorded as "changed", never with their values.
 */
import { keys, newId } from '../data/keys';
import { type DomainEvent, domainEventOf } from '../events/domain-event';
import { OUTBOX_KIND } from '../events/outbox';
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
  entityType: 'customer' | 'contact' | 'task' | 'activity' | 'asset' | 'settings' | 'lead' | 'deal' | 'pipeline' | 'quota' | 'product' | 'quote' | 'order' | 'commission-plan' | 'ticket' | 'ticket-message' | 'queue' | 'contract' | 'article' | 'custom-field' | 'webhook' | 'api-key' | 'export' | 'campaign' | 'template' | 'segment' | 'mailing-list' | 'consent' | 'suppression';
  entityId: string;
  action: 'created' | 'updated' | 'archived' | 'restored' | 'deleted' | 'completed' | 'reopened' | 'cancelled' | 'converted' | 'sent' | 'accepted' | 'rejected' | 'revised' | 'resolved' | 'closed' | 'expired' | 'merged' | 'rotated' | 'revoked' | 'disabled' | 'failed' | 'scheduled' | 'paused' | 'resumed' | 'opted-in' | 'opted-out' | 'suppressed';
  actor: Principal;
  at: Date;
  version: number;
  changes: FieldChange[];
  /** A key record event: also shown on the customer's timeline (GET /v1/customers/{id}/timeline). */
  timeline?: boolean;
}

/**
 * The audit/outbox entry of a change. Its domain event is not stored with it: the publisher derives
 * it from the entry's attributes (`domainEventOf`, functions/events/domain-event.ts), which saves
 * about 350 bytes per entry — the difference between one and two write units for a typical entry,
 * in the table and in every index that lists it. `eventOf(entry)` gives the event in memory.
 *
 * `customerId` is the customer whose partition (and history) holds the entry. Entries of records
 * that belong to no customer (settings, pipelines, quotas, a task or lead without one) pass
 * `NO_CUSTOMER` ('-') or '' and re-key the entry into their own partition; their event names no
 * customer.
 */
export function auditItem(input: AuditInput): Record<string, unknown> {
  const id = newId('aud');
  const at = input.at.toISOString();
  const noCustomer = input.customerId === NO_CUSTOMER || input.customerId === '';
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
    // The event's customer: left out when it is the entity itself (a customer's own entries) and
    // for entries of records without a customer (the event then names none, see domainEventOf).
    ...(noCustomer ? { customerless: true } : input.customerId !== input.entityId ? { customerId: input.customerId } : {}),
    version: input.version,
    changes: input.changes,
  };
}

/** Customer id of entries whose record belongs to no customer. */
export const NO_CUSTOMER = '-';

/** The domain event an audit entry publishes (what the publisher derives from the stored entry). */
export function eventOf(entry: Record<string, unknown>): DomainEvent {
  const event = domainEventOf(entry);
  if (!event) throw new Error('Not an audit entry');
  return event;
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
