/**
 * Tasks end to end through the gateway against DynamoDB Local: creation rules and validation,
 * row-level visibility (assigned to or created by), reassigning, completing/reopening, lists sorted
 * by due time with status / assignee / customer / overdue-today-week filters in the business time
 * zone (Europe/Berlin here), one DynamoDB request per read and per list page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dayRange, weekRange } from '../../functions/calendar/business-calendar';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';
process.env.BUSINESS_TIME_ZONE = 'Europe/Berlin';

let crm: TestStack;
let seq = 0;
const newUser = () => `tsk-${Date.now().toString(36)}-${(seq++).toString(36)}`;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (t: number | Date) => new Date(t).toISOString();
const future = (ms: number) => iso(Date.now() + ms);

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

async function create(userId: string, body: Record<string, unknown>, role: 'sales' | 'manager' | 'admin' | 'marketing' = 'sales') {
  const res = await crm.request('POST', '/v1/tasks', { role, userId, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const list = (userId: string, query = '', role: 'sales' | 'manager' = 'sales') => crm.request('GET', `/v1/tasks${query}`, { role, userId });
const titles = (res: { body: { items: { title: string }[] } }) => res.body.items.map((t) => t.title);

describe('creating tasks', () => {
  it('creates an open task for the caller with defaults, reminders resolved, ETag and Location', async () => {
    const user = newUser();
    const due = future(3 * DAY);
    const res = await crm.request('POST', '/v1/tasks', {
      role: 'sales', userId: user,
      body: { title: '  Send the quote  ', dueAt: due, reminders: [{ beforeDue: 'P1DT2H' }, { beforeDue: 15 }, { at: future(DAY) }] },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ title: 'Send the quote', status: 'open', priority: 'normal', assigneeId: user, createdBy: user, version: 1, dueAt: due });
    expect(res.body.id).toMatch(/^tsk_[0-9A-Z]{26}$/);
    expect(res.body.reminders.map((r: any) => r.beforeDue ?? 'abs')).toEqual(['P1DT2H', 'PT15M', 'abs']);
    expect(res.body.reminders[0].remindAt).toBe(iso(Date.parse(due) - DAY - 2 * HOUR));
    expect(res.body.reminders.every((r: any) => r.status === 'pending')).toBe(true);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe(`/v1/tasks/${res.body.id}`);
  });

  it('rejects bad input precisely and writes nothing', async () => {
    const user = newUser();
    const cases: [Record<string, unknown>, string][] = [
      [{ title: 'Past', reminders: [{ at: iso(Date.now() - 60_000) }] }, 'reminders.0'],
      [{ title: 'Relative without due', reminders: [{ beforeDue: 'PT10M' }] }, 'reminders.0'],
      [{ title: 'Too many', dueAt: future(DAY), reminders: Array(6).fill({ beforeDue: 5 }) }, 'reminders'],
      [{ title: 'Bad duration', dueAt: future(DAY), reminders: [{ beforeDue: 'P1M' }] }, 'reminders.0.beforeDue'],
      [{ title: 'Both', dueAt: future(DAY), reminders: [{ at: future(HOUR), beforeDue: 5 }] }, 'reminders.0'],
      [{ title: 'Mismatch', related: { type: 'contact', id: 'cus_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E' } }, 'related.id'],
      [{ title: 'Zone', dueAt: '2026-01-01T10:00:00+02:00' }, 'dueAt'],
      [{ title: '' }, 'title'],
      [{ title: 'x', priority: 'asap' }, 'priority'],
      [{ title: 'x', colour: 'red' }, ''],
    ];
    for (const [body, path] of cases) {
      const res = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: user, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors.map((e: any) => e.path).join(' '), JSON.stringify(res.body.errors)).toContain(path);
    }
    expect((await list(user)).body.items).toEqual([]);
  });

  it('needs tasks:assign to assign someone else; the customer must be visible to the caller', async () => {
    const rep = newUser();
    const other = newUser();
    const forbidden = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: rep, body: { title: 'For a colleague', assigneeId: other } });
    expect(forbidden.status).toBe(403);
    const byManager = await create(newUser(), { title: 'Delegated', assigneeId: rep }, 'manager');
    expect(byManager.assigneeId).toBe(rep);

    const foreign = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Not yours', ownerId: other } });
    const hidden = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: rep, body: { title: 'Peek', customerId: foreign.body.id } });
    expect(hidden.status).toBe(400);
    expect(hidden.body.errors).toEqual([{ path: 'customerId', message: 'No such customer' }]);
    const mine = await crm.request('POST', '/v1/customers', { role: 'sales', userId: rep, body: { type: 'company', name: 'Mine' } });
    const ok = await create(rep, { title: 'Visit', related: { type: 'customer', id: mine.body.id } });
    expect(ok.customerId).toBe(mine.body.id);
  });

  it('replays a POST with the same Idempotency-Key instead of creating a second task', async () => {
    const user = newUser();
    const headers = { 'idempotency-key': `k-${user}` };
    const first = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: user, body: { title: 'Once' }, headers });
    const second = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: user, body: { title: 'Once' }, headers });
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect((await list(user)).body.items).toHaveLength(1);
  });
});

describe('reading and changing tasks', () => {
  it('reads a task in one DynamoDB request; other users get 404 unless assigned, creator or scope all', async () => {
    const creator = newUser();
    const task = await create(creator, { title: 'Read me', reminders: [{ at: future(HOUR) }] });
    await list(creator); // the caller's profile is written on their first request; later ones cost nothing extra
    const res = await crm.request('GET', `/v1/tasks/${task.id}`, { role: 'sales', userId: creator });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-db-requests')).toBe('1');
    expect(res.headers.get('etag')).toBe('"1"');
    expect((await crm.request('GET', `/v1/tasks/${task.id}`, { role: 'sales', userId: newUser() })).status).toBe(404);
    expect((await crm.request('GET', `/v1/tasks/${task.id}`, { role: 'marketing' })).status).toBe(404);
    expect((await crm.request('GET', `/v1/tasks/${task.id}`, { role: 'manager' })).status).toBe(200);
    expect((await crm.request('GET', '/v1/tasks/tsk_00000000000000000000000000', { role: 'admin' })).status).toBe(404);
    expect((await crm.request('GET', '/v1/tasks/not-an-id', { role: 'admin' })).status).toBe(404);
  });

  it('completes, reopens and cancels, honouring If-Match', async () => {
    const user = newUser();
    const task = await create(user, { title: 'Lifecycle', dueAt: future(DAY) });
    const stale = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { status: 'done' }, headers: { 'if-match': '"7"' } });
    expect(stale.status).toBe(412);
    const done = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { status: 'done' }, headers: { 'if-match': '"1"' } });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'done', version: 2 });
    expect(done.body.completedAt).toBeTruthy();
    expect(titles(await list(user))).toEqual([]);
    expect(titles(await list(user, '?status=done'))).toEqual(['Lifecycle']);
    const reopened = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { status: 'open' } });
    expect(reopened.body).toMatchObject({ status: 'open', version: 3 });
    expect(reopened.body.completedAt).toBeUndefined();
    const cancelled = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { status: 'cancelled' } });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', version: 4 });
    expect(titles(await list(user, '?status=cancelled'))).toEqual(['Lifecycle']);
    const nothing = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { status: 'cancelled' } });
    expect(nothing.body.version).toBe(4);
    const empty = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: {} });
    expect(empty.status).toBe(400);
  });

  it('reassigns: reps only to themselves, managers to anyone; the task moves between lists', async () => {
    const rep1 = newUser();
    const rep2 = newUser();
    const task = await create(rep1, { title: 'Hand over', dueAt: future(DAY) });
    const denied = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: rep1, body: { assigneeId: rep2 } });
    expect(denied.status).toBe(403);
    const moved = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'manager', body: { assigneeId: rep2 } });
    expect(moved.status).toBe(200);
    expect(moved.body.assigneeId).toBe(rep2);
    expect(titles(await list(rep1))).toEqual([]);
    expect(titles(await list(rep2))).toEqual(['Hand over']);
    // The creator still sees it (scope own = assigned to or created by) and may take it back.
    expect((await crm.request('GET', `/v1/tasks/${task.id}`, { role: 'sales', userId: rep1 })).status).toBe(200);
    const back = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: rep1, body: { assigneeId: rep1 } });
    expect(back.body.assigneeId).toBe(rep1);
  });

  it('rejects clearing dueAt while relative reminders need it, and new reminders in the past', async () => {
    const user = newUser();
    const task = await create(user, { title: 'Relative', dueAt: future(DAY), reminders: [{ beforeDue: 'PT1H' }] });
    const cleared = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { dueAt: null } });
    expect(cleared.status).toBe(400);
    const past = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { reminders: [{ beforeDue: 'PT1H' }, { at: iso(Date.now() - 1000) }] } });
    expect(past.status).toBe(400);
    expect(past.body.errors[0].path).toBe('reminders.1');
    const replaced = await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { dueAt: null, reminders: [{ at: future(HOUR) }] } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.reminders).toHaveLength(1);
    expect(replaced.body.dueAt).toBeUndefined();
  });
});

describe('listing tasks', () => {
  it('sorts by due time with undated tasks last, one Query per page, and pages with a signed cursor', async () => {
    const user = newUser();
    await create(user, { title: 'No date' });
    await create(user, { title: 'Third', dueAt: future(3 * DAY) });
    await create(user, { title: 'First', dueAt: future(DAY) });
    await create(user, { title: 'Second', dueAt: future(2 * DAY) });
    const page1 = await list(user, '?limit=2');
    expect(titles(page1)).toEqual(['First', 'Second']);
    expect(page1.headers.get('x-db-requests')).toBe('1');
    expect(page1.headers.get('x-db-commands')).toBe('Query');
    const page2 = await list(user, `?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`);
    expect(titles(page2)).toEqual(['Third', 'No date']);
    expect(page2.headers.get('x-db-requests')).toBe('1');
    const tampered = await list(user, `?limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}&status=done`);
    expect(tampered.status).toBe(400);
  });

  it('filters overdue / today / this week at the business time zone\'s day and week boundaries', async () => {
    const user = newUser();
    const now = new Date();
    const [dayStart, dayEnd] = dayRange(now, 'Europe/Berlin');
    const [weekStart, weekEnd] = weekRange(now, 'Europe/Berlin');
    const tasks: [string, number][] = [
      ['last week', weekStart.getTime() - 1],
      ['yesterday last ms', dayStart.getTime() - 1],
      ['today first ms', dayStart.getTime()],
      ['today last ms', dayEnd.getTime() - 1],
      ['tomorrow first ms', dayEnd.getTime()],
      ['week last ms', weekEnd.getTime() - 1],
      ['next week', weekEnd.getTime()],
    ];
    // Reminder-less tasks may be created with any due date, past included.
    for (const [title, t] of tasks) await create(user, { title, dueAt: iso(t) });
    await create(user, { title: 'undated' });
    const done = await create(user, { title: 'done yesterday', dueAt: iso(dayStart.getTime() - HOUR) });
    await crm.request('PATCH', `/v1/tasks/${done.id}`, { role: 'sales', userId: user, body: { status: 'done' } });

    const inRange = (from: number, to: number) => tasks.filter(([, t]) => t >= from && t < to).map(([title]) => title);
    expect(titles(await list(user, '?due=today'))).toEqual(inRange(dayStart.getTime(), dayEnd.getTime()));
    expect(titles(await list(user, '?due=week&limit=100'))).toEqual(inRange(weekStart.getTime(), weekEnd.getTime()));
    const overdue = await list(user, '?due=overdue');
    expect(titles(overdue)).toEqual(tasks.filter(([, t]) => t < Date.now()).map(([title]) => title));
    expect(overdue.headers.get('x-db-requests')).toBe('1');
    expect(titles(await list(user, '?due=overdue&status=done'))).toEqual(['done yesterday']);
  });

  it('lists another user\'s or a customer\'s tasks for scope all only', async () => {
    const rep = newUser();
    const customer = await crm.request('POST', '/v1/customers', { role: 'sales', userId: rep, body: { type: 'company', name: 'Tasks Inc' } });
    await create(rep, { title: 'About the customer', customerId: customer.body.id, dueAt: future(DAY) });
    await create(rep, { title: 'Unrelated', dueAt: future(DAY) });
    await create(newUser(), { title: 'Manager task on it', customerId: customer.body.id }, 'manager');

    expect((await list(rep, `?assigneeId=${newUser()}`)).status).toBe(403);
    expect(titles(await list(rep, `?assigneeId=${rep}`))).toEqual(['About the customer', 'Unrelated']);
    expect(titles(await list(rep, `?customerId=${customer.body.id}`))).toEqual(['About the customer']);
    const asManager = await crm.request('GET', `/v1/tasks?assigneeId=${rep}`, { role: 'manager' });
    expect(titles(asManager)).toEqual(['About the customer', 'Unrelated']);
    const byCustomer = await crm.request('GET', `/v1/tasks?customerId=${customer.body.id}`, { role: 'manager' });
    expect(titles(byCustomer)).toEqual(['About the customer', 'Manager task on it']);
    expect(byCustomer.headers.get('x-db-requests')).toBe('1');
  });
});

describe('audit and events', () => {
  it('records task.created and task.completed events (ids and field names only)', async () => {
    const user = newUser();
    const task = await create(user, { title: 'Evented', notes: 'private notes' });
    await crm.request('PATCH', `/v1/tasks/${task.id}`, { role: 'sales', userId: user, body: { status: 'done' } });
    const events = await crm.waitForEvents((e: any) => JSON.stringify(e).includes(task.id), 2);
    const types = events.map((e: any) => e.DetailType ?? e.detailType ?? e['detail-type']);
    expect(types).toEqual(expect.arrayContaining(['task.created', 'task.completed']));
    expect(JSON.stringify(events)).not.toContain('private notes');
  });
});
