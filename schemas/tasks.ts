import * as z from './zod';
import { once } from './once';
import { Id, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { multilineText, text } from './text';

export const TASK_STATUSES = ['open', 'done', 'cancelled'] as const;
export const TASK_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
/**
 * Kinds of record a task can point at, with the id prefix each kind uses. A new kind plugs in by
 * adding a line here (and, if the API should check visibility of it, a resolver in
 * functions/tasks/service.ts).
 */
export const RELATED_TYPES = {
  customer: 'cus',
  contact: 'con',
  activity: 'act',
  asset: 'ast',
  deal: 'deal',
  lead: 'led',
  quote: 'quo',
  order: 'ord',
  ticket: 'tkt',
  contract: 'ctr',
} as const;
export type RelatedType = keyof typeof RELATED_TYPES;
export const MAX_REMINDERS = 5;

/** ISO-8601 durations without years/months (they have no fixed length): PT15M, PT1H30M, P1D, P1W, P1DT2H. */
export const ISO_DURATION = /^P(?!$)(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?)?$/;
/** A reminder is at most one year (365 days) before the due date. */
export const MAX_REMINDER_MINUTES = 525_600;

/** Minutes in an ISO_DURATION (Infinity for absurdly long digit runs), or undefined when it is not one. */
export function isoDurationMinutes(value: string): number | undefined {
  const m = ISO_DURATION.exec(value);
  if (!m) return undefined;
  const [w = 0, d = 0, h = 0, min = 0] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  return w * 7 * 1440 + d * 1440 + h * 60 + min;
}

const BeforeDue = once(() => z.union([
  z.string().check(
    z.maxLength(40),
    z.regex(ISO_DURATION, 'Expected an ISO-8601 duration such as PT15M, PT2H, P1D or P1DT2H'),
    z.refine((s) => (isoDurationMinutes(s) ?? 0) <= MAX_REMINDER_MINUTES, `At most one year (${MAX_REMINDER_MINUTES} minutes, e.g. P365D or P52W)`),
  ),
  z.int().check(z.minimum(0), z.maximum(MAX_REMINDER_MINUTES, `At most ${MAX_REMINDER_MINUTES} minutes (one year)`)),
]).check(z.meta({ description: `ISO-8601 duration (weeks, days, hours, minutes) or minutes; at most one year (${MAX_REMINDER_MINUTES} minutes)` })));

export const ReminderInput = once(() => z
  .union([
    z.strictObject({ at: Timestamp().check(z.meta({ description: 'Absolute reminder time' })) }),
    z.strictObject({ beforeDue: BeforeDue().check(z.meta({ description: 'Time before dueAt: ISO-8601 duration or minutes' })) }),
  ])
  .check(z.meta({ id: 'ReminderInput', description: 'Either { at } (absolute) or { beforeDue } (relative to dueAt; needs dueAt).' })));

const Reminders = once(() => z.array(ReminderInput()).check(z.maxLength(MAX_REMINDERS, `At most ${MAX_REMINDERS} reminders`)));

const relatedShape = once(() => z.strictObject({
  type: z.enum(Object.keys(RELATED_TYPES) as [RelatedType, ...RelatedType[]]),
  id: z.string().check(z.regex(/^[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}$/, 'Expected an id like cus_01J…')),
}));
export const RelatedRecord = once(() => relatedShape().check(
  z.refine((r) => r.id.startsWith(`${RELATED_TYPES[r.type]}_`), { message: 'The id does not match the type', path: ['id'] }),
  z.meta({ id: 'RelatedRecord', description: 'The record this task is about' }),
));

export const TaskCreate = once(() => z
  .strictObject({
    title: text(200),
    notes: z.optional(multilineText(4000)),
    dueAt: z.optional(Timestamp()),
    assigneeId: z.optional(text(128).check(z.meta({ description: 'Defaults to the caller; someone else needs tasks:assign' }))),
    priority: z.optional(z.enum(TASK_PRIORITIES)),
    related: z.optional(RelatedRecord()),
    customerId: z.optional(Id('cus')),
    reminders: z.optional(Reminders()),
  })
  .check(z.meta({ id: 'TaskCreate', description: 'Reminders in the past are rejected (400); relative reminders need dueAt.' })));

export const TaskPatch = once(() => z
  .strictObject({
    title: z.optional(text(200)),
    notes: z.optional(z.nullable(multilineText(4000))),
    dueAt: z.optional(z.nullable(Timestamp())),
    assigneeId: z.optional(text(128)),
    priority: z.optional(z.enum(TASK_PRIORITIES)),
    related: z.optional(z.nullable(RelatedRecord())),
    customerId: z.optional(z.nullable(Id('cus'))),
    status: z.optional(z.enum(TASK_STATUSES).check(z.meta({ description: 'done completes, open reopens, cancelled cancels' }))),
    reminders: z.optional(Reminders().check(z.meta({ description: 'Replaces the list; unchanged entries keep their delivery state' }))),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'TaskPatch', description: 'Fields to change; null clears an optional field. Changing dueAt re-schedules relative reminders.' }),
  ));

export const Reminder = once(() => z
  .object({
    at: z.optional(Timestamp()),
    beforeDue: z.optional(z.string().check(z.meta({ description: 'ISO-8601 duration before dueAt' }))),
    remindAt: Timestamp(),
    status: z.optional(z.enum(['pending', 'delivered', 'failed', 'cancelled']).check(z.meta({ description: 'On GET of one task only' }))),
    deliveredAt: z.optional(Timestamp()),
  })
  .check(z.meta({ id: 'Reminder' })));

export const Task = once(() => z
  .object({
    id: Id('tsk'),
    title: z.string(),
    notes: z.optional(z.string()),
    status: z.enum(TASK_STATUSES),
    priority: z.enum(TASK_PRIORITIES),
    dueAt: z.optional(Timestamp()),
    assigneeId: z.string(),
    customerId: z.optional(z.string()),
    related: z.optional(z.object({ type: z.string(), id: z.string() })),
    reminders: z.array(Reminder()),
    sourceKey: z.optional(z.string().check(z.meta({ description: 'Set on tasks created by a rule (createdBy "system")' }))),
    completedAt: z.optional(Timestamp()),
    cancelledAt: z.optional(Timestamp()),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Task' })));

export const TaskPage = once(() => pageOf(Task(), 'TaskPage'));

export const TaskListQuery = once(() => z.strictObject({
  ...PageQuery(),
  status: z.optional(z.enum(TASK_STATUSES).check(z.meta({ description: 'Default open' }))),
  assigneeId: z.optional(text(128).check(z.meta({ description: 'Someone else\'s tasks: needs tasks:read scope all (managers, admins)' }))),
  due: z.optional(z.enum(['overdue', 'today', 'week']).check(z.meta({ description: 'overdue = due before now; today / week = this local day / ISO week in the business time zone' }))),
  customerId: z.optional(Id('cus')),
}));
