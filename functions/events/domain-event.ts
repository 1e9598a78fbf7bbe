/**
 * The domain event of an audit/outbox entry, derived from the entry's own attributes. Audit entries
 * are stored without a copy of their event (it repeated the entry's id, time, actor, record and
 * changed fields — about 350 bytes, enough to push a typical entry past the 1 KB write unit, in
 * every index that lists it); the publisher and `npm run redrive` derive it here, and
 * functions/audit/audit.ts (`eventOf`) gives writers the same event in memory, so what is
 * published is exactly what was planned. An entry written before this change, which still stores
 * its `event`, is published as stored.
 *
 * Pure and dependency-free: the events publisher bundles it.
 */
import { EVENT_SOURCE } from './outbox';

export interface DomainEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

/** The attributes of an audit entry its event is derived from (what a reader must fetch). */
export const EVENT_ATTRIBUTES = ['id', 'at', 'actor', 'action', 'entityType', 'entityId', 'customerId', 'customerless', 'version', 'changes'] as const;

/** The event of an audit entry; undefined when the entry lacks what an event needs. */
export function domainEventOf(entry: Record<string, unknown>): DomainEvent | undefined {
  const { id, at, action, entityType } = entry;
  if (typeof id !== 'string' || typeof at !== 'string' || typeof action !== 'string' || typeof entityType !== 'string') return undefined;
  const type = `${entityType}.${action}`;
  const changes = Array.isArray(entry.changes) ? (entry.changes as { field?: unknown }[]) : [];
  return {
    source: EVENT_SOURCE,
    detailType: type,
    // Thin by design: ids and field names only, no personal data; consumers read the record
    // through the API.
    detail: {
      eventId: id,
      type,
      occurredAt: at,
      entityType,
      entityId: entry.entityId,
      // A customer's own entries leave customerId out (it is their entityId); entries of records
      // without a customer are marked `customerless` and their event names none.
      ...(entry.customerless === true ? {} : { customerId: entry.customerId ?? entry.entityId }),
      version: entry.version,
      changedFields: changes.map((c) => c.field),
      actorId: entry.actor,
    },
  };
}
