/**
 * The reminder engine (schedule row `reminders`, every minute; see docs/reminders.md).
 *
 * 1. Find what is due: one Query page at a time on the sparse gsi1 partition `REMINDERS#PENDING`
 *    with `gsi1sk <= "<now>#~"`. Only pending reminders are in it, so the cost follows the number
 *    of due reminders, never the number of tasks; a run after hours of downtime reads everything
 *    it missed, oldest first.
 * 2. Claim each with a conditional update (status pending, due, no live lease) that sets a lease
 *    (leaseId, leaseUntil). Of two concurrent runs exactly one wins each reminder.
 * 3. Read the tasks and assignee profiles (BatchGetItem), send ONE email through SES.
 * 4. Write the in-app notification and mark the reminder delivered in one transaction, conditioned
 *    on still holding the lease, so the notification and the mark exist together or not at all,
 *    exactly once.
 * A failed email (throttle, error) moves the reminder back into the index `backoffMinutes(attempts)`
 * later with its attempt count; after MAX_EMAIL_ATTEMPTS the job gives up on email and delivers
 * the in-app notification only, recording the failure on the reminder.
 *
 * The one window that cannot be closed: SES accepted the email, then the run dies before step 4.
 * The lease then expires and a later run sends again (at least once for email). The window is the
 * time between SES's answer and one DynamoDB transaction — milliseconds — and the lease keeps every
 * other run away until then.
 */
import { randomUUID } from 'node:crypto';
import { BatchGetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys, newId } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { sendEmail } from '../notifications/email';
import { type NotificationItem, notificationStored } from '../notifications/model';
import type { UserProfile } from '../notifications/profiles';
import { backoffMinutes, type ReminderItem, type TaskItem } from './model';
import { reminderMessage } from './reminder-message';
import { strip } from './repository';

/** Longer than the jobs function's timeout (300 s): a live run never loses its lease. */
export const LEASE_MS = 10 * 60_000;
export const MAX_EMAIL_ATTEMPTS = 5;
const PAGE_SIZE = 100;
const CLAIM_CONCURRENCY = 25;
const SEND_CONCURRENCY = 10;

export interface ReminderRunOptions {
  /** Stop starting new pages after this long (the rest is picked up by the next run). Default 240 s. */
  budgetMs?: number;
}

export interface ReminderRunResult {
  [key: string]: number;
  due: number;
  claimed: number;
  delivered: number;
  emailed: number;
  withoutEmail: number;
  retried: number;
  gaveUp: number;
  skipped: number;
}

const table = () => config().tableName;

export async function runReminders(now: Date, options: ReminderRunOptions = {}): Promise<ReminderRunResult> {
  const deadline = Date.now() + (options.budgetMs ?? 240_000);
  const leaseId = randomUUID();
  const result: ReminderRunResult = { due: 0, claimed: 0, delivered: 0, emailed: 0, withoutEmail: 0, retried: 0, gaveUp: 0, skipped: 0 };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await queryDue(now, startKey);
    startKey = page.lastKey;
    result.due += page.items.length;
    const claimed = (await mapLimit(page.items, CLAIM_CONCURRENCY, (r) => claim(r, leaseId, now))).filter((r): r is ReminderItem => r !== undefined);
    result.claimed += claimed.length;
    result.skipped += page.items.length - claimed.length;
    if (claimed.length === 0) continue;
    const { tasks, profiles } = await loadContext(claimed);
    const outcomes = await mapLimit(claimed, SEND_CONCURRENCY, (r) => deliver(r, tasks.get(r.taskId), profiles, leaseId, now));
    for (const outcome of outcomes) {
      if (outcome === 'emailed' || outcome === 'withoutEmail' || outcome === 'gaveUp') result.delivered += 1;
      if (outcome === 'lost' || outcome === 'cancelled') result.skipped += 1;
      else result[outcome] += 1;
    }
  } while (startKey && Date.now() < deadline);
  return result;
}

/** Due reminders: pending ones whose nextAt is at or before now, oldest first. */
async function queryDue(now: Date, startKey: Record<string, unknown> | undefined) {
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :upto',
      ExpressionAttributeValues: { ':pk': keys.reminder.pendingPartition, ':upto': `${now.toISOString()}#~` },
      Limit: PAGE_SIZE,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: (out.Items ?? []).map((i) => strip<ReminderItem>(i)), lastKey: out.LastEvaluatedKey };
}

/** Takes the lease, or returns undefined when another run holds it or the reminder moved on. */
async function claim(r: ReminderItem, leaseId: string, now: Date): Promise<ReminderItem | undefined> {
  const wall = new Date();
  try {
    const out = await ddb().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.reminder.primary(r.taskId, r.n),
        UpdateExpression: 'SET leaseId = :lease, leaseUntil = :until, leaseHeldUntil = :heldUntil, rev = rev + :one',
        // Expired in the run's schedule time AND on the wall clock: a run with a much later (or
        // earlier) time than a live run holding the lease must not take it over mid-send.
        ConditionExpression: '#status = :pending AND nextAt <= :now AND (attribute_not_exists(leaseUntil) OR leaseUntil <= :now)'
          + ' AND (attribute_not_exists(leaseHeldUntil) OR leaseHeldUntil <= :wall)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':lease': leaseId,
          ':until': new Date(now.getTime() + LEASE_MS).toISOString(),
          ':heldUntil': new Date(wall.getTime() + LEASE_MS).toISOString(),
          ':wall': wall.toISOString(),
          ':one': 1,
          ':pending': 'pending',
          ':now': now.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return strip<ReminderItem>(out.Attributes!);
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw err;
  }
}

/** Tasks and assignee profiles of claimed reminders, in BatchGetItem requests of up to 100 keys. */
async function loadContext(claimed: ReminderItem[]) {
  const tasks = new Map<string, TaskItem>();
  const profiles = new Map<string, UserProfile>();
  const taskKeys = [...new Set(claimed.map((r) => r.taskId))].map((id) => keys.task.primary(id));
  for (const item of await batchGet(taskKeys)) tasks.set(item.id as string, strip<TaskItem>(item));
  const userKeys = [...new Set([...tasks.values()].map((t) => t.assigneeId))].map((id) => keys.user.profile(id));
  for (const item of await batchGet(userKeys)) profiles.set(item.userId as string, item as unknown as UserProfile);
  return { tasks, profiles };
}

async function batchGet(keyList: Record<string, string>[]): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (let i = 0; i < keyList.length; i += 100) {
    let request: Record<string, { Keys: Record<string, unknown>[] }> | undefined = { [table()]: { Keys: keyList.slice(i, i + 100) } };
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt > 0) await new Promise((done) => setTimeout(done, Math.min(1000, 50 * 2 ** attempt)));
      const out = await ddb().send(new BatchGetCommand({ RequestItems: request }));
      found.push(...(out.Responses?.[table()] ?? []));
      request = out.UnprocessedKeys as typeof request;
    }
  }
  return found;
}

type Outcome = 'emailed' | 'withoutEmail' | 'gaveUp' | 'retried' | 'lost' | 'cancelled';

async function deliver(r: ReminderItem, task: TaskItem | undefined, profiles: Map<string, UserProfile>, leaseId: string, now: Date): Promise<Outcome> {
  if (!task || task.status !== 'open') {
    // Closing a task cancels its reminders in the same transaction; this only catches a race.
    return (await settle(r, leaseId, { status: 'cancelled' })) ? 'cancelled' : 'lost';
  }
  const cfg = config();
  const message = reminderMessage(task, cfg.businessTimeZone, cfg.appBaseUrl);
  const address = profiles.get(task.assigneeId)?.email;
  let email: ReminderItem['email'] = 'no-address';
  let lastError: string | undefined;
  const attempts = r.attempts + (address ? 1 : 0);
  if (address) {
    try {
      await sendEmail({ to: address, subject: message.subject, text: message.text, html: message.html });
      email = 'sent';
    } catch (err) {
      lastError = (err as Error).name || 'Error';
      if (attempts < MAX_EMAIL_ATTEMPTS) return (await backOff(r, leaseId, attempts, lastError, now)) ? 'retried' : 'lost';
      email = 'failed';
    }
  }
  const notification: NotificationItem = {
    id: newId('ntf'),
    userId: task.assigneeId,
    type: 'task.reminder',
    title: `Reminder: ${task.title}`,
    body: message.summary,
    link: message.link,
    taskId: task.id,
    createdAt: now.toISOString(),
  };
  const tx = new Transaction();
  // A final email failure keeps its reason on the reminder; a success clears an earlier one.
  const set = ['#status = :status', 'deliveredAt = :now', 'email = :email', 'attempts = :attempts', 'rev = rev + :one', ...(lastError ? ['lastError = :err'] : [])];
  const remove = ['gsi1pk', 'gsi1sk', 'leaseId', 'leaseUntil', 'leaseHeldUntil', ...(lastError ? [] : ['lastError'])];
  tx.update('reminder', keys.reminder.primary(r.taskId, r.n), {
    expression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
    names: { '#status': 'status' },
    values: {
      ':status': email === 'failed' ? 'failed' : 'delivered', ':now': now.toISOString(), ':email': email, ':attempts': attempts, ':one': 1,
      ...(lastError ? { ':err': lastError } : {}),
    },
  }, { expression: 'leaseId = :lease AND #status = :pending', values: { ':lease': leaseId, ':pending': 'pending' } });
  tx.put('notification', notificationStored(notification), { expression: 'attribute_not_exists(pk)' });
  try {
    await tx.commit();
  } catch (err) {
    // Lost the lease (the task changed meanwhile, or the lease expired and another run took it).
    if (err instanceof ConditionsFailed) return 'lost';
    throw err;
  }
  return email === 'sent' ? 'emailed' : email === 'failed' ? 'gaveUp' : 'withoutEmail';
}

/** Back into the due index `backoffMinutes(attempts)` from now, lease released. */
async function backOff(r: ReminderItem, leaseId: string, attempts: number, error: string, now: Date): Promise<boolean> {
  const nextAt = new Date(now.getTime() + backoffMinutes(attempts) * 60_000).toISOString();
  const index = keys.reminder.pending(nextAt, r.taskId, r.n);
  return conditionalUpdate(r, leaseId, 'SET nextAt = :next, gsi1sk = :sk, attempts = :attempts, lastError = :err, rev = rev + :one REMOVE leaseId, leaseUntil, leaseHeldUntil', {
    ':next': nextAt, ':sk': index.gsi1sk, ':attempts': attempts, ':err': error, ':one': 1,
  });
}

/** Ends a claimed reminder without delivering it (its task is gone or closed). */
async function settle(r: ReminderItem, leaseId: string, change: { status: 'cancelled' }): Promise<boolean> {
  return conditionalUpdate(r, leaseId, 'SET #status = :status, rev = rev + :one REMOVE gsi1pk, gsi1sk, leaseId, leaseUntil, leaseHeldUntil', { ':status': change.status, ':one': 1 });
}

async function conditionalUpdate(r: ReminderItem, leaseId: string, expression: string, values: Record<string, unknown>): Promise<boolean> {
  try {
    await ddb().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.reminder.primary(r.taskId, r.n),
        UpdateExpression: expression,
        ConditionExpression: 'leaseId = :lease AND #status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ...values, ':lease': leaseId, ':pending': 'pending' },
      }),
    );
    return true;
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** Runs fn over items with at most `limit` in flight, preserving order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
