/**
 * DynamoDB access for tasks, their reminder items and rule guards. Keys come from data/keys.ts.
 * A task and everything that must agree with it (reminders, rule guard, audit/outbox entry) is
 * written in one transaction with labelled conditions the service maps to errors.
 */
import { queryIndexPage } from '../data/query';
import { withoutKeys } from '../data/records';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import type { IndexName } from '../data/table';
import { Transaction } from '../data/transaction';
import { LIVE_CUSTOMER } from '../customers/archived';
import type { ReminderItem, ReminderPlan, TaskItem } from './model';

const table = () => config().tableName;

type Stored = Record<string, unknown>;

export const strip = withoutKeys;

export function taskStored(t: TaskItem): Stored {
  return { ...keys.task.primary(t.id), ...keys.task.indexes(t), kind: 'task', ...t };
}

/** A pending reminder carries the due-index keys; any other status leaves the index (sparse). */
export function reminderStored(r: ReminderItem): Stored {
  return {
    ...keys.reminder.primary(r.taskId, r.n),
    ...(r.status === 'pending' ? keys.reminder.pending(r.nextAt, r.taskId, r.n) : {}),
    kind: 'reminder',
    ...r,
  };
}

/** The task and its reminder items: one strongly consistent Query on the task's partition. */
export async function getTaskWithReminders(id: string): Promise<{ task: TaskItem; reminders: ReminderItem[] } | undefined> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.task.partition(id), ':prefix': keys.task.recordPrefix },
      ConsistentRead: true,
    }),
  );
  let task: TaskItem | undefined;
  const reminders: ReminderItem[] = [];
  for (const item of out.Items ?? []) {
    if (item.kind === 'task') task = strip<TaskItem>(item);
    else if (item.kind === 'reminder') reminders.push(strip<ReminderItem>(item));
  }
  return task ? { task, reminders } : undefined;
}

export interface TaskWrite {
  before?: TaskItem;
  after: TaskItem;
  reminders: ReminderPlan;
  audit: Stored;
  /** Rule guard to take (`attribute_not_exists`) or release (only if it still names this task). */
  guard?: { take?: string; release?: string };
  /** Customers the task is newly attached to: each must still exist and be live at commit (labels `customer:<id>`). */
  liveCustomers?: string[];
}

/**
 * Writes a task with its reminders, rule guard and audit entry. Condition labels: `task` (new, or
 * version unchanged), `reminder` (a reminder changed meanwhile, e.g. the job claimed it), `rule`
 * (the rule guard is already held; its item names the holding task), `customer:<id>` (archived or
 * gone since the service read it).
 */
export async function saveTask(write: TaskWrite): Promise<void> {
  const tx = new Transaction();
  const { before, after } = write;
  if (before) tx.put('task', taskStored(after), { expression: 'version = :v', values: { ':v': before.version } });
  else tx.put('task', taskStored(after), { expression: 'attribute_not_exists(pk)' });
  for (const { item, expectedRev } of write.reminders.put) {
    tx.put('reminder', reminderStored(item), expectedRev === undefined
      ? { expression: 'attribute_not_exists(pk)' }
      : { expression: 'rev = :rev', values: { ':rev': expectedRev } });
  }
  for (const { n, expectedRev } of write.reminders.remove) {
    tx.delete('reminder', keys.reminder.primary(after.id, n), { expression: 'rev = :rev', values: { ':rev': expectedRev } });
  }
  if (write.guard?.take) {
    tx.put('rule', { ...keys.task.ruleGuard(write.guard.take), kind: 'rule-guard', taskId: after.id, createdAt: after.updatedAt }, { expression: 'attribute_not_exists(pk)' });
  }
  if (write.guard?.release) {
    tx.delete('rule-release', keys.task.ruleGuard(write.guard.release), { expression: 'attribute_not_exists(pk) OR taskId = :id', values: { ':id': after.id } });
  }
  for (const customerId of new Set(write.liveCustomers ?? [])) tx.check(`customer:${customerId}`, keys.customer.primary(customerId), LIVE_CUSTOMER);
  tx.put('audit', write.audit);
  await tx.commit();
}

export interface TaskQueryPlan {
  index: IndexName;
  partition: string;
  /** Sort-key range on `<dueAt>#<id>`: `lt` (overdue) or `between` (today/week). */
  range?: { lt: string } | { from: string; to: string };
  /** Equality filters the chosen index does not cover. */
  filters: Record<string, string>;
}

/** One Query page of a task list, ascending by due time (tasks without a due date last). */
export async function queryTasks(plan: TaskQueryPlan, limit: number, startKey: Record<string, unknown> | undefined) {
  const sort = !plan.range ? undefined : 'lt' in plan.range ? { lt: plan.range.lt } : { between: [plan.range.from, plan.range.to] as [string, string] };
  const page = await queryIndexPage<TaskItem>({ index: plan.index, partition: plan.partition, sort, equals: plan.filters }, limit, startKey);
  return { items: page.items, lastKey: page.lastKey };
}
