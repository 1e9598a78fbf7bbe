/**
 * Row-level visibility of record events: the audit entries of a customer's history and the record
 * events of its timeline. An event describes one record (a contact, a deal, an order …) and is
 * stored in the customer's partition, but reading the customer is no licence to read the record:
 * a caller sees an event only when the record's own GET route would show them the record — the
 * same permission and the same owner rule. Events a caller may not see are left out of the page.
 *
 * Masking needs nothing more here: audit entries never hold the values of sensitive fields
 * (functions/audit/audit.ts records them as `redacted`).
 */
import { keys } from '../data/keys';
import type { Action } from './permissions';
import { canAccess, type Principal, scopeFor } from './principal';

type Key = Record<string, string>;
type Stored = Record<string, unknown>;

/**
 * How the record of each kind is protected. `customer`: row level follows the customer's owner
 * (its current owner, as the record's route judges it). `record`: the record names its own owners;
 * `ownersOf` reads them from the stored record, or says which record to read next (a quote's
 * owner is its deal's owner).
 */
export type RecordRule =
  | { action: Action; owner: 'customer' }
  | { action: Action; owner: 'record'; key: (id: string) => Key; ownersOf: (item: Stored) => string[] | { entityType: string; entityId: string } };

const ownerIdOf = (item: Stored) => (typeof item.ownerId === 'string' ? [item.ownerId] : []);

/**
 * Every kind of record that writes audit or timeline entries, with the action its GET route needs.
 * A kind missing here is never shown (fail closed): a new entity writing into a customer's
 * partition must add its line.
 */
export const RECORD_RULES: Record<string, RecordRule> = {
  customer: { action: 'customers:read', owner: 'customer' },
  contact: { action: 'contacts:read', owner: 'customer' },
  activity: { action: 'activities:read', owner: 'customer' },
  asset: { action: 'assets:read', owner: 'customer' },
  order: { action: 'orders:read', owner: 'customer' },
  ticket: { action: 'tickets:read', owner: 'customer' },
  'ticket-message': { action: 'tickets:read', owner: 'customer' },
  deal: { action: 'deals:read', owner: 'record', key: (id) => keys.deal.primary(id), ownersOf: ownerIdOf },
  lead: { action: 'leads:read', owner: 'record', key: (id) => keys.lead.primary(id), ownersOf: ownerIdOf },
  quote: {
    action: 'quotes:read', owner: 'record', key: (id) => keys.quote.primary(id),
    ownersOf: (item) => ({ entityType: 'deal', entityId: String(item.dealId) }),
  },
  task: {
    action: 'tasks:read', owner: 'record', key: (id) => keys.task.primary(id),
    ownersOf: (item) => [item.assigneeId, item.createdBy].filter((v): v is string => typeof v === 'string'),
  },
};

export interface RecordEvent {
  entityType: string;
  entityId: string;
  changes?: { field: string; from?: unknown; to?: unknown }[];
}

const refOf = (entityType: string, entityId: string) => `${entityType}#${entityId}`;

/**
 * The records whose owners must be read before deciding: only record-owned kinds, and only for a
 * caller whose scope of that kind is `own` (scope `all` sees every record, no scope sees none).
 */
export function ownerLookups(principal: Principal, events: readonly RecordEvent[]): { entityType: string; entityId: string }[] {
  const wanted = new Map<string, { entityType: string; entityId: string }>();
  for (const event of events) {
    const rule = RECORD_RULES[event.entityType];
    if (rule?.owner === 'record' && scopeFor(principal, rule.action) === 'own') {
      wanted.set(refOf(event.entityType, event.entityId), { entityType: event.entityType, entityId: event.entityId });
    }
  }
  return [...wanted.values()];
}

/** Current owners of records by `entityType#entityId`, as read for `ownerLookups`. */
export type RecordOwners = ReadonlyMap<string, readonly string[]>;

/**
 * Reads the owners `ownerLookups` asks for with `readItems` (one batch read per hop; a quote
 * takes two: quote, then its deal). A record that no longer exists has no entry.
 */
export async function readRecordOwners(
  lookups: readonly { entityType: string; entityId: string }[],
  readItems: (keys: Key[]) => Promise<Stored[]>,
): Promise<RecordOwners> {
  const owners = new Map<string, string[]>();
  let pending = lookups.map((l) => ({ ...l, for: [refOf(l.entityType, l.entityId)] }));
  for (let hop = 0; pending.length > 0 && hop < 3; hop++) {
    const byKey = new Map<string, typeof pending[number]>();
    const wanted: Key[] = [];
    for (const p of pending) {
      const rule = RECORD_RULES[p.entityType];
      if (rule?.owner !== 'record') continue;
      const key = rule.key(p.entityId);
      const id = `${key.pk}\u0000${key.sk}`;
      const seen = byKey.get(id);
      if (seen) seen.for.push(...p.for);
      else {
        byKey.set(id, p);
        wanted.push(key);
      }
    }
    const next: typeof pending = [];
    for (const item of wanted.length > 0 ? await readItems(wanted) : []) {
      const p = byKey.get(`${String(item.pk)}\u0000${String(item.sk)}`);
      if (!p) continue;
      const found = (RECORD_RULES[p.entityType] as Extract<RecordRule, { owner: 'record' }>).ownersOf(item);
      if (Array.isArray(found)) for (const ref of p.for) owners.set(ref, found);
      else next.push({ ...found, for: p.for });
    }
    pending = next;
  }
  return owners;
}

/** The owner an event of a record that no longer exists names itself (its creation or deletion). */
function ownersNamedBy(event: RecordEvent): string[] {
  const change = event.changes?.find((c) => c.field === 'ownerId');
  return [change?.to, change?.from].filter((v): v is string => typeof v === 'string');
}

/**
 * Whether the caller may see an event: the read permission of the record's kind and its row-level
 * check, against the customer's current owner or the record's own current owners. An event of a
 * record that no longer exists is judged by the owner the event itself names; one naming none is
 * hidden from own-scope callers (fail closed).
 */
export function canSeeRecordEvent(principal: Principal, event: RecordEvent, customerOwnerId: string, owners: RecordOwners): boolean {
  const rule = RECORD_RULES[event.entityType];
  if (!rule) return false;
  if (rule.owner === 'customer') return canAccess(principal, rule.action, customerOwnerId);
  const scope = scopeFor(principal, rule.action);
  if (scope !== 'own') return scope === 'all';
  const current = owners.get(refOf(event.entityType, event.entityId)) ?? ownersNamedBy(event);
  return current.some((owner) => canAccess(principal, rule.action, owner));
}

/** The events of a page the caller may see, in order; reads owners only where the decision needs them. */
export async function visibleRecordEvents<E extends RecordEvent>(
  principal: Principal,
  customerOwnerId: string,
  events: readonly E[],
  readItems: (keys: Key[]) => Promise<Stored[]>,
): Promise<E[]> {
  const lookups = ownerLookups(principal, events);
  const owners = lookups.length > 0 ? await readRecordOwners(lookups, readItems) : new Map<string, string[]>();
  return events.filter((event) => canSeeRecordEvent(principal, event, customerOwnerId, owners));
}
