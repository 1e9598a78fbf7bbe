/**
 * Audit entries: who changed what and when, written in the same transaction as the change. Each
 * entry is also the outbox record of its domain event (see functions/events/outbox.ts).
 * Sensitive fields are recorded as "changed", never with their values.
 */
import { keys, newId } from '../data/keys';
import { domainEventOf } from '../events/domain-event';
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

/**
 * The audit/outbox entry of a change. Its domain event is not stored with it: the publisher derives
 * it from the entry's attributes (functions/events/domain-event.ts), which saves about 350 bytes
 * per entry — the difference between one and two write units for a typical entry, in the table and
 * in every index that lists it. `item.event` still reads the event (derived on first access); a
 * caller that reads it — to change its detail — gets it stored with the entry, published as stored.
 */
export function auditItem(input: AuditInput): Record<string, unknown> {
  const id = newId('aud');
  const at = input.at.toISOString();
  const item: Record<string, unknown> = {
    ...keys.audit.item(input.customerId, at, id),
    ...(input.timeline ? keys.timeline.recordEvent(input.customerId, input.entityType, at, id) : {}),
    kind: OUTBOX_KIND,
    id,
    at,
    actor: input.actor.userId,
    action: input.action,
    entityType: input.entityType,
    entityId: input.entityId,
    // The event's customerId (left out when it is the entity itself: a customer's own entries) and
    // version, which the entry did not carry before.
    ...(input.customerId !== input.entityId ? { customerId: input.customerId } : {}),
    version: input.version,
    changes: input.changes,
  };
  Object.defineProperty(item, 'event', {
    configurable: true,
    enumerable: false,
    get(this: Record<string, unknown>) {
      return storeEvent(this, domainEventOf(this));
    },
    set(this: Record<string, unknown>, value: unknown) {
      storeEvent(this, value);
    },
  });
  return item;
}

/** Makes `event` an ordinary attribute of the entry (stored and spread with it) and returns it. */
function storeEvent<T>(item: Record<string, unknown>, event: T): T {
  Object.defineProperty(item, 'event', { value: event, writable: true, enumerable: true, configurable: true });
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
