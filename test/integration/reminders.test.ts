/**
 * The reminder engine against DynamoDB Local and the local SES: exactly one email and one in-app
 * notification per reminder under repeated and concurrent runs, catch-up after downtime, SES
 * failure with backoff and retry (the only mock: SES throwing), give-up after the attempt limit,
 * lease expiry after a crashed run, rescheduling and cancellation through task changes.
 *
 * Each test works in its own time lane (days apart) with its own users, so a run in one test never
 * finds another test's reminders due.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
let jobs: typeof import('../../functions/jobs/handler');
let email: typeof import('../../functions/notifications/email');
let keys: typeof import('../../functions/data/keys')['keys'];
let data: typeof import('../../functions/data/client');

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** Lane k of the timeline: far enough from real "now" that reminders created through the API lie ahead. */
const base = Math.ceil((Date.now() + DAY) / HOUR) * HOUR;
const lane = (k: number) => base + k * 10 * DAY;
const iso = (t: number) => new Date(t).toISOString();
let seq = 0;
const newUser = () => `rem-${Date.now().toString(36)}-${(seq++).toString(36)}`;

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
  jobs = await import('../../functions/jobs/handler');
  email = await import('../../functions/notifications/email');
  keys = (await import('../../functions/data/keys')).keys;
  data = await import('../../functions/data/client');
});
afterAll(async () => {
  await crm?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const run = (t: number) => jobs.handler({ job: 'reminders', time: iso(t) }) as Promise<Record<string, unknown>>;

async function createTask(userId: string, body: Record<string, unknown>) {
  const res = await crm.request('POST', '/v1/tasks', { role: 'sales', userId, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

async function emailsTo(userId: string) {
  return (await crm.sentEmails()).filter((e) => e.destination.to.includes(`${userId}@example.com`));
}

async function notificationsOf(userId: string) {
  const res = await crm.request('GET', '/v1/notifications?limit=100', { role: 'sales', userId });
  expect(res.status).toBe(200);
  return res.body.items as any[];
}

/** Makes SES throw for this user's emails: `times` calls (Infinity = always); others go through. */
async function failEmailsTo(userId: string, times: number, name = 'TooManyRequestsException') {
  const client = await email.sesClient();
  const original = client.send.bind(client);
  let left = times;
  return vi.spyOn(client, 'send').mockImplementation(((command: any, ...rest: any[]) => {
    if (left > 0 && command.input?.Destination?.ToAddresses?.includes(`${userId}@example.com`)) {
      left -= 1;
      const err = new Error('Maximum sending rate exceeded.');
      err.name = name;
      return Promise.reject(err);
    }
    return (original as any)(command, ...rest);
  }) as any);
}

describe('delivering a reminder', () => {
  it('sends one email with subject, task and link, and one notification, at the reminder time — and never again', async () => {
    const user = newUser();
    const due = lane(0) + 2 * HOUR;
    const task = await createTask(user, { title: 'Call Acme about the renewal', notes: 'Ask for the signed quote', dueAt: iso(due), priority: 'high', reminders: [{ beforeDue: 'PT1H' }] });
    expect(task.reminders).toEqual([{ beforeDue: 'PT1H', remindAt: iso(due - HOUR), status: 'pending' }]);

    await run(due - HOUR - MIN);
    expect(await emailsTo(user)).toHaveLength(0);

    const result = await run(due - HOUR);
    expect(result).toMatchObject({ emailed: 1 });
    const sent = await emailsTo(user);
    expect(sent).toHaveLength(1);
    expect(sent[0].subject).toMatch(/^Reminder: Call Acme about the renewal — due .+2\d{3}/);
    expect(sent[0].body.text).toContain('Ask for the signed quote');
    expect(sent[0].body.text).toContain(`http://localhost:3000/tasks/${task.id}`);
    expect(sent[0].from).toBe(process.env.SENDER_EMAIL || 'crm-notifications@example.com');

    const notes = await notificationsOf(user);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ type: 'task.reminder', title: 'Reminder: Call Acme about the renewal', taskId: task.id, link: `http://localhost:3000/tasks/${task.id}` });
    expect(notes[0].readAt).toBeUndefined();

    for (const t of [due - HOUR, due, due + DAY]) await run(t);
    expect(await emailsTo(user)).toHaveLength(1);
    expect(await notificationsOf(user)).toHaveLength(1);
    const after = await crm.request('GET', `/v1/tasks/${task.id}`, { role: 'sales', userId: user });
    expect(after.body.reminders[0]).toMatchObject({ status: 'delivered', deliveredAt: iso(due - HOUR) });
  });

  it('delivers each reminder exactly once when several runs race (Promise.all)', async () => {
    const user = newUser();
    const t0 = lane(1);
    const created = [];
    for (let i = 0; i < 6; i++) {
      created.push(await createTask(user, { title: `Race ${i}`, dueAt: iso(t0 + HOUR), reminders: [{ at: iso(t0 + i * MIN) }, { beforeDue: 10 }] }));
    }
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => run(t0 + HOUR)));
    expect(results.reduce((n, r) => n + (r.emailed as number), 0)).toBe(12);
    const sent = await emailsTo(user);
    expect(sent).toHaveLength(12);
    expect(await notificationsOf(user)).toHaveLength(12);
    await Promise.all([run(t0 + HOUR), run(t0 + 2 * HOUR)]);
    expect(await emailsTo(user)).toHaveLength(12);
    expect(created).toHaveLength(6);
  });

  it('catches up after hours of downtime: everything missed, once, oldest first', async () => {
    const user = newUser();
    const t0 = lane(2);
    for (const h of [1, 2, 3]) await createTask(user, { title: `Missed ${h}`, reminders: [{ at: iso(t0 + h * HOUR) }] });
    await createTask(user, { title: 'Still ahead', reminders: [{ at: iso(t0 + 20 * HOUR) }] });
    const result = await run(t0 + 9 * HOUR);
    expect(result).toMatchObject({ due: 3, emailed: 3 });
    // Claimed oldest first (the due index is sorted by time); sent side by side, so they may
    // arrive in any order.
    expect((await emailsTo(user)).map((e) => e.subject).sort()).toEqual(['Reminder: Missed 1', 'Reminder: Missed 2', 'Reminder: Missed 3']);
    await run(t0 + 9 * HOUR);
    expect(await emailsTo(user)).toHaveLength(3);
    await run(t0 + 20 * HOUR);
    expect(await emailsTo(user)).toHaveLength(4);
  });

  it('retries a throttled email on a later run with backoff: not lost, not duplicated', async () => {
    const user = newUser();
    const t0 = lane(3);
    const task = await createTask(user, { title: 'Throttled', reminders: [{ at: iso(t0) }] });
    await failEmailsTo(user, 1);
    expect(await run(t0)).toMatchObject({ retried: 1, emailed: 0 });
    expect(await emailsTo(user)).toHaveLength(0);
    expect(await notificationsOf(user)).toHaveLength(0);
    const pending = await crm.request('GET', `/v1/tasks/${task.id}`, { role: 'sales', userId: user });
    expect(pending.body.reminders[0].status).toBe('pending');

    // Backoff: not before one minute later.
    expect(await run(t0 + 30_000)).toMatchObject({ due: 0 });
    expect(await run(t0 + MIN)).toMatchObject({ emailed: 1 });
    await run(t0 + 2 * MIN);
    expect(await emailsTo(user)).toHaveLength(1);
    expect(await notificationsOf(user)).toHaveLength(1);
  });

  it('gives up on email after 5 attempts and delivers the in-app notification only, recording the failure', async () => {
    const user = newUser();
    const t0 = lane(4);
    const task = await createTask(user, { title: 'SES is down', reminders: [{ at: iso(t0) }] });
    await failEmailsTo(user, Infinity, 'InternalFailure');
    // Backoff 1, 2, 4, 8 minutes between the attempts.
    const outcomes = [];
    for (const m of [0, 1, 3, 7, 15]) outcomes.push(await run(t0 + m * MIN));
    expect(outcomes.map((o) => o.retried)).toEqual([1, 1, 1, 1, 0]);
    expect(outcomes[4]).toMatchObject({ gaveUp: 1, delivered: 1 });
    vi.restoreAllMocks();
    await run(t0 + DAY);
    expect(await emailsTo(user)).toHaveLength(0);
    expect(await notificationsOf(user)).toHaveLength(1);
    const after = await crm.request('GET', `/v1/tasks/${task.id}`, { role: 'sales', userId: user });
    expect(after.body.reminders[0].status).toBe('failed');
    const stored = await crm.ddb.send(new (await import('@aws-sdk/lib-dynamodb')).GetCommand({ TableName: crm.tableName, Key: keys.reminder.primary(task.id, 1) }));
    expect(stored.Item).toMatchObject({ attempts: 5, email: 'failed', lastError: 'InternalFailure' });
  });

  it('leaves a reminder leased by a crashed run alone until the lease expires, then delivers it once', async () => {
    const user = newUser();
    const t0 = lane(5);
    const task = await createTask(user, { title: 'Crashed run', reminders: [{ at: iso(t0) }] });
    // A run that claimed the reminder at t0 and died before sending.
    await crm.ddb.send(new UpdateCommand({
      TableName: crm.tableName,
      Key: keys.reminder.primary(task.id, 1),
      UpdateExpression: 'SET leaseId = :l, leaseUntil = :u, rev = rev + :one',
      ExpressionAttributeValues: { ':l': 'crashed-run', ':u': iso(t0 + 10 * MIN), ':one': 1 },
    }));
    expect(await run(t0 + MIN)).toMatchObject({ due: 1, claimed: 0 });
    expect(await emailsTo(user)).toHaveLength(0);
    expect(await run(t0 + 10 * MIN)).toMatchObject({ emailed: 1 });
    await run(t0 + 11 * MIN);
    expect(await emailsTo(user)).toHaveLength(1);
  });

  it('reminds an assignee without a profile in the app only (no email address known)', async () => {
    const stranger = newUser();
    const t0 = lane(6);
    const res = await crm.request('POST', '/v1/tasks', { role: 'manager', body: { title: 'For the new colleague', assigneeId: stranger, reminders: [{ at: iso(t0) }] } });
    expect(res.status).toBe(201);
    expect(await run(t0)).toMatchObject({ withoutEmail: 1, emailed: 0 });
    expect(await emailsTo(stranger)).toHaveLength(0);
    expect(await notificationsOf(stranger)).toHaveLength(1);
  });
});

describe('task changes and reminders', () => {
  it('moves relative reminders with dueAt; the old time sends nothing, the new one once', async () => {
    const user = newUser();
    const t0 = lane(7);
    const task = await createTask(user, { title: 'Moving target', dueAt: iso(t0 + HOUR), reminders: [{ beforeDue: 'PT30M' }, { at: iso(t0 + 5 * HOUR) }] });
    const moved = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { dueAt: iso(t0 + DAY + HOUR) } });
    expect(moved.status).toBe(200);
    expect(moved.body.reminders.map((r: any) => r.remindAt)).toEqual([iso(t0 + DAY + 30 * MIN), iso(t0 + 5 * HOUR)]);
    await run(t0 + 30 * MIN);
    expect(await emailsTo(user)).toHaveLength(0);
    await run(t0 + 5 * HOUR);
    expect(await emailsTo(user)).toHaveLength(1);
    await run(t0 + DAY + 30 * MIN);
    expect(await emailsTo(user)).toHaveLength(2);
    // Moving the due date again after delivery re-arms the relative reminder for the new date.
    const again = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { dueAt: iso(t0 + 3 * DAY) } });
    expect(again.body.reminders[0]).toMatchObject({ remindAt: iso(t0 + 3 * DAY - 30 * MIN), status: 'pending' });
    expect(again.body.reminders[1]).toMatchObject({ status: 'delivered' });
    await run(t0 + 3 * DAY);
    await run(t0 + 3 * DAY);
    expect(await emailsTo(user)).toHaveLength(3);
  });

  it('does not send the reminder of a completed or cancelled task; reopening re-arms a future one', async () => {
    const user = newUser();
    const t0 = lane(8);
    const done = await createTask(user, { title: 'Done early', reminders: [{ at: iso(t0) }] });
    const cancelled = await createTask(user, { title: 'Cancelled', reminders: [{ at: iso(t0) }] });
    const reopened = await createTask(user, { title: 'Reopened', reminders: [{ at: iso(t0 + HOUR) }] });
    for (const [t, status] of [[done, 'done'], [cancelled, 'cancelled'], [reopened, 'done']] as const) {
      const res = await crm.request('PATCH', `/v1/tasks/${t.id}`, { role: 'sales', userId: user, body: { status } });
      expect(res.status).toBe(200);
      expect(res.body.reminders[0].status).toBe('cancelled');
    }
    const back = await crm.request('PATCH', `/v1/tasks/${reopened.id}`, { role: 'sales', userId: user, body: { status: 'open' } });
    expect(back.body.reminders[0].status).toBe('pending');
    const result = await run(t0 + 2 * HOUR);
    expect(result).toMatchObject({ due: 1, emailed: 1 });
    expect((await emailsTo(user)).map((e) => e.subject)).toEqual(['Reminder: Reopened']);
  });
});

describe('cost', () => {
  it('a run with nothing due is one Query, whatever the number of tasks', async () => {
    const { usage } = await data.withDbUsage(() => run(lane(9)));
    expect(usage.commands).toEqual(['Query']);
  });

  it('a run with due reminders costs a fixed number of requests per reminder', async () => {
    const user = newUser();
    const t0 = lane(10);
    for (let i = 0; i < 4; i++) await createTask(user, { title: `Cost ${i}`, reminders: [{ at: iso(t0) }] });
    const { usage } = await data.withDbUsage(() => run(t0));
    // 1 Query + 4 claims + 1 BatchGet (tasks) + 1 BatchGet (profile) + 4 transactions.
    expect(usage.requests).toBe(11);
    expect([...usage.commands].sort()).toEqual(['BatchGetItem', 'BatchGetItem', 'Query', ...Array(4).fill('TransactWriteItems'), ...Array(4).fill('UpdateItem')]);
  });
});
