/**
 * Task rules: who may create, see, change and reassign a task; reminder validation and
 * (re)scheduling; rule-created tasks that can exist only once per cause. Pure decisions
 * (planTaskList, reminder planning in model.ts) are unit-tested; DynamoDB access is in repository.ts.
 */
import { auditItem, diff } from '../audit/audit';
import { config } from '../config';
import { dayRange, weekRange } from '../calendar/business-calendar';
import { customerArchived } from '../customers/archived';
import { getCustomer } from '../customers/repository';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { cutAtGrapheme, keys, newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { BadRequest, Conflict, type FieldError, Forbidden, NotFound, PreconditionFailed } from '../http/problem';
import type { Scope } from '../security/permissions';
import { canAccess, type Principal, scopeFor } from '../security/principal';
import {
  durationMinutes, isoInstant, numberReminders, ownsTask, planReminders, remindAtOf, type ReminderSpec, TASK_FIELDS,
  type TaskItem, type TaskPriority, type TaskStatus, toTask,
} from './model';
import * as repo from './repository';
import { applyPatch } from '../data/records';
import type { Infer } from '../../schemas/once';
import type { ReminderInput, TaskCreate, TaskListQuery as TaskListQuerySchema, TaskPatch } from '../../schemas/tasks';

export const DEFAULT_LIMIT = 25;
const MAX_MERGE_ATTEMPTS = 3;

type TaskInput = Infer<typeof TaskCreate>;

/** The actor of rule-created tasks (audit entries, createdBy). */
export const SYSTEM_PRINCIPAL: Principal = { userId: 'system', role: 'admin', groups: [] };

// Rule-created tasks (used by the proactive jobs) ----------------------------------------------

export interface RuleTaskInput {
  /** Stable key of the cause; a second call with the same key never creates a second task. E.g. `anniversary#<assetId>#2026-11-23`, `warranty#<assetId>#2027-01-31`, `dormant#<customerId>` */
  sourceKey: string;
  /** When true the key is released as soon as the task is completed or cancelled (dormancy: at most one OPEN task per customer). */
  releaseOnClose?: boolean;
  title: string;
  notes?: string;
  dueAt: string; // ISO instant
  assigneeId: string;
  customerId?: string;
  related?: { type: 'customer' | 'asset' | 'contact' | 'activity' | 'contract'; id: string };
  reminders: { at: string }[]; // absolute ISO instants
}

/**
 * Creates a task for a rule (createdBy `system`), at most once per `sourceKey`: a guard item
 * `RULE#<sourceKey>` is put with attribute_not_exists in the same transaction as the task, so two
 * concurrent or repeated calls cannot both create one. Returns the existing task's id when the key
 * is taken. Reminders already in the past are kept and fire on the next reminder run (a late rule
 * run still reminds). Throws on invalid input (a programming error of the caller).
 */
export async function createTaskFromRule(input: RuleTaskInput, now: Date): Promise<{ created: boolean; taskId: string }> {
  if (!input.sourceKey || input.sourceKey.length > 500) throw new RangeError('sourceKey must be 1–500 characters');
  if (input.reminders.length > 5) throw new RangeError('At most 5 reminders');
  const at = now.toISOString();
  const id = newId('tsk');
  const reminders: ReminderSpec[] = input.reminders.map((r, i) => ({ n: i + 1, at: isoInstant(r.at) }));
  const task: TaskItem = {
    id,
    // Cut between characters: a cut inside a surrogate pair would store invalid Unicode.
    title: cutAtGrapheme(input.title.trim(), 200) || 'Follow up',
    ...(input.notes ? { notes: cutAtGrapheme(input.notes, 4000) } : {}),
    status: 'open',
    priority: 'normal',
    dueAt: isoInstant(input.dueAt),
    assigneeId: input.assigneeId,
    ...(input.customerId ? { customerId: input.customerId } : {}),
    ...(input.related ? { related: input.related } : {}),
    reminders,
    nextReminderNo: reminders.length + 1,
    sourceKey: input.sourceKey,
    ...(input.releaseOnClose ? { releaseOnClose: true } : {}),
    holdsGuard: true,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: SYSTEM_PRINCIPAL.userId,
    updatedBy: SYSTEM_PRINCIPAL.userId,
  };
  try {
    await repo.saveTask({
      after: task,
      reminders: planReminders(task, [], now),
      audit: taskAudit(undefined, task, 'created', SYSTEM_PRINCIPAL, now),
      guard: { take: input.sourceKey },
    });
    return { created: true, taskId: id };
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('rule')) {
      const holder = err.items.rule?.taskId;
      if (typeof holder === 'string') return { created: false, taskId: holder };
      // The guard vanished between the failed write and now (released by a close): try once more.
      return createTaskFromRule(input, now);
    }
    throw err;
  }
}

// Audit ------------------------------------------------------------------------------------------

/** Audit/outbox entry of a task change, kept in the task's own partition (a task may have no customer). */
function taskAudit(before: TaskItem | undefined, after: TaskItem, action: 'created' | 'updated' | 'completed' | 'reopened' | 'cancelled', actor: Principal, now: Date) {
  const changes = diff(before, after, TASK_FIELDS, []);
  const item = auditItem({ customerId: after.customerId ?? '', entityType: 'task', entityId: after.id, action, actor, at: now, version: after.version, changes });
  return { ...item, ...keys.task.audit(after.id, item.at as string, item.id as string) };
}

// API --------------------------------------------------------------------------------------------

const view = (item: TaskItem, reminders?: Parameters<typeof toTask>[1]) => toTask(item, reminders);

const unknownCustomer = (path: string) => BadRequest('The task refers to a customer that does not exist or that you may not see', [{ path, message: 'No such customer' }]);

/**
 * A customer the caller names must be one they can see (otherwise the field is invalid, exactly as
 * for an id that does not exist) and live: to a caller who can read it, an archived customer is a
 * 409 that says so and how to restore it. The write re-checks "live" in its transaction.
 */
async function assertCustomerVisible(principal: Principal, customerId: string, path: string): Promise<void> {
  const customer = await getCustomer(customerId);
  if (!customer || !canAccess(principal, 'customers:read', customer.ownerId)) throw unknownCustomer(path);
  if (customer.archivedAt) throw customerArchived(customerId);
}

/** Maps a failed `customer:<id>` condition (archived or gone since the read) to its answer. */
function customerConditionError(err: ConditionsFailed): Error | undefined {
  const label = err.labels.find((l) => l.startsWith('customer:'));
  if (!label) return undefined;
  const customerId = label.slice('customer:'.length);
  return err.items[label] ? customerArchived(customerId) : unknownCustomer('customerId');
}

function assertCanAssign(principal: Principal, assigneeId: string, verb: string): void {
  if (assigneeId !== principal.userId && !scopeFor(principal, 'tasks:assign')) {
    throw Forbidden(`Your role (${principal.role}) may not ${verb} tasks to other users`);
  }
}

type ReminderInputBody = Infer<typeof ReminderInput>;

function requestedReminders(list: ReminderInputBody[] | undefined): Omit<ReminderSpec, 'n'>[] {
  return (list ?? []).map((r) => ('at' in r ? { at: isoInstant(r.at) } : { beforeDueMinutes: durationMinutes(r.beforeDue) }));
}

/** New reminders must have a time (relative ones need dueAt) and lie in the future. */
function validateReminders(specs: ReminderSpec[], dueAt: string | undefined, mustBeFuture: Set<number>, now: Date): void {
  const errors: FieldError[] = [];
  specs.forEach((spec, i) => {
    const at = remindAtOf(spec, dueAt);
    if (at === undefined) errors.push({ path: `reminders.${i}`, message: 'A relative reminder (beforeDue) needs dueAt' });
    else if (mustBeFuture.has(spec.n) && at <= now.toISOString()) errors.push({ path: `reminders.${i}`, message: `The reminder time ${at} is in the past` });
  });
  if (errors.length) throw BadRequest('Some reminders are not valid', errors);
}

export async function createTask(principal: Principal, body: TaskInput, now: Date) {
  const at = now.toISOString();
  const assigneeId = body.assigneeId ?? principal.userId;
  assertCanAssign(principal, assigneeId, 'assign');
  const related = body.related;
  const customerId = body.customerId ?? (related?.type === 'customer' ? related.id : undefined);
  if (customerId) await assertCustomerVisible(principal, customerId, body.customerId ? 'customerId' : 'related.id');
  if (related?.type === 'customer' && related.id !== customerId) await assertCustomerVisible(principal, related.id, 'related.id');
  const dueAt = body.dueAt ? isoInstant(body.dueAt) : undefined;
  const { specs, nextNo } = numberReminders(requestedReminders(body.reminders), [], 1);
  validateReminders(specs, dueAt, new Set(specs.map((s) => s.n)), now);
  const task: TaskItem = {
    id: newId('tsk'),
    title: body.title,
    ...(body.notes ? { notes: body.notes } : {}),
    status: 'open',
    priority: body.priority ?? 'normal',
    ...(dueAt ? { dueAt } : {}),
    assigneeId,
    ...(customerId ? { customerId } : {}),
    ...(related ? { related } : {}),
    reminders: specs,
    nextReminderNo: nextNo,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  const reminders = planReminders(task, [], now);
  const liveCustomers = [customerId, related?.type === 'customer' ? related.id : undefined].filter((id): id is string => !!id);
  try {
    await repo.saveTask({ after: task, reminders, audit: taskAudit(undefined, task, 'created', principal, now), liveCustomers });
  } catch (err) {
    if (err instanceof ConditionsFailed) throw customerConditionError(err) ?? err;
    throw err;
  }
  return view(task, reminders.put.map((p) => p.item));
}

async function loadVisibleTask(principal: Principal, id: string, action: 'tasks:read' | 'tasks:write') {
  const found = await repo.getTaskWithReminders(id);
  if (!found) throw NotFound('No such task');
  const scope = scopeFor(principal, action);
  if (scope !== 'all' && !(scope === 'own' && ownsTask(principal.userId, found.task))) throw NotFound('No such task');
  return found;
}

export async function getTask(principal: Principal, id: string) {
  const { task, reminders } = await loadVisibleTask(principal, id, 'tasks:read');
  return view(task, reminders);
}

/** Status transition: what the change means for timestamps, the audit action and the rule guard. */
function transition(current: TaskItem, next: TaskItem, now: Date): { action: 'updated' | 'completed' | 'reopened' | 'cancelled'; guard?: { take?: string; release?: string } } {
  if (current.status === next.status) return { action: 'updated' };
  const at = now.toISOString();
  delete next.completedAt;
  delete next.cancelledAt;
  const rule = next.sourceKey && next.releaseOnClose ? next.sourceKey : undefined;
  if (next.status === 'open') {
    if (rule && !next.holdsGuard) {
      next.holdsGuard = true;
      return { action: 'reopened', guard: { take: rule } };
    }
    return { action: 'reopened' };
  }
  if (next.status === 'done') next.completedAt = at;
  else next.cancelledAt = at;
  const action = next.status === 'done' ? 'completed' : 'cancelled';
  if (rule && next.holdsGuard) {
    next.holdsGuard = false;
    return { action, guard: { release: rule } };
  }
  return { action };
}

export async function updateTask(principal: Principal, id: string, patch: Infer<typeof TaskPatch>, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const { task: current, reminders: states } = await loadVisibleTask(principal, id, 'tasks:write');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();

    // title, notes, priority, related, customerId, assigneeId, status as sent (null clears); the
    // due time is normalised and the reminders renumbered below.
    const { dueAt: _dueAt, reminders: _reminders, ...fields } = patch;
    const next: TaskItem = applyPatch(current, fields);
    if (patch.dueAt === null) delete next.dueAt;
    else if (patch.dueAt !== undefined) next.dueAt = isoInstant(patch.dueAt);
    if (next.assigneeId !== current.assigneeId) assertCanAssign(principal, next.assigneeId, 'reassign');
    if (patch.customerId && patch.customerId !== current.customerId) await assertCustomerVisible(principal, patch.customerId, 'customerId');
    const related = patch.related;
    if (related?.type === 'customer' && related.id !== current.related?.id) await assertCustomerVisible(principal, related.id, 'related.id');
    const liveCustomers = [
      patch.customerId && patch.customerId !== current.customerId ? patch.customerId : undefined,
      related?.type === 'customer' && related.id !== current.related?.id ? related.id : undefined,
    ].filter((cid): cid is string => !!cid);

    let added = new Set<number>();
    if (patch.reminders !== undefined) {
      const numbered = numberReminders(requestedReminders(patch.reminders), current.reminders ?? [], current.nextReminderNo ?? 1);
      next.reminders = numbered.specs;
      next.nextReminderNo = numbered.nextNo;
      added = new Set(numbered.added.map((s) => s.n));
    }
    validateReminders(next.reminders, next.dueAt, added, now);

    const { action, guard } = transition(current, next, now);
    if (diff(current, next, TASK_FIELDS, []).length === 0) return view(current, states);
    next.version = current.version + 1;
    next.updatedAt = now.toISOString();
    next.updatedBy = principal.userId;
    const reminders = planReminders(next, states, now);
    try {
      await repo.saveTask({ before: current, after: next, reminders, audit: taskAudit(current, next, action, principal, now), guard, liveCustomers });
      const byNo = new Map(states.map((s) => [s.n, s]));
      for (const p of reminders.put) byNo.set(p.item.n, p.item);
      return view(next, [...byNo.values()]);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      const customerError = customerConditionError(err);
      if (customerError) throw customerError;
      if (err.labels.includes('rule')) throw Conflict('Another open task already exists for the same cause; it must be closed before this one can be reopened');
      if (expectedVersion !== undefined && err.labels.includes('task')) throw PreconditionFailed();
      if (attempt < MAX_MERGE_ATTEMPTS) continue;
      throw Conflict('The task is being changed right now (or a reminder is being delivered); retry');
    }
  }
}

// Lists ------------------------------------------------------------------------------------------

export type TaskListQuery = Infer<typeof TaskListQuerySchema>;

/**
 * Chooses the one index partition a list reads: the assignee's (mine by default) or, for scope
 * `all` with only a customer filter, the customer's; both hold one status and sort by due time.
 * `due` narrows the sort key to a range: before now (overdue), the local day or ISO week in the
 * business time zone. A customer filter on the assignee partition is a filter expression.
 */
export function planTaskList(principal: Principal, scope: Scope, query: TaskListQuery, now: Date, timeZone: string): repo.TaskQueryPlan {
  const status = query.status ?? 'open';
  if (query.assigneeId !== undefined && query.assigneeId !== principal.userId && scope !== 'all') {
    throw Forbidden('Your role may list only your own tasks');
  }
  let range: repo.TaskQueryPlan['range'];
  if (query.due === 'overdue') range = { lt: now.toISOString() };
  else if (query.due) {
    const [from, to] = (query.due === 'today' ? dayRange : weekRange)(now, timeZone);
    range = { from: from.toISOString(), to: to.toISOString() };
  }
  if (query.assigneeId === undefined && query.customerId && scope === 'all') {
    return { index: 'gsi2', partition: keys.task.customerPartition(query.customerId, status), range, filters: {} };
  }
  const assignee = query.assigneeId ?? principal.userId;
  return {
    index: 'gsi1',
    partition: keys.task.assigneePartition(assignee, status),
    range,
    filters: query.customerId ? { customerId: query.customerId } : {},
  };
}

export async function listTasks(principal: Principal, scope: Scope, query: TaskListQuery, now: Date) {
  const plan = planTaskList(principal, scope, query, now, config().businessTimeZone);
  // The range moves with the clock, so it is not part of the fingerprint: a cursor stays valid
  // for the next page of the same filters even a minute later.
  const fingerprint = JSON.stringify(['tasks', plan.index, plan.partition, query.due ?? '', plan.filters]);
  const startKey = await decodeCursor(query.cursor, fingerprint);
  const page = await repo.queryTasks(plan, query.limit ?? DEFAULT_LIMIT, startKey);
  return { items: page.items.map((item) => view(item)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}
