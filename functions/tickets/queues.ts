/**
 * Queues (service teams with members, a manager and optional round robin) and the service-desk
 * settings (SLA policies, business calendar, routing rules, reopen window). Both are settings:
 * versioned items, changed with optimistic concurrency and audited beside themselves.
 */
import { auditItem, diff } from '../audit/audit';
import { assertTimeZone } from '../calendar/business-calendar';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { BadRequest, Conflict, NotFound, PreconditionFailed } from '../http/problem';
import type { Principal } from '../security/principal';
import { calendarOf, DEFAULT_CSAT_LOW_RATING, DEFAULT_REOPEN_DAYS, DEFAULT_WARN_PERCENT, patchField, type ServiceDeskSettings } from './model';
import * as repo from './repository';

const MAX_ATTEMPTS = 3;
const QUEUE_FIELDS = ['name', 'description', 'memberIds', 'managerId', 'autoAssign'] as const;

/** Audit entry beside the record; its domain event names no customer. */
function settingsAudit(entityType: 'queue' | 'settings', entityId: string, key: { pk: string; sk: string } | ((at: string, id: string) => { pk: string; sk: string }), principal: Principal, action: 'created' | 'updated', version: number, changes: ReturnType<typeof diff>, now: Date) {
  const base = auditItem({ customerId: '-', entityType, entityId, action, actor: principal, at: now, version, changes });
  const where = typeof key === 'function' ? key(base.at as string, base.id as string) : key;
  return { ...base, ...where };
}

const queueView = (q: repo.QueueItem) => q;

export async function createQueue(principal: Principal, body: { name: string; description?: string; memberIds?: string[]; managerId?: string; autoAssign?: boolean }, now: Date) {
  const at = now.toISOString();
  const queue: repo.QueueItem = {
    id: newId('que'),
    name: body.name,
    ...(body.description ? { description: body.description } : {}),
    memberIds: body.memberIds ?? [],
    ...(body.managerId ? { managerId: body.managerId } : {}),
    autoAssign: body.autoAssign ?? false,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  const changes = diff(undefined, queue, QUEUE_FIELDS, []);
  await repo.saveQueue(undefined, queue, settingsAudit('queue', queue.id, (a, id) => keys.queue.audit(queue.id, a, id), principal, 'created', 1, changes, now));
  return queueView(queue);
}

export async function getQueue(id: string) {
  const queue = await repo.getQueue(id);
  if (!queue) throw NotFound('No such queue');
  return queueView(queue);
}

export async function listQueues(query: { limit?: number; cursor?: string }) {
  const fingerprint = 'queues';
  const page = await repo.queryQueues(query.limit ?? 25, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(queueView), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

export async function updateQueue(principal: Principal, id: string, patch: { name?: string; description?: string | null; memberIds?: string[]; managerId?: string | null; autoAssign?: boolean }, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getQueue(id);
    if (!current) throw NotFound('No such queue');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const next: repo.QueueItem = { ...current };
    for (const field of QUEUE_FIELDS) patchField(next, field, patch[field]);
    const changes = diff(current, next, QUEUE_FIELDS, []);
    if (changes.length === 0) return queueView(current);
    next.version = current.version + 1;
    next.updatedAt = now.toISOString();
    next.updatedBy = principal.userId;
    try {
      await repo.saveQueue(current, next, settingsAudit('queue', id, (a, auditId) => keys.queue.audit(id, a, auditId), principal, 'updated', next.version, changes, now));
      return queueView(next);
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.includes('queue')) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The queue is being changed by someone else right now; retry');
    }
  }
}

// Settings -----------------------------------------------------------------------------------------

function settingsView(s: ServiceDeskSettings) {
  return {
    calendar: calendarOf(s),
    policies: s.policies,
    warnAtPercent: s.warnAtPercent ?? DEFAULT_WARN_PERCENT,
    reopenDays: s.reopenDays ?? DEFAULT_REOPEN_DAYS,
    csatLowRating: s.csatLowRating ?? DEFAULT_CSAT_LOW_RATING,
    routing: s.routing ?? [],
    version: s.version,
    ...(s.updatedAt ? { updatedAt: s.updatedAt } : {}),
    ...(s.updatedBy ? { updatedBy: s.updatedBy } : {}),
  };
}

export async function getSettings() {
  return settingsView(await repo.getSettings());
}

type SettingsInput = Omit<ServiceDeskSettings, 'version' | 'updatedAt' | 'updatedBy'>;

/** PUT: replaces the settings. With If-Match a stale version is 412; without, the last writer wins. */
export async function putSettings(principal: Principal, body: SettingsInput, expectedVersion: number | undefined, now: Date) {
  if (body.calendar.timeZone) {
    try {
      assertTimeZone(body.calendar.timeZone);
    } catch {
      throw BadRequest('Some body fields are not valid', [{ path: 'calendar.timeZone', message: 'Unknown time zone; expected an IANA name such as Europe/Berlin' }]);
    }
  }
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getSettings();
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const next: ServiceDeskSettings = { ...body, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    const fields = ['calendar', 'policies', 'warnAtPercent', 'reopenDays', 'routing', 'csatLowRating'];
    const changes = diff(current, next, fields, []);
    try {
      await repo.saveSettings(current.version, next, settingsAudit('settings', 'service-desk', (a, id) => keys.serviceDesk.audit(a, id), principal, 'updated', next.version, changes, now));
      return settingsView(next);
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.includes('settings')) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The service-desk settings are being changed by someone else right now; retry');
    }
  }
}
