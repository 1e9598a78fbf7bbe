/**
 * Proactive reminder jobs (service anniversaries, warranty ending, dormant customers) against
 * DynamoDB Local, run by importing the jobs handler and invoking it with `{ job, time }` as
 * EventBridge does. Dates are computed in a business time zone east of UTC (Asia/Shanghai), so
 * "today" differs from the UTC date for part of each day.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addDays, addMonths, formatDate, type LocalDate, localDateOf, parseDate, startOfLocalDay, zonedTimeToInstant,
} from '../../functions/calendar/business-calendar';
import { keys } from '../../functions/data/keys';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.BUSINESS_TIME_ZONE = 'Asia/Shanghai';
const TZ = 'Asia/Shanghai';

let crm: TestStack;
let jobs: typeof import('../../functions/jobs/handler');
let client: typeof import('../../functions/data/client');
const rep1 = SALES_REPS[0]!.id;
const queueUser = 'service-queue-user';

const RULES = {
  categories: [{ category: 'washing-machine', intervalMonths: 24 }, { category: 'boiler', intervalMonths: 12 }],
  tierIntervalMonths: { A: 12 },
  leadDays: 14,
  assignTo: 'owner',
  warrantyReminderDays: 30,
  dormancyDays: { A: 30, B: 60 },
};

beforeAll(async () => {
  crm = await startTestStack();
  jobs = await import('../../functions/jobs/handler');
  client = await import('../../functions/data/client');
  const res = await crm.request('PUT', '/v1/settings/service-rules', { role: 'admin', body: RULES });
  expect(res.status).toBe(200);
});
afterAll(async () => {
  await crm?.stop();
});

/** Counts reported by a job run (created, existing, due, …). */
const run = async (job: string, time: Date) => (await jobs.handler({ job, time: time.toISOString() })) as unknown as Record<string, number>;
const today = () => localDateOf(new Date(), TZ);
/** A date n days from today with the day of month at most 28, so "same day N years earlier" exists. */
const safeDay = (n: number): LocalDate => { const d = addDays(today(), n); return { ...d, day: Math.min(d.day, 28) }; };
const noon = (d: LocalDate) => zonedTimeToInstant(d, TZ, 12);
const DAY = 86_400_000;

async function customer(tier?: string, ownerId = rep1) {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'person', name: `Proactive ${Math.random()}`, ownerId, ...(tier ? { tier } : {}) } });
  expect(res.status).toBe(201);
  return res.body as { id: string; createdAt: string };
}

async function asset(customerId: string, body: Record<string, unknown>) {
  const res = await crm.request('POST', `/v1/customers/${customerId}/assets`, { role: 'admin', body: { productName: 'Washer 3000', category: 'washing-machine', ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; nextServiceOn?: string };
}

async function tasksOf(customerId: string, status = 'open') {
  const res = await crm.request('GET', `/v1/tasks?customerId=${customerId}&status=${status}&limit=100`, { role: 'admin' });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items as any[];
}

const readAsset = async (id: string) => (await crm.request('GET', `/v1/assets/${id}`, { role: 'admin' })).body;

describe('service anniversaries', () => {
  it('creates the task leadDays ahead, from local midnight in the business zone, for the owner', async () => {
    const c = await customer('B');
    const anniversary = safeDay(30);
    const bought = formatDate({ ...anniversary, year: anniversary.year - 2 });
    const a = await asset(c.id, { purchaseDate: bought, serialNumber: 'SN-1' });
    expect(a.nextServiceOn).toBe(formatDate(anniversary));

    // Due on (anniversary − 14 days) from 00:00 Shanghai time, i.e. 16:00 UTC the day before.
    const dueDay = addDays(anniversary, -14);
    const midnight = startOfLocalDay(dueDay, TZ);
    expect(midnight.getUTCHours()).toBe(16);
    expect((await run('service-anniversaries', new Date(midnight.getTime() - 30 * 60_000))).created).toBe(0);
    expect(await tasksOf(c.id)).toHaveLength(0);
    const first = await run('service-anniversaries', new Date(midnight.getTime() + 30 * 60_000));
    expect(first.created).toBe(1);

    const [task] = await tasksOf(c.id);
    expect(task).toMatchObject({
      title: 'Service visit: Washer 3000',
      assigneeId: rep1,
      createdBy: 'system',
      sourceKey: `anniversary#${a.id}#${formatDate(anniversary)}`,
      dueAt: zonedTimeToInstant(anniversary, TZ, 9).toISOString(),
      related: { type: 'asset', id: a.id },
    });
    expect(task.notes).toContain('every 2 years');
    expect(task.reminders[0].at).toBe(zonedTimeToInstant(dueDay, TZ, 9).toISOString());
    expect((await readAsset(a.id)).nextServiceOn).toBe(formatDate(addMonths(parseDate(bought), 48)));
  });

  it('never creates the same anniversary task twice: repeated and concurrent runs', async () => {
    const c = await customer('B');
    const anniversary = safeDay(3);
    const a = await asset(c.id, { purchaseDate: formatDate({ ...anniversary, year: anniversary.year - 2 }) });
    const at = noon(today());
    const results = await Promise.all([1, 2, 3, 4].map(() => run('service-anniversaries', at)));
    expect(results.reduce((n, r) => n + (r.created ?? 0), 0)).toBeGreaterThanOrEqual(1);
    await run('service-anniversaries', at);
    await run('service-anniversaries', new Date(at.getTime() + 3 * DAY));
    const tasks = await tasksOf(c.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0].sourceKey).toBe(`anniversary#${a.id}#${formatDate(anniversary)}`);
  });

  it('uses the tier interval when shorter (VIP yearly) and catches up after a gap with one task for the latest anniversary', async () => {
    const vip = await customer('A');
    const first = safeDay(5);
    const a = await asset(vip.id, { purchaseDate: formatDate({ ...first, year: first.year - 1 }) });
    expect(a.nextServiceOn).toBe(formatDate(first)); // 24 months for the category, 12 for tier A

    // The job was down for two years: the anniversaries of `first` and `first + 1 year` were missed.
    const late = noon(addDays({ ...first, year: first.year + 2 }, -3));
    const result = await run('service-anniversaries', late);
    expect(result.created).toBeGreaterThanOrEqual(1);
    const tasks = await tasksOf(vip.id);
    expect(tasks.map((t) => t.sourceKey)).toEqual([`anniversary#${a.id}#${formatDate({ ...first, year: first.year + 2 })}`]);
    expect((await readAsset(a.id)).nextServiceOn).toBe(formatDate({ ...first, year: first.year + 3 }));
  });

  it('puts 29 February anniversaries on 28 February in common years', async () => {
    const c = await customer('A');
    let leap = today().year - 1;
    while (new Date(Date.UTC(leap, 1, 29)).getUTCMonth() !== 1) leap--;
    const a = await asset(c.id, { category: 'boiler', purchaseDate: `${leap}-02-29` });
    const next = parseDate(a.nextServiceOn!);
    const isLeap = (y: number) => new Date(Date.UTC(y, 1, 29)).getUTCMonth() === 1;
    expect(formatDate(next)).toBe(`${next.year}-02-${isLeap(next.year) ? '29' : '28'}`);
    await run('service-anniversaries', noon(addDays(next, -14)));
    const [task] = await tasksOf(c.id);
    expect(task.sourceKey).toBe(`anniversary#${a.id}#${formatDate(next)}`);
    expect((await readAsset(a.id)).nextServiceOn).toBe(`${next.year + 1}-02-${isLeap(next.year + 1) ? '29' : '28'}`);
  });

  it('assigns to the service queue when the rules say so', async () => {
    const rules = (await crm.request('GET', '/v1/settings/service-rules', { role: 'admin' })).body;
    const put = await crm.request('PUT', '/v1/settings/service-rules', { role: 'admin', body: { ...RULES, assignTo: 'queue', queueUserId: queueUser }, headers: { 'if-match': `"${rules.version}"` } });
    expect(put.status).toBe(200);
    try {
      const c = await customer('B');
      const anniversary = safeDay(2);
      await asset(c.id, { purchaseDate: formatDate({ ...anniversary, year: anniversary.year - 2 }) });
      await run('service-anniversaries', noon(today()));
      expect((await tasksOf(c.id)).map((t) => t.assigneeId)).toEqual([queueUser]);
    } finally {
      await crm.request('PUT', '/v1/settings/service-rules', { role: 'admin', body: RULES });
    }
  });

  it('costs what is due, not what exists: a run with nothing due is two requests', async () => {
    for (let i = 0; i < 5; i++) await asset((await customer('B')).id, { purchaseDate: formatDate({ ...safeDay(200), year: today().year - 1 }) });
    const { usage } = await client.withDbUsage(() => run('service-anniversaries', noon(today())));
    expect(usage.commands).toEqual(['GetItem', 'Query']);
  });
});

describe('warranty ending', () => {
  it('creates one task N days before warrantyEndsOn and none for warranties already over when recorded', async () => {
    const c = await customer('C');
    const ends = addDays(today(), 40);
    const a = await asset(c.id, { category: 'lighting', purchaseDate: formatDate(addDays(today(), -300)), warrantyEndsOn: formatDate(ends) });
    await asset(c.id, { category: 'lighting', productName: 'Old lamp', purchaseDate: '2020-01-01', warrantyEndsOn: '2021-01-01' });
    expect((await run('warranty-ending', noon(today()))).created).toBe(0);
    const at = noon(addDays(ends, -30));
    await Promise.all([run('warranty-ending', at), run('warranty-ending', at)]);
    await run('warranty-ending', new Date(at.getTime() + 5 * DAY));
    const tasks = await tasksOf(c.id);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ sourceKey: `warranty#${a.id}#${formatDate(ends)}`, title: `Warranty ends ${formatDate(ends)}: Washer 3000`, assigneeId: rep1 });
    // Reminded assets leave the warranty index: a later run does not even read them.
    const { usage } = await client.withDbUsage(() => run('warranty-ending', new Date(at.getTime() + 6 * DAY)));
    expect(usage.commands).toEqual(['GetItem', 'Query']);
  });
});

describe('dormant customers', () => {
  const tracker = async (id: string) =>
    (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.customerActivity.primary(id), ConsistentRead: true }))).Item;

  it('raises one follow-up per quiet customer after the days of its tier, counting from the last activity or creation', async () => {
    const quiet = await customer('A');
    const talkedTo = await customer('A');
    const onlyNotes = await customer('A');
    const tierB = await customer('B');
    const noRule = await customer('C');
    const archived = await customer('A');
    const upgraded = await customer('B');
    const soon = new Date(Date.now() + 23 * 3600_000).toISOString();
    await crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId: talkedTo.id, type: 'call', direction: 'outbound', occurredAt: soon } });
    await crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId: onlyNotes.id, type: 'note', occurredAt: soon } });
    await crm.request('DELETE', `/v1/customers/${archived.id}`, { role: 'admin' });
    await crm.request('PATCH', `/v1/customers/${upgraded.id}`, { role: 'admin', body: { tier: 'A' } });

    const start = Date.now();
    expect((await run('dormant-customers', new Date(start + 10 * DAY))).created).toBe(0);
    const at = new Date(start + 30 * DAY + 12 * 3600_000);
    await Promise.all([run('dormant-customers', at), run('dormant-customers', at)]);
    await run('dormant-customers', at);

    const count = async (id: string) => (await tasksOf(id)).length;
    expect(await count(quiet.id)).toBe(1);
    expect(await count(onlyNotes.id)).toBe(1);
    expect(await count(upgraded.id)).toBe(1);
    expect(await count(talkedTo.id)).toBe(0);
    expect(await count(tierB.id)).toBe(0);
    expect(await count(noRule.id)).toBe(0);
    expect(await count(archived.id)).toBe(0);
    const [task] = await tasksOf(quiet.id);
    expect(task).toMatchObject({ sourceKey: `dormant#${quiet.id}`, assigneeId: rep1, related: { type: 'customer', id: quiet.id } });
    expect(task.title).toContain('no contact for 30+ days');
    expect((await tracker(quiet.id))?.lastFollowUpAt).toBe(at.toISOString());

    // 31 more days: the open follow-up is not duplicated; tier B is now due too.
    const later = new Date(start + 61 * DAY + 12 * 3600_000);
    await run('dormant-customers', later);
    expect(await count(quiet.id)).toBe(1);
    expect(await count(tierB.id)).toBe(1);
    expect(await count(talkedTo.id)).toBe(1);

    // Once the follow-up is closed, a customer still quiet gets the next one.
    const done = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'admin', body: { status: 'done' } });
    expect(done.status).toBe(200);
    await run('dormant-customers', new Date(start + 92 * DAY + 12 * 3600_000));
    expect(await count(quiet.id)).toBe(1);
    expect((await tasksOf(quiet.id, 'done')).map((t) => t.id)).toEqual([task.id]);
    expect((await tasksOf(quiet.id))[0].id).not.toBe(task.id);
  });
});
