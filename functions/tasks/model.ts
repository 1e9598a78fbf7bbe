/**
 * Tasks and their reminders as stored and as returned, plus the pure rules of reminder
 * scheduling (which reminder fires when, and what a change to the task does to each one).
 * Nothing here touches DynamoDB, so it is unit-tested directly.
 */
import { isoDurationMinutes, MAX_REMINDER_MINUTES, type RelatedType } from '../../schemas/tasks';

export type TaskStatus = 'open' | 'done' | 'cancelled';
export type TaskPriority = 'low' | 'normal' | 'high' | 'urgent';
export type ReminderStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';

/** What the user asked for; exactly one of `at` / `beforeDueMinutes`. `n` names the reminder item. */
export interface ReminderSpec {
  n: number;
  at?: string;
  beforeDueMinutes?: number;
}

export interface TaskItem {
  id: string;
  title: string;
  notes?: string;
  status: TaskStatus;
  priority: TaskPriority;
  dueAt?: string;
  assigneeId: string;
  customerId?: string;
  related?: { type: RelatedType | string; id: string };
  reminders: ReminderSpec[];
  /** Next free reminder number (reminder items are never renumbered). */
  nextReminderNo: number;
  /** Rule-created tasks: the cause, guarded by a `RULE#<sourceKey>` item. */
  sourceKey?: string;
  releaseOnClose?: boolean;
  /** True while this task holds its rule guard (released on close when releaseOnClose). */
  holdsGuard?: boolean;
  completedAt?: string;
  cancelledAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

/** Delivery state of one reminder. `rev` changes on every write, so writers cannot overwrite each other blindly. */
export interface ReminderItem {
  taskId: string;
  n: number;
  remindAt: string;
  /** When the job may next pick it up: remindAt, or later after a failed email (backoff). */
  nextAt: string;
  status: ReminderStatus;
  attempts: number;
  rev: number;
  leaseId?: string;
  leaseUntil?: string;
  /**
   * The same lease on the wall clock. `leaseUntil` is in the run's schedule time (replayable);
   * runs whose schedule times differ by more than the lease (a late or replayed invocation beside
   * the regular one) must still not take a reminder another live run holds.
   */
  leaseHeldUntil?: string;
  deliveredAt?: string;
  /** `sent`, `no-address` (assignee has no profile yet) or `failed` (gave up after retries). */
  email?: 'sent' | 'no-address' | 'failed';
  lastError?: string;
}

export const TASK_FIELDS = ['title', 'notes', 'status', 'priority', 'dueAt', 'assigneeId', 'customerId', 'related', 'reminders'] as const;

/** Normalises an ISO instant so lexical order is time order (millisecond precision, Z). */
export function isoInstant(value: string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new RangeError(`Not an instant: ${value}`);
  return d.toISOString();
}

/**
 * PT15M → 15, P1DT2H → 1560, 30 → 30. Years and months are not accepted (no fixed length), nor is
 * anything longer than MAX_REMINDER_MINUTES: the schema refuses those with a 400, and this guard
 * keeps a reminder time inside the range a Date can hold whoever calls it.
 */
export function durationMinutes(value: string | number): number {
  const minutes = typeof value === 'number' ? value : isoDurationMinutes(value);
  if (minutes === undefined) throw new RangeError(`Not a duration: ${value}`);
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > MAX_REMINDER_MINUTES) throw new RangeError(`Duration out of range: ${value}`);
  return minutes;
}

/** 15 → PT15M, 1560 → P1DT2H, 0 → PT0M. */
export function formatDuration(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  let time = '';
  if (hours) time += `${hours}H`;
  if (mins) time += `${mins}M`;
  if (!days && !time) return 'PT0M';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

/** The instant a reminder fires, or undefined for a relative reminder without a due date. */
export function remindAtOf(spec: ReminderSpec, dueAt: string | undefined): string | undefined {
  if (spec.at) return spec.at;
  if (dueAt === undefined || spec.beforeDueMinutes === undefined) return undefined;
  return new Date(new Date(dueAt).getTime() - spec.beforeDueMinutes * 60_000).toISOString();
}

const sameSpec = (a: Omit<ReminderSpec, 'n'>, b: Omit<ReminderSpec, 'n'>) => a.at === b.at && a.beforeDueMinutes === b.beforeDueMinutes;

/**
 * Numbers a requested reminder list against the current one: a reminder equal to an existing one
 * keeps its number (and so its delivery state), a new one gets the next free number.
 */
export function numberReminders(requested: Omit<ReminderSpec, 'n'>[], current: ReminderSpec[], nextNo: number): { specs: ReminderSpec[]; nextNo: number; added: ReminderSpec[] } {
  const unused = [...current];
  const specs: ReminderSpec[] = [];
  const added: ReminderSpec[] = [];
  for (const r of requested) {
    const i = unused.findIndex((c) => sameSpec(c, r));
    if (i >= 0) {
      specs.push(unused[i]!);
      unused.splice(i, 1);
    } else {
      const spec = { n: nextNo++, ...r };
      specs.push(spec);
      added.push(spec);
    }
  }
  return { specs, nextNo, added };
}

export interface ReminderPlan {
  /** Reminder items to write (new or changed), with the rev they had (undefined = new). */
  put: { item: ReminderItem; expectedRev: number | undefined }[];
  /** Reminder items to delete, with the rev they had. */
  remove: { n: number; expectedRev: number }[];
}

/**
 * What a task's current state means for each reminder item:
 * - task not open → pending reminders become `cancelled` (they leave the due index);
 * - task open → a cancelled reminder whose time is still ahead is armed again (reopen);
 *   a pending reminder whose time moved follows it (attempts reset);
 *   a delivered/failed one whose time moved into the future is armed again (new due date, new
 *   reminder); one whose time did not move stays as it is (never delivered twice);
 * - reminders no longer in the list are deleted.
 * A pending reminder whose new time is already past fires on the next run.
 */
export function planReminders(task: Pick<TaskItem, 'id' | 'status' | 'dueAt' | 'reminders'>, existing: ReminderItem[], now: Date): ReminderPlan {
  const byNo = new Map(existing.map((r) => [r.n, r]));
  const plan: ReminderPlan = { put: [], remove: [] };
  const nowIso = now.toISOString();
  for (const spec of task.reminders) {
    const remindAt = remindAtOf(spec, task.dueAt);
    if (remindAt === undefined) throw new RangeError('A relative reminder needs a due date');
    const cur = byNo.get(spec.n);
    byNo.delete(spec.n);
    const open = task.status === 'open';
    if (!cur) {
      plan.put.push({ item: fresh(task.id, spec.n, remindAt, open ? 'pending' : 'cancelled'), expectedRev: undefined });
      continue;
    }
    const moved = cur.remindAt !== remindAt;
    let next: ReminderItem | undefined;
    if (!open) {
      if (cur.status === 'pending') next = { ...withoutLease(cur), status: 'cancelled', remindAt, nextAt: remindAt };
      else if (moved) next = { ...cur, remindAt };
    } else if (cur.status === 'pending') {
      if (moved) next = { ...withoutLease(cur), remindAt, nextAt: remindAt, attempts: 0 };
    } else if (cur.status === 'cancelled') {
      if (remindAt > nowIso) next = { ...fresh(task.id, spec.n, remindAt, 'pending'), rev: cur.rev };
      else if (moved) next = { ...cur, remindAt, nextAt: remindAt };
    } else if (moved) {
      next = remindAt > nowIso ? { ...fresh(task.id, spec.n, remindAt, 'pending'), rev: cur.rev } : { ...cur, remindAt };
    }
    if (next) plan.put.push({ item: { ...next, rev: cur.rev + 1 }, expectedRev: cur.rev });
  }
  for (const gone of byNo.values()) plan.remove.push({ n: gone.n, expectedRev: gone.rev });
  return plan;
}

function fresh(taskId: string, n: number, remindAt: string, status: ReminderStatus): ReminderItem {
  return { taskId, n, remindAt, nextAt: remindAt, status, attempts: 0, rev: 1 };
}

function withoutLease(r: ReminderItem): ReminderItem {
  const { leaseId: _id, leaseUntil: _until, leaseHeldUntil: _held, lastError: _err, ...rest } = r;
  return rest;
}

/** Retry delay after the nth failed email: 1, 2, 4, 8 … minutes, at most an hour. */
export function backoffMinutes(attempts: number): number {
  return Math.min(60, 2 ** Math.max(0, attempts - 1));
}

export function toReminder(spec: ReminderSpec, dueAt: string | undefined, state?: ReminderItem) {
  return {
    ...(spec.at ? { at: spec.at } : {}),
    ...(spec.beforeDueMinutes !== undefined ? { beforeDue: formatDuration(spec.beforeDueMinutes) } : {}),
    remindAt: state?.remindAt ?? remindAtOf(spec, dueAt)!,
    ...(state ? { status: state.status } : {}),
    ...(state?.deliveredAt ? { deliveredAt: state.deliveredAt } : {}),
  };
}

export function toTask(item: TaskItem, reminderStates?: ReminderItem[]) {
  const states = new Map((reminderStates ?? []).map((r) => [r.n, r]));
  return {
    id: item.id,
    title: item.title,
    notes: item.notes,
    status: item.status,
    priority: item.priority,
    dueAt: item.dueAt,
    assigneeId: item.assigneeId,
    customerId: item.customerId,
    related: item.related,
    reminders: (item.reminders ?? []).map((spec) => toReminder(spec, item.dueAt, reminderStates ? states.get(spec.n) : undefined)),
    sourceKey: item.sourceKey,
    completedAt: item.completedAt,
    cancelledAt: item.cancelledAt,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}

/** Is the principal's `own` scope satisfied by this task: assigned to or created by them. */
export function ownsTask(userId: string, task: Pick<TaskItem, 'assigneeId' | 'createdBy'>): boolean {
  return task.assigneeId === userId || task.createdBy === userId;
}
