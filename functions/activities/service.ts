/**
 * Activity and timeline rules: row level follows the customer, cross-field validation, links that
 * must belong to the customer, optimistic concurrency, audit, and the customer's lastActivityAt.
 * Everything that touches DynamoDB goes through repository.ts.
 */
import { auditItem, diff } from '../audit/audit';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { customerArchived, wasArchived } from '../customers/archived';
import { BadRequest, Conflict, type FieldError, NotFound, PreconditionFailed } from '../http/problem';
import { maskFor } from '../security/masking';
import type { Action } from '../security/permissions';
import { assertAccess, NO_SUCH_ID, type Principal, scopeFor } from '../security/principal';
import { type RecordEvent, visibleRecordEvents } from '../security/record-events';
import { LINK_KINDS } from './links';
import {
  ACTIVITY_FIELDS, ACTIVITY_SENSITIVE, type ActivityItem, type ActivityLinks, activityErrors, applyPatch, countsAsContact,
  referencedContacts, toActivity,
} from './model';
import * as repo from './repository';
import type { Infer } from '../../schemas/once';
import type { ActivityCreate, ActivityPatch, TimelineQuery } from '../../schemas/activities';

export const DEFAULT_LIMIT = 25;
const MAX_ATTEMPTS = 3;


/** Whether deciding this caller's access (or masking) needs the customer's owner at all. */
function needsOwner(principal: Principal, action: Action): boolean {
  return scopeFor(principal, action) === 'own' || scopeFor(principal, 'pii:read') === 'own';
}

const view = (principal: Principal, item: ActivityItem, ownerId: string | undefined) => maskFor('activity', toActivity(item), principal, ownerId);

/**
 * The caller's id when a newly linked record of this kind must be theirs (read scope `own`), a
 * value no owner has when they may not read the kind at all, undefined when they read every one.
 * A link kept unchanged is not judged again (it may have been made by someone who could).
 */
function linkOwner(principal: Principal, kind: keyof typeof LINK_KINDS, id: string, before: ActivityLinks | undefined): string | undefined {
  const action = LINK_KINDS[kind].readAction;
  if (!action || before?.[kind] === id) return undefined;
  const scope = scopeFor(principal, action);
  return scope === 'all' ? undefined : scope === 'own' ? principal.userId : NO_SUCH_ID;
}

/**
 * Conditions proving every linked record belongs to the customer — and that a newly linked deal is
 * one the caller may read, so a link cannot confirm that a hidden record exists. Failures map back
 * to paths.
 */
function linkChecks(principal: Principal, customerId: string, item: Pick<ActivityItem, 'links' | 'participants'>, before?: ActivityLinks) {
  const checks: repo.ContactCheck[] = [];
  const paths = new Map<string, string[]>();
  const contactKind = LINK_KINDS.contactId.belongsTo!;
  for (const [contactId, where] of referencedContacts(item)) {
    const label = `link:contact:${contactId}`;
    checks.push({ label, ...contactKind(customerId, contactId) });
    paths.set(label, where);
  }
  for (const kind of ['dealId', 'ticketId'] as const) {
    const id = item.links?.[kind];
    const belongsTo = LINK_KINDS[kind].belongsTo;
    if (id && belongsTo) {
      const label = `link:${kind}`;
      checks.push({ label, ...belongsTo(customerId, id, linkOwner(principal, kind, id, before)) });
      paths.set(label, [`links.${kind}`]);
    }
  }
  return { checks, paths };
}

function linkErrors(err: ConditionsFailed, paths: Map<string, string[]>): FieldError[] {
  return err.labels.flatMap((label) => (paths.get(label) ?? []).map((path) => ({ path, message: 'No such record of this customer' })));
}

/** The tracker write for an activity, or undefined when it does not move lastActivityAt forward. */
function trackerTouch(item: ActivityItem, customer: repo.CustomerState, tracker: repo.Tracker | undefined): repo.TrackerTouch | undefined {
  if (!countsAsContact(item.type)) return undefined;
  if (tracker?.lastActivityAt && tracker.lastActivityAt >= item.occurredAt) return undefined;
  const touchedAt = [customer.createdAt, tracker?.touchedAt ?? '', item.occurredAt].sort().at(-1)!;
  return { rev: tracker?.rev, lastActivityAt: item.occurredAt, touchedAt };
}

function assertValid(item: ActivityItem, now: Date) {
  const errors = activityErrors(item, now);
  if (errors.length > 0) throw BadRequest('Some body fields are not valid', errors);
}

export async function createActivity(principal: Principal, body: Infer<typeof ActivityCreate>, now: Date) {
  const at = now.toISOString();
  const customerId = body.customerId;
  const item: ActivityItem = {
    id: newId('act'),
    customerId,
    type: body.type,
    direction: body.direction,
    channel: body.channel,
    subject: body.subject,
    content: body.content,
    outcome: body.outcome,
    occurredAt: body.occurredAt ? new Date(body.occurredAt).toISOString() : at,
    durationSeconds: body.durationSeconds,
    participants: body.participants ?? [],
    links: body.links ?? {},
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  assertValid(item, now);
  const { checks, paths } = linkChecks(principal, customerId, item);
  const changes = diff(undefined, item, ACTIVITY_FIELDS, ACTIVITY_SENSITIVE);
  for (let attempt = 1; ; attempt++) {
    const { customer, tracker } = await repo.getCustomerAndTracker(customerId);
    if (!customer) throw NotFound('No such customer');
    assertAccess(principal, 'activities:write', customer.ownerId, 'customer');
    if (customer.archivedAt) throw customerArchived(customerId);
    const audit = auditItem({ customerId, entityType: 'activity', entityId: item.id, action: 'created', actor: principal, at: now, version: 1, changes });
    try {
      await repo.saveActivity(undefined, item, audit, {
        ownerId: scopeFor(principal, 'activities:write') === 'own' ? customer.ownerId : undefined,
        requireLive: true,
        checks,
        touch: trackerTouch(item, customer, tracker),
      });
      return view(principal, item, customer.ownerId);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      const errors = linkErrors(err, paths);
      if (errors.length > 0) throw BadRequest('Linked records must belong to the activity\'s customer', errors);
      if (err.labels.includes('customer')) {
        if (wasArchived(err.items.customer)) throw customerArchived(customerId);
        throw Conflict('The customer changed (owner or archive) while recording the activity; retry');
      }
      if (err.labels.includes('tracker') && attempt < MAX_ATTEMPTS) continue;
      throw Conflict('The customer\'s activity is being recorded by someone else right now; retry');
    }
  }
}

/** A missing activity costs the owner read too (NO_SUCH_ID), like another rep's: the 404s cannot be told apart by timing. */
async function loadVisible(principal: Principal, id: string, action: 'activities:read' | 'activities:write') {
  const item = await repo.getActivity(id);
  let ownerId: string | undefined;
  if (needsOwner(principal, action)) {
    const customer = await repo.getCustomer(item?.customerId ?? NO_SUCH_ID);
    if (!item || !customer) throw NotFound('No such activity');
    ownerId = customer.ownerId;
  }
  if (!item) throw NotFound('No such activity');
  assertAccess(principal, action, ownerId, 'activity');
  return { item, ownerId };
}

/** One GetItem for roles that see every customer; a second for the customer's owner otherwise. */
export async function getActivity(principal: Principal, id: string) {
  const { item, ownerId } = await loadVisible(principal, id, 'activities:read');
  return view(principal, item, ownerId);
}

export async function updateActivity(principal: Principal, id: string, patch: Infer<typeof ActivityPatch>, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getActivity(id);
    const { customer, tracker } = await repo.getCustomerAndTracker(current?.customerId ?? NO_SUCH_ID);
    if (!current || !customer) throw NotFound('No such activity');
    assertAccess(principal, 'activities:write', customer.ownerId, 'activity');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const normalized = typeof patch.occurredAt === 'string' ? { ...patch, occurredAt: new Date(patch.occurredAt).toISOString() } : patch;
    const merged = applyPatch(current, normalized);
    const next: ActivityItem = { ...merged, participants: merged.participants ?? [], links: merged.links ?? {} };
    const changes = diff(current, next, ACTIVITY_FIELDS, ACTIVITY_SENSITIVE);
    if (changes.length === 0) return view(principal, current, customer.ownerId);
    assertValid(next, now);
    const saved: ActivityItem = { ...next, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    const { checks, paths } = linkChecks(principal, current.customerId, saved, current.links);
    const audit = auditItem({ customerId: current.customerId, entityType: 'activity', entityId: id, action: 'updated', actor: principal, at: now, version: saved.version, changes });
    try {
      await repo.saveActivity(current, saved, audit, {
        ownerId: scopeFor(principal, 'activities:write') === 'own' ? customer.ownerId : undefined,
        requireLive: false,
        checks,
        touch: trackerTouch(saved, customer, tracker),
      });
      return view(principal, saved, customer.ownerId);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      const errors = linkErrors(err, paths);
      if (errors.length > 0) throw BadRequest('Linked records must belong to the activity\'s customer', errors);
      if (expectedVersion !== undefined && err.labels.includes('activity')) throw PreconditionFailed();
      if (attempt < MAX_ATTEMPTS) continue;
      throw Conflict('The activity is being changed by someone else right now; retry');
    }
  }
}

export async function deleteActivity(principal: Principal, id: string, expectedVersion: number | undefined, now: Date) {
  const { item, ownerId } = await loadVisible(principal, id, 'activities:write');
  if (expectedVersion !== undefined && expectedVersion !== item.version) throw PreconditionFailed();
  const changes = diff(item, undefined, ACTIVITY_FIELDS, ACTIVITY_SENSITIVE);
  const audit = auditItem({ customerId: item.customerId, entityType: 'activity', entityId: id, action: 'deleted', actor: principal, at: now, version: item.version + 1, changes });
  try {
    await repo.deleteActivity(item, audit, scopeFor(principal, 'activities:write') === 'own' ? ownerId : undefined);
  } catch (err) {
    if (!(err instanceof ConditionsFailed)) throw err;
    if (err.labels.includes('activity')) {
      if (expectedVersion !== undefined) throw PreconditionFailed();
      throw Conflict('The activity changed while deleting it; fetch it again and retry');
    }
    throw NotFound('No such activity');
  }
}

// Timeline ---------------------------------------------------------------------------------------

/** The name a record event goes by on the timeline: `customer.owner_changed` rather than `customer.updated`. */
export function recordEventName(item: Record<string, unknown>): string {
  const base = `${item.entityType}.${item.action}`;
  if (base !== 'customer.updated') return base;
  const fields = ((item.changes as { field: string }[] | undefined) ?? []).map((c) => c.field);
  if (fields.includes('ownerId')) return 'customer.owner_changed';
  if (fields.includes('tier')) return 'customer.tier_changed';
  return base;
}

function timelineEntry(principal: Principal, ownerId: string, stored: Record<string, unknown>) {
  if (stored.kind === 'activity') {
    const activity = repo.stripKeys<ActivityItem>(stored)!;
    return { kind: 'activity' as const, id: activity.id, occurredAt: activity.occurredAt, type: activity.type, activity: view(principal, activity, ownerId) };
  }
  return {
    kind: 'record' as const,
    id: stored.id as string,
    occurredAt: stored.at as string,
    type: 'record' as const,
    record: {
      event: recordEventName(stored),
      entityType: stored.entityType as string,
      entityId: stored.entityId as string,
      actor: stored.actor as string,
      changes: (stored.changes as unknown[]) ?? [],
    },
  };
}

/**
 * GetItem of the customer (visibility), then one Query page of the timeline index. Record events
 * are shown only to callers who may read the record they describe (functions/security/
 * record-events.ts): for an own-scope caller, a page with events of deals (or other records with
 * their own owner) costs one BatchGetItem more, for those records' current owners. Hidden events
 * are left out, so a page can hold fewer than `limit` items.
 */
export async function customerTimeline(principal: Principal, customerId: string, query: Infer<typeof TimelineQuery>) {
  const customer = await repo.getCustomer(customerId);
  if (!customer) throw NotFound('No such customer');
  assertAccess(principal, 'activities:read', customer.ownerId, 'customer');
  const fingerprint = `timeline:${customerId}:${query.type ?? '*'}`;
  const page = await repo.queryTimeline(customerId, query.type, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  const records = page.items.filter((item) => item.kind !== 'activity') as unknown as RecordEvent[];
  const visible = new Set<unknown>(await visibleRecordEvents(principal, customer.ownerId, records, repo.readRecords));
  return {
    // Activities themselves need no further check: their route's rule is this route's (activities:read on the customer).
    items: page.items.filter((item) => item.kind === 'activity' || visible.has(item)).map((item) => timelineEntry(principal, customer.ownerId, item)),
    nextCursor: await encodeCursor(page.lastKey, fingerprint),
  };
}
