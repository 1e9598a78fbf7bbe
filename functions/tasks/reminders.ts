/**
 * The reminder engine (schedule row `reminders`, every minute; see docs/reminders.md).
 *
 * 1. Find what is due: one Query page at a time on the sparse gsi1 partition `REMINDERS#PENDING`
 *    with `gsi1sk <= "<now>#~"`. Only pending reminders are in it, so the cost follows the number
 *    of due reminders, never the number of tasks; a run after hours of downtime reads everything
 *    it missed, oldest first.
 * 2. Read the page's tasks and assignee profiles (BatchGetItem).
 * 3. Ten reminders at a time: claim each with a conditional update (status pending, due, no live
 *    lease) that sets a lease (leaseId, leaseUntil) — of two concurrent runs exactly one wins each
 *    reminder — and send ONE email through SES.
 * 4. Write the in-app notification and mark the reminder delivered in one transaction, conditioned
 *    on still holding the lease, so the notification and the mark exist together or not at all,
 *    exactly once.
 * A failed email moves the reminder back into the index `backoffMinutes(attempts)` later with its
 * attempt count; after MAX_EMAIL_ATTEMPTS the job gives up on email and delivers the in-app
 * notification only, recording the failure on the reminder. A rate throttle from SES ("too fast")
 * says nothing about the message: it goes back into the index for the next run WITHOUT counting an
 * attempt. Emails go out at the account's send rate (notifications/send-rate.ts).
 *
 * Time budget: the run stops starting reminders when its budget (functions/jobs/budget.ts) runs
 * out; the ones not started were never claimed. Pages are sized to what the send rate allows in
 * the time left, and a claimed reminder whose send slot would come after the budget is released
 * at once (lease removed), so the next run — a minute later — takes it without waiting for the
 * lease. The due index is the checkpoint: every finished reminder has left it, so the next run's
 * first Query starts exactly at the unfinished work. `more` tells the caller that work was left.
 *
 * The one window that cannot be closed: SES accepted the email, then the run dies before step 4.
 * The lease then expires and a later run sends again (at least once for email). The window is the
 * time between SES's answer and one DynamoDB transaction — milliseconds — and the lease keeps every
 * other run away until then.
 */
import { randomUUID } from 'node:crypto';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys, newId } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { batchGetItems } from '../jobs/batch-get';
import { Budget } from '../jobs/budget';
import { mapLimit } from '../jobs/concurrency';
import { sendEmail, sesClient } from '../notifications/email';
import { type NotificationItem, notificationStored } from '../notifications/model';
import type { UserProfile } from '../notifications/profiles';
import { isRateThrottle, NoSendSlot, sendRateLimiter } from '../notifications/send-rate';
import { backoffMinutes, type ReminderItem, type TaskItem } from './model';
import { reminderMessage } from './reminder-message';
import { strip } from './repository';

/** Longer than the jobs function's timeout (300 s): a live run never loses its lease. */
export const LEASE_MS = 10 * 60_000;
export const MAX_EMAIL_ATTEMPTS = 5;
/** A rate-throttled reminder is due again this much later: the next minute's run. */
export const THROTTLE_REQUEUE_MS = 60_000;
const PAGE_SIZE = 100;
const SEND_CONCURRENCY = 10;

export interface ReminderRunOptions {
  /** Stop starting work when it runs out (the rest is picked up by the next run). Default: DEFAULT_BUDGET_MS. */
  budget?: Budget;
}

export interface ReminderRunResult {
  due: number;
  claimed: number;
  delivered: number;
  emailed: number;
  withoutEmail: number;
  /** Back into the due index for another try (failed email with backoff, or rate-throttled). */
  retried: number;
  /** Of `retried`: SES rate throttles, re-queued without counting an attempt. */
  throttled: number;
  gaveUp: number;
  skipped: number;
  /** Claimed, then handed back unsent because no send slot came before the budget ran out. */
  released: number;
  /** Unexpected errors (the reminder keeps its lease and is retried when it expires). */
  failed: number;
  /** How long the oldest due reminder had been waiting (its nextAt to the run's time) at the start. */
  oldestDueAgeSeconds: number;
  /** The run stopped on its budget with due reminders left. */
  more: boolean;
}

const table = () => config().tableName;

export async function runReminders(now: Date, options: ReminderRunOptions = {}): Promise<ReminderRunResult> {
  const budget = options.budget ?? Budget.fromContext(undefined);
  const leaseId = randomUUID();
  const result: ReminderRunResult = {
    due: 0, claimed: 0, delivered: 0, emailed: 0, withoutEmail: 0, retried: 0, throttled: 0, gaveUp: 0, skipped: 0, released: 0, failed: 0,
    oldestDueAgeSeconds: 0, more: false,
  };
  let started = 0;
  // Every run makes progress, even one that starts with its budget spent: the first item goes ahead.
  const outOfTime = () => started > 0 && budget.expired();
  let startKey: Record<string, unknown> | undefined;
  let first = true;
  do {
    if (outOfTime()) break;
    const page = await queryDue(now, startKey, await pageSize(budget));
    startKey = page.lastKey;
    if (first) {
      first = false;
      const oldest = page.items[0]?.nextAt;
      if (oldest) result.oldestDueAgeSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(oldest)) / 1000));
    }
    result.due += page.items.length;
    // The page's tasks and assignee profiles first (two BatchGetItem), then the reminders in
    // chunks of SEND_CONCURRENCY: claim the chunk, send its emails (in index order, through the
    // FIFO send-rate limiter), and check the budget before the next chunk. A run that stops on its
    // budget leaves the rest unclaimed, ready for the next run, without a write to hand them back.
    const { tasks, profiles } = await loadContext(page.items);
    let done = 0;
    while (done < page.items.length && !outOfTime()) {
      const chunk = page.items.slice(done, done + SEND_CONCURRENCY);
      done += chunk.length;
      const outcomes = await mapLimit(chunk, SEND_CONCURRENCY, async (due): Promise<Outcome> => {
        // The run's first delivery waits for its send slot whatever the budget (progress, again).
        const deadline = started === 0 ? undefined : budget.deadline;
        started += 1;
        try {
          const r = await claim(due, leaseId, now);
          if (!r) return 'skipped';
          result.claimed += 1;
          return await deliver(r, tasks.get(r.taskId), profiles, leaseId, now, deadline);
        } catch {
          // Left as it was, or leased until the lease expires: a later run takes it. Counted, never silent.
          return 'failed';
        }
      });
      for (const outcome of outcomes) {
        if (outcome === 'emailed' || outcome === 'withoutEmail' || outcome === 'gaveUp') result.delivered += 1;
        if (outcome === 'lost' || outcome === 'cancelled' || outcome === 'skipped') result.skipped += 1;
        else if (outcome === 'throttled') { result.throttled += 1; result.retried += 1; }
        else result[outcome] += 1;
      }
    }
    if (done < page.items.length) {
      result.more = true;
      break;
    }
  } while (startKey);
  result.more ||= result.released > 0 || (startKey !== undefined && outOfTime());
  return result;
}

/** A page the send rate can work off in the time left (at most PAGE_SIZE, at least 1). */
async function pageSize(budget: Budget): Promise<number> {
  const slots = await sendRateLimiter(await sesClient());
  return Math.min(PAGE_SIZE, slots.capacityWithin(budget.remainingMs()));
}

/** Due reminders: pending ones whose nextAt is at or before now, oldest first. */
async function queryDue(now: Date, startKey: Record<string, unknown> | undefined, limit: number) {
  const out = await ddb().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :upto',
      ExpressionAttributeValues: { ':pk': keys.reminder.pendingPartition, ':upto': `${now.toISOString()}#~` },
      Limit: limit,
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

/** Tasks and assignee profiles of a page's reminders, in BatchGetItem requests of up to 100 keys. */
async function loadContext(claimed: ReminderItem[]) {
  const tasks = new Map<string, TaskItem>();
  const profiles = new Map<string, UserProfile>();
  for (const item of await batchGetItems(claimed.map((r) => keys.task.primary(r.taskId)))) tasks.set(item.id as string, strip<TaskItem>(item));
  for (const item of await batchGetItems([...tasks.values()].map((t) => keys.user.profile(t.assigneeId)))) profiles.set(item.userId as string, item as unknown as UserProfile);
  return { tasks, profiles };
}

type Outcome = 'emailed' | 'withoutEmail' | 'gaveUp' | 'retried' | 'throttled' | 'released' | 'failed' | 'lost' | 'cancelled' | 'skipped';

async function deliver(r: ReminderItem, task: TaskItem | undefined, profiles: Map<string, UserProfile>, leaseId: string, now: Date, sendDeadline: number | undefined): Promise<Outcome> {
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
      await sendEmail({ to: address, subject: message.subject, text: message.text, html: message.html }, { deadline: sendDeadline });
      email = 'sent';
    } catch (err) {
      // Out of time before a send slot came: nothing was sent, hand the reminder back.
      if (err instanceof NoSendSlot) return (await release(r, leaseId)) ? 'released' : 'lost';
      if (isRateThrottle(err)) return (await requeueThrottled(r, leaseId, (err as Error).name, now)) ? 'throttled' : 'lost';
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

/** Back into the due index for the next run, attempts unchanged: SES was only asking us to slow down. */
async function requeueThrottled(r: ReminderItem, leaseId: string, error: string, now: Date): Promise<boolean> {
  const nextAt = new Date(now.getTime() + THROTTLE_REQUEUE_MS).toISOString();
  const index = keys.reminder.pending(nextAt, r.taskId, r.n);
  return conditionalUpdate(r, leaseId, 'SET nextAt = :next, gsi1sk = :sk, lastError = :err, throttles = if_not_exists(throttles, :zero) + :one, rev = rev + :one REMOVE leaseId, leaseUntil, leaseHeldUntil', {
    ':next': nextAt, ':sk': index.gsi1sk, ':err': error, ':zero': 0, ':one': 1,
  });
}

/**
 * Hands a claimed, unsent reminder back as it was (still due), so the next run takes it at once
 * instead of after the lease. Bumps rev like every job write, so a task change that read the
 * leased item retries on fresh data.
 */
async function release(r: ReminderItem, leaseId: string): Promise<boolean> {
  return conditionalUpdate(r, leaseId, 'SET rev = rev + :one REMOVE leaseId, leaseUntil, leaseHeldUntil', { ':one': 1 });
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
