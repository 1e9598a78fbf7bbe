/**
 * Scheduled jobs that finish at scale, against DynamoDB Local and the local SES: a run with a tiny
 * time budget stops and says `more`, the next runs (the reminder schedule, or the continue-jobs
 * tick for daily jobs) finish the work, and nothing is done twice — also when a run dies between
 * an item's or a page's work and its checkpoint (failures injected into the DynamoDB client, the
 * only mock), and when runs overlap. SES rate throttles do not use up retry attempts, and emails
 * never go out faster than the configured send rate.
 *
 * Budgets are made tiny by handing the handler a Lambda-like context whose remaining time is just
 * above the safety margin. Each test works with its own users, customers and time lane.
 *
 * The many tasks, assets and customers a test needs are bulk-loaded (test/support/bulk-load.ts):
 * the first of each through the API, the rest built by the same model code the API uses and
 * written with BatchWriteItem. What is tested is the jobs' work on them, not their creation.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { addDays, formatDate, localDateOf, zonedTimeToInstant } from '../../functions/calendar/business-calendar';
import type { AssetItem } from '../../functions/assets/model';
import type { CustomerItem } from '../../functions/customers/model';
import type { TaskItem } from '../../functions/tasks/model';
import { DEMO_USERS, resolveUser, SALES_REPS } from '../../local/demo-users';
import { PAGE_SIZE as FEED_PAGE_SIZE } from '../../functions/jobs/pages';
import { bulkPut, plannedPuts } from '../support/bulk-load';
import { startTestStack, type TestStack } from '../support/stack';

// One limiter per process, created on the first send: the rate every test here runs at.
const RATE = 20;
process.env.SES_MAX_SEND_RATE = String(RATE);

let crm: TestStack;
let jobs: typeof import('../../functions/jobs/handler');
let budget: typeof import('../../functions/jobs/budget');
let email: typeof import('../../functions/notifications/email');
let data: typeof import('../../functions/data/client');
let keys: typeof import('../../functions/data/keys')['keys'];
let newId: typeof import('../../functions/data/keys')['newId'];
let config: typeof import('../../functions/config')['config'];
let auditItem: typeof import('../../functions/audit/audit')['auditItem'];
let taskModel: typeof import('../../functions/tasks/model');
let taskRepo: typeof import('../../functions/tasks/repository');
let assetModel: typeof import('../../functions/assets/model');
let assetRepo: typeof import('../../functions/assets/repository');
let customerRepo: typeof import('../../functions/customers/repository');
let Transaction: typeof import('../../functions/data/transaction')['Transaction'];

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const base = Math.ceil((Date.now() + 2 * DAY) / HOUR) * HOUR;
const lane = (k: number) => base + k * 10 * DAY;
const iso = (t: number) => new Date(t).toISOString();
let seq = 0;
const newUser = () => `scale-${Date.now().toString(36)}-${(seq++).toString(36)}`;
const owner = SALES_REPS[0]!.id;

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
  jobs = await import('../../functions/jobs/handler');
  budget = await import('../../functions/jobs/budget');
  email = await import('../../functions/notifications/email');
  data = await import('../../functions/data/client');
  ({ keys, newId } = await import('../../functions/data/keys'));
  ({ config } = await import('../../functions/config'));
  ({ auditItem } = await import('../../functions/audit/audit'));
  ({ Transaction } = await import('../../functions/data/transaction'));
  taskModel = await import('../../functions/tasks/model');
  taskRepo = await import('../../functions/tasks/repository');
  assetModel = await import('../../functions/assets/model');
  assetRepo = await import('../../functions/assets/repository');
  customerRepo = await import('../../functions/customers/repository');
  const rules = await crm.request('PUT', '/v1/settings/service-rules', {
    role: 'admin',
    body: { categories: [{ category: 'washing-machine', intervalMonths: 24 }], leadDays: 14, assignTo: 'owner', warrantyReminderDays: 30, dormancyDays: { A: 30 } },
  });
  expect(rules.status).toBe(200);
});
afterAll(async () => {
  await crm?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

type Result = Record<string, any>;

/** A Lambda-like context leaving `ms` of budget after the safety margin. */
const contextWith = (ms: number) => ({ getRemainingTimeInMillis: () => budget.SAFETY_MARGIN_MS + ms });
const run = (job: string, t: number | Date, ms?: number) =>
  jobs.handler({ job, time: iso(typeof t === 'number' ? t : t.getTime()) }, ms === undefined ? undefined : contextWith(ms)) as Promise<Result>;

/** Runs until a run reports no more work; returns every run's result. Bounded, so a job that never finishes fails the test. */
async function runUntilDone(next: () => Promise<Result>, maxRuns = 200): Promise<Result[]> {
  const results: Result[] = [];
  for (let i = 0; i < maxRuns; i++) {
    const result = await next();
    results.push(result);
    if (!result.more) return results;
  }
  throw new Error(`Still more work after ${maxRuns} runs`);
}

/** The admin the API acts as for `role: 'admin'` requests (the actor of bulk-loaded records). */
const admin = DEMO_USERS.find((u) => u.role === 'admin')!;
/** At most this many API requests in flight when a test checks many records one by one. */
const CHECK_CONCURRENCY = 8;

/** `f` for every element, at most CHECK_CONCURRENCY at a time, results in order. */
async function eachLimited<T, R>(list: readonly T[], f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(list.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(CHECK_CONCURRENCY, list.length) }, async () => {
    for (let i = next++; i < list.length; i = next++) out[i] = await f(list[i]!);
  }));
  return out;
}

/**
 * `count` open tasks of `userId`, each with one reminder at `remindAt`. The first is created
 * through the API (which also stores the user's profile, the reminder's email address); the rest
 * are the items createTask writes for the same request body (task and reminder, built by the
 * tasks model; the audit entry, which no job reads, is left out), bulk-loaded.
 */
async function createTasks(userId: string, count: number, remindAt: number) {
  const body = (i: number) => ({ title: `Scale ${i}`, reminders: [{ at: iso(remindAt) }] });
  const res = await crm.request('POST', '/v1/tasks', { role: 'sales', userId, body: body(0) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const ids: string[] = [res.body.id];
  const items: Record<string, unknown>[] = [];
  const now = new Date();
  const at = now.toISOString();
  for (let i = 1; i < count; i++) {
    const { specs, nextNo } = taskModel.numberReminders(body(i).reminders.map((r) => ({ at: taskModel.isoInstant(r.at) })), [], 1);
    const task: TaskItem = {
      id: newId('tsk'), title: body(i).title, status: 'open', priority: 'normal', assigneeId: resolveUser('sales', userId).id,
      reminders: specs, nextReminderNo: nextNo, version: 1, createdAt: at, updatedAt: at, createdBy: userId, updatedBy: userId,
    };
    items.push(taskRepo.taskStored(task), ...taskModel.planReminders(task, [], now).put.map((p) => taskRepo.reminderStored(p.item)));
    ids.push(task.id);
  }
  await bulkPut(crm, items);
  if (count > 1) await expectSameShape(keys.reminder.primary(ids[0]!, 1), keys.reminder.primary(ids[1]!, 1));
  return ids;
}

/** A bulk-loaded item has the attributes (index keys included) of the one the API wrote: the builders have not drifted. */
async function expectSameShape(fromApi: Record<string, string>, bulkLoaded: Record<string, string>) {
  const [a, b] = await Promise.all([getItem(fromApi), getItem(bulkLoaded)]);
  expect(Object.keys(b ?? {}).sort()).toEqual(Object.keys(a ?? {}).sort());
}

async function emailsTo(userId: string) {
  return (await crm.sentEmails()).filter((e) => e.destination.to.includes(`${userId}@example.com`));
}

async function notificationsOf(userId: string) {
  const res = await crm.request('GET', '/v1/notifications?limit=100', { role: 'sales', userId });
  expect(res.status).toBe(200);
  return res.body.items as any[];
}

const getItem = async (key: Record<string, string>) => (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: key, ConsistentRead: true }))).Item;

/** Makes SES answer with `name`/`message` for this user's emails, `times` times; the rest go through. Records every send's time. */
async function sesProbe(userId?: string, times = 0, name = 'TooManyRequestsException', message = 'Maximum sending rate exceeded.') {
  const client = await email.sesClient();
  const original = client.send.bind(client);
  const sentAt: number[] = [];
  let left = times;
  vi.spyOn(client, 'send').mockImplementation(((command: any, ...rest: any[]) => {
    const to: string[] | undefined = command.input?.Destination?.ToAddresses;
    if (to) sentAt.push(Date.now());
    if (userId && left > 0 && to?.includes(`${userId}@example.com`)) {
      left -= 1;
      const err = new Error(message);
      err.name = name;
      return Promise.reject(err);
    }
    return (original as any)(command, ...rest);
  }) as any);
  return sentAt;
}

/** Makes the DynamoDB client fail the next `times` commands that `match` (a crash at that point of the job). */
function crashOn(match: (input: any) => boolean, times = 1) {
  const client = data.ddb();
  const original = client.send.bind(client);
  let left = times;
  return vi.spyOn(client, 'send').mockImplementation(((command: any, ...rest: any[]) => {
    if (left > 0 && match(command.input ?? {})) {
      left -= 1;
      const err = new Error('injected crash');
      err.name = 'InjectedCrash';
      return Promise.reject(err);
    }
    return (original as any)(command, ...rest);
  }) as any);
}

describe('reminders: time budget and resume', () => {
  it('a run with a tiny budget stops and reports more; the next runs finish with one email and one notification per reminder', async () => {
    const user = newUser();
    const t0 = lane(0);
    // A 200 ms budget at RATE sends per second holds at most 200 × RATE / 1000 + 1 = 5 sends, so N
    // reminders need at least four runs: more than one budget's worth, which is all this needs.
    const N = 20;
    const ids = await createTasks(user, N, t0);
    const first = await run('reminders', t0, 200);
    expect(first.more).toBe(true);
    expect(first.emailed).toBeGreaterThan(0);
    expect(first.emailed).toBeLessThan(N);
    expect(first.oldestDueAgeSeconds).toBe(0);

    const rest = await runUntilDone(() => run('reminders', t0, 200));
    const runs = [first, ...rest];
    expect(runs.length).toBeGreaterThan(2);
    expect(runs.reduce((n, r) => n + r.emailed, 0)).toBeGreaterThanOrEqual(N);
    const sent = await emailsTo(user);
    expect(sent).toHaveLength(N);
    expect(new Set(sent.map((e) => e.body.text)).size).toBe(N);
    expect(await notificationsOf(user)).toHaveLength(N);
    for (const item of await Promise.all(ids.map((id) => getItem(keys.reminder.primary(id, 1))))) expect(item).toMatchObject({ status: 'delivered', attempts: 1 });
    // Nothing left: a later run finds nothing of this lane.
    await run('reminders', t0 + MIN);
    expect(await emailsTo(user)).toHaveLength(N);
  }, 180_000);

  it('reports how long the oldest due reminder has waited', async () => {
    const user = newUser();
    const t0 = lane(1);
    await createTasks(user, 1, t0);
    const result = await run('reminders', t0 + 7 * MIN);
    expect(result).toMatchObject({ emailed: 1, oldestDueAgeSeconds: 7 * 60, more: false });
  });

  it('two overlapping runs with tiny budgets deliver each reminder exactly once', async () => {
    const user = newUser();
    const t0 = lane(2);
    await createTasks(user, 24, t0);
    for (let i = 0; i < 100; i++) {
      const results = await Promise.all([run('reminders', t0, 150), run('reminders', t0, 150)]);
      if (results.every((r) => !r.more)) break;
    }
    expect(await emailsTo(user)).toHaveLength(24);
    expect(await notificationsOf(user)).toHaveLength(24);
  }, 180_000);
});

describe('reminders: SES throttling and the send rate', () => {
  it('a rate-throttled email goes back into the due index without using up an attempt', async () => {
    const user = newUser();
    const t0 = lane(3);
    const [id] = await createTasks(user, 1, t0);
    // More throttles than MAX_EMAIL_ATTEMPTS (5): were they attempts, the job would give up.
    await sesProbe(user, 7);
    const { resetSendRateForTests } = await import('../../functions/notifications/send-rate');
    const outcomes: Result[] = [];
    for (let m = 0; m <= 8; m++) {
      // The runs are a minute apart, so the pause a rate throttle puts on the container's sends
      // (THROTTLE_PAUSE_MS, test/unit/send-rate.test.ts) is long over when the next one starts.
      // Run back to back they would each sit out that second: a fresh limiter is that minute.
      resetSendRateForTests();
      outcomes.push(await run('reminders', t0 + m * MIN));
    }
    expect(outcomes.slice(0, 7).map((o) => o.throttled)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(outcomes[7]).toMatchObject({ emailed: 1, gaveUp: 0 });
    expect(await emailsTo(user)).toHaveLength(1);
    expect(await notificationsOf(user)).toHaveLength(1);
    expect(await getItem(keys.reminder.primary(id!, 1))).toMatchObject({ status: 'delivered', email: 'sent', attempts: 1, throttles: 7 });
  }, 60_000);

  it('a daily-quota error is not a rate throttle: it counts as an attempt and backs off', async () => {
    const user = newUser();
    const t0 = lane(4);
    const [id] = await createTasks(user, 1, t0);
    await sesProbe(user, 1, 'ThrottlingException', 'Daily message quota exceeded.');
    expect(await run('reminders', t0)).toMatchObject({ retried: 1, throttled: 0 });
    expect(await getItem(keys.reminder.primary(id!, 1))).toMatchObject({ status: 'pending', attempts: 1, lastError: 'ThrottlingException' });
  });

  it(`never sends faster than the configured rate (${RATE}/s), measured over every one-second window`, async () => {
    const user = newUser();
    const t0 = lane(5);
    await createTasks(user, 45, t0);
    const sentAt = await sesProbe();
    await runUntilDone(() => run('reminders', t0));
    expect(await emailsTo(user)).toHaveLength(45);
    expect(sentAt.length).toBeGreaterThanOrEqual(45);
    sentAt.sort((a, b) => a - b);
    // Any window of one second holds at most RATE sends plus the one at its start boundary.
    let busiest = 0;
    for (let i = 0; i < sentAt.length; i++) {
      let j = i;
      while (j < sentAt.length && sentAt[j]! < sentAt[i]! + 1000) j++;
      busiest = Math.max(busiest, j - i);
    }
    expect(busiest).toBeLessThanOrEqual(RATE + 1);
    // And over the whole run: n sends need at least (n - 1) intervals of 1/RATE seconds.
    expect(sentAt.at(-1)! - sentAt[0]!).toBeGreaterThanOrEqual(((sentAt.length - 1) * 1000) / RATE - 1);
  }, 120_000);
});

describe('daily jobs: budget, continuation and checkpoints', () => {
  const TZ = 'UTC';
  const today = () => localDateOf(new Date(), TZ);
  const noon = () => zonedTimeToInstant(today(), TZ, 12);

  const customerBody = (tier: string) => ({ type: 'person' as const, name: `Scale ${Math.random()}`, ownerId: owner, tier });

  async function customer(tier: string) {
    const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: customerBody(tier) });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  /**
   * `count` customers of `tier`: the first through the API, the rest the items createCustomer
   * writes for the same body (customer and its key-event audit entry, planned by the customers
   * repository), bulk-loaded.
   */
  async function customers(tier: string, count: number) {
    const ids = [await customer(tier)];
    const items: Record<string, unknown>[] = [];
    const now = new Date();
    const at = now.toISOString();
    for (let i = 1; i < count; i++) {
      const item: CustomerItem = {
        id: newId('cus'), ...customerBody(tier), tags: [], contactCount: 0, contactsRev: 0, version: 1,
        createdAt: at, updatedAt: at, createdBy: admin.id, updatedBy: admin.id,
      };
      const tx = new Transaction();
      customerRepo.addCustomerWrites(tx, undefined, item, auditItem({
        customerId: item.id, entityType: 'customer', entityId: item.id, action: 'created', actor: { userId: admin.id, role: 'admin', groups: [] }, at: now, version: 1, changes: [], timeline: true,
      }));
      items.push(...plannedPuts(tx));
      ids.push(item.id);
    }
    await bulkPut(crm, items);
    if (count > 1) await expectSameShape(keys.customer.primary(ids[0]!), keys.customer.primary(ids[1]!));
    return ids;
  }

  /**
   * `count` assets of one customer whose service anniversary lies `inDays` ahead (within the lead
   * days). The first through the API; the rest the items createAsset writes for the same body
   * (the schedule computed by the assets model from the stored rules and the customer's tier),
   * bulk-loaded.
   */
  async function dueAssets(count: number, inDays: number) {
    const customerId = await customer('B');
    const day = addDays(today(), inDays);
    // A day that exists in every year (month ends and 29 February are tested elsewhere).
    const anniversary = { ...day, day: Math.min(day.day, 28) };
    const purchase = formatDate({ ...anniversary, year: anniversary.year - 2 });
    const body = (i: number) => ({ productName: `Washer ${i}`, category: 'washing-machine', purchaseDate: purchase });
    const res = await crm.request('POST', `/v1/customers/${customerId}/assets`, { role: 'admin', body: body(0) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const ids: string[] = [res.body.id];
    const { customer: stored, rules } = await assetRepo.getCustomerAndRules(customerId);
    const now = new Date();
    const at = now.toISOString();
    const businessToday = localDateOf(now, config().businessTimeZone);
    const items: Record<string, unknown>[] = [];
    for (let i = 1; i < count; i++) {
      const fields = body(i);
      const asset: AssetItem = {
        id: newId('ast'), customerId, ...fields, ...assetModel.freshSchedule(fields, businessToday, rules, stored?.tier),
        rev: 1, version: 1, createdAt: at, updatedAt: at, createdBy: admin.id, updatedBy: admin.id,
      };
      items.push(
        assetRepo.assetStored(asset, assetModel.warrantyPending(asset, businessToday)),
        auditItem({ customerId, entityType: 'asset', entityId: asset.id, action: 'created', actor: { userId: admin.id, role: 'admin', groups: [] }, at: now, version: 1, changes: [], timeline: true }),
      );
      ids.push(asset.id);
    }
    await bulkPut(crm, items);
    if (count > 1) await expectSameShape(keys.asset.primary(ids[0]!), keys.asset.primary(ids[1]!));
    return { customerId, ids, anniversary: formatDate(anniversary) };
  }

  async function serviceTasksOf(customerId: string) {
    const res = await crm.request('GET', `/v1/tasks?customerId=${customerId}&status=open&limit=100`, { role: 'admin' });
    expect(res.status).toBe(200);
    return (res.body.items as any[]).filter((t) => String(t.sourceKey).startsWith('anniversary#'));
  }

  const pendingTime = async (job: string) => (await getItem(keys.jobState(job)))?.pendingTime;

  it('a daily run that stops on its budget leaves a marker; the continue-jobs tick finishes it for the same scheduled time, one task per asset', async () => {
    // With no budget every run works exactly one item, so N assets take one run and N - 1 ticks:
    // any N above one shows the work carried over tick after tick.
    const N = 10;
    const { customerId, ids, anniversary } = await dueAssets(N, 3);
    const at = noon();
    // No budget at all: a run still works one item (progress is guaranteed), then stops.
    const first = await run('service-anniversaries', at, 0);
    expect(first).toMatchObject({ processed: 1, more: true });
    expect(await pendingTime('service-anniversaries')).toBe(at.toISOString());

    // The tick runs at its own time; the continued run uses the pending (scheduled) time.
    const ticks = await runUntilDone(() => run('continue-jobs', new Date(at.getTime() + 5 * MIN), 0));
    expect(ticks.length).toBe(N - 1);
    expect(ticks.at(-1)).toMatchObject({ continued: ['service-anniversaries'], more: false });
    expect(await pendingTime('service-anniversaries')).toBeUndefined();
    const tasks = await serviceTasksOf(customerId);
    expect(tasks).toHaveLength(N);
    expect(new Set(tasks.map((t) => t.sourceKey)).size).toBe(N);
    // Every asset's schedule moved on to its next anniversary (the item's checkpoint).
    for (const item of await Promise.all(ids.map((id) => getItem(keys.asset.primary(id))))) expect(item?.serviceHandledThrough).toBe(anniversary);
    // With nothing pending the tick is one BatchGetItem.
    const { usage } = await data.withDbUsage(() => run('continue-jobs', new Date(at.getTime() + 30 * MIN)));
    expect(usage.commands).toEqual(['BatchGetItem']);
  }, 180_000);

  it('a crash between a task and its checkpoint (the schedule move) loses nothing and creates nothing twice', async () => {
    const { customerId } = await dueAssets(12, 4);
    const at = noon();
    // The first four schedule moves fail after their tasks were written.
    crashOn((input) => String(input.UpdateExpression ?? '').startsWith('SET serviceHandledThrough'), 4);
    await expect(run('service-anniversaries', at)).rejects.toThrow(/4 item\(s\) failed/);
    vi.restoreAllMocks();
    expect(await serviceTasksOf(customerId)).toHaveLength(12);
    const again = await run('service-anniversaries', at);
    expect(again).toMatchObject({ existing: 4, created: 0, more: false });
    expect(await serviceTasksOf(customerId)).toHaveLength(12);
  }, 120_000);

  it('overlapping daily runs with tiny budgets create one task per asset', async () => {
    const { customerId } = await dueAssets(20, 5);
    const at = noon();
    for (let i = 0; i < 100; i++) {
      const results = await Promise.all([run('service-anniversaries', at, 0), run('service-anniversaries', at, 0), run('continue-jobs', at, 0)]);
      if (results.every((r) => !r.more)) break;
    }
    expect(await serviceTasksOf(customerId)).toHaveLength(20);
  }, 180_000);

  it('dormancy: the feed checkpoint moves per page; a crash before a page checkpoint and overlapping runs duplicate nothing', async () => {
    // More key events than one feed page, so the sweep saves a cursor between pages. One more is
    // enough (its own customers' created events alone overflow the page); each customer costs about
    // four writes in the sweep, so a larger margin only adds time. Were the page larger, the crash
    // below would never fire and the test would fail, not pass vacuously.
    const quiet = await customers('A', FEED_PAGE_SIZE + 1);
    const at = new Date(Date.now() + 31 * DAY);
    // Dies right after the first page's trackers were written, before its cursor was saved.
    crashOn((input) => String(input.UpdateExpression ?? '').includes('sweep = :sweep'), 1);
    await expect(run('dormant-customers', at, 60_000)).rejects.toThrow('injected crash');
    vi.restoreAllMocks();
    expect((await getItem(keys.jobState('dormant-customers')))?.sweep).toBeUndefined();

    // A tiny budget: one feed page per run, the cursor saved in between; two runs side by side.
    const first = await run('dormant-customers', at, 1);
    expect(first.more).toBe(true);
    expect((await getItem(keys.jobState('dormant-customers')))?.sweep?.cursor).toMatch(/^\d{4}-\d{2}\|\{/);
    for (let i = 0; i < 300; i++) {
      const results = await Promise.all([run('dormant-customers', at, 200), run('continue-jobs', at, 200)]);
      if (results.every((r) => !r.more)) break;
    }
    const state = await getItem(keys.jobState('dormant-customers'));
    expect(state?.sweep).toBeUndefined();
    expect(state?.pendingTime).toBeUndefined();
    const openTasks = await eachLimited(quiet, async (id) => (await crm.request('GET', `/v1/tasks?customerId=${id}&status=open&limit=10`, { role: 'admin' })).body.items);
    quiet.forEach((id, i) => expect(openTasks[i].map((t: any) => t.sourceKey), id).toEqual([`dormant#${id}`]));
  }, 300_000);

  it('a job that throws reports the failure and leaves the continuation marker for the next tick', async () => {
    const at = new Date(noon().getTime() + HOUR);
    await crm.ddb.send(new UpdateCommand({
      TableName: crm.tableName,
      Key: keys.jobState('warranty-ending'),
      UpdateExpression: 'SET pendingTime = :t',
      ExpressionAttributeValues: { ':t': at.toISOString() },
    }));
    crashOn((input) => input.IndexName === 'gsi3' && String(input.ExpressionAttributeValues?.[':pk'] ?? '').startsWith('ASSETS#WARRANTY'), 1);
    await expect(run('continue-jobs', at)).rejects.toThrow(/1 item\(s\) failed/);
    vi.restoreAllMocks();
    expect(await pendingTime('warranty-ending')).toBe(at.toISOString());
    expect(await run('continue-jobs', at)).toMatchObject({ continued: ['warranty-ending'], more: false });
    expect(await pendingTime('warranty-ending')).toBeUndefined();
  });
});
