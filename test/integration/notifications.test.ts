/**
 * In-app notifications: produced by the reminder job, listed newest first (unread filter), marked
 * read one by one or all at once (bounded, idempotent), never visible to anyone but the addressee.
 */
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
let jobs: typeof import('../../functions/jobs/handler');
let model: typeof import('../../functions/notifications/model');
let keys: typeof import('../../functions/data/keys');
let seq = 0;
const newUser = () => `ntf-${Date.now().toString(36)}-${(seq++).toString(36)}`;
const DAY = 86_400_000;

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
  jobs = await import('../../functions/jobs/handler');
  model = await import('../../functions/notifications/model');
  keys = await import('../../functions/data/keys');
});
afterAll(async () => {
  await crm?.stop();
});

const get = (userId: string, query = '') => crm.request('GET', `/v1/notifications${query}`, { role: 'sales', userId });

/** Fixture notifications written straight to the table (the reminder job is tested on its own). */
async function seed(userId: string, count: number) {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 25) {
    const batch = Array.from({ length: Math.min(25, count - i) }, (_, j) => {
      const id = keys.newId('ntf');
      ids.push(id);
      return { PutRequest: { Item: model.notificationStored({ id, userId, type: 'test', title: `N${i + j}`, createdAt: new Date().toISOString() }) } };
    });
    await crm.ddb.send(new BatchWriteCommand({ RequestItems: { [crm.tableName]: batch } }));
  }
  return ids;
}

describe('notifications', () => {
  it('lists the reminders the job delivered, newest first, one Query per page', async () => {
    const user = newUser();
    const t0 = Date.now() + 2 * DAY;
    for (const [i, title] of ['Older', 'Newer'].entries()) {
      const res = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: user, body: { title, reminders: [{ at: new Date(t0 + i * 60_000).toISOString() }] } });
      expect(res.status).toBe(201);
      await jobs.handler({ job: 'reminders', time: new Date(t0 + i * 60_000).toISOString() });
    }
    const page = await get(user, '?limit=1');
    expect(page.status).toBe(200);
    expect(page.body.items.map((n: any) => n.title)).toEqual(['Reminder: Newer']);
    expect(page.headers.get('x-db-requests')).toBe('1');
    const next = await get(user, `?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`);
    expect(next.body.items.map((n: any) => n.title)).toEqual(['Reminder: Older']);
    expect(next.headers.get('x-db-requests')).toBe('1');
    const wrongList = await get(user, `?limit=1&unread=true&cursor=${encodeURIComponent(page.body.nextCursor)}`);
    expect(wrongList.status).toBe(400);
  });

  it('marks one read (idempotently); the unread filter no longer shows it', async () => {
    const user = newUser();
    const [first, second] = await seed(user, 2);
    expect((await get(user, '?unread=true')).body.items).toHaveLength(2);
    const read = await crm.request('POST', `/v1/notifications/${first}/read`, { role: 'sales', userId: user });
    expect(read.status).toBe(200);
    expect(read.body.readAt).toBeTruthy();
    const again = await crm.request('POST', `/v1/notifications/${first}/read`, { role: 'sales', userId: user });
    expect(again.body.readAt).toBe(read.body.readAt);
    const unread = await get(user, '?unread=true');
    expect(unread.body.items.map((n: any) => n.id)).toEqual([second]);
    expect(unread.headers.get('x-db-requests')).toBe('1');
    expect((await get(user)).body.items).toHaveLength(2);
  });

  it('never shows or changes another user\'s notification, whatever the role (404)', async () => {
    const owner = newUser();
    const [id] = await seed(owner, 1);
    for (const role of ['admin', 'manager', 'sales'] as const) {
      const res = await crm.request('POST', `/v1/notifications/${id}/read`, { role, userId: role === 'sales' ? newUser() : undefined });
      expect(res.status, role).toBe(404);
    }
    expect((await crm.request('GET', '/v1/notifications', { role: 'admin' })).body.items.map((n: any) => n.id)).not.toContain(id);
    expect((await get(owner, '?unread=true')).body.items).toHaveLength(1);
  });

  it('read-all marks at most 100 per call, says when more remain, and is idempotent', async () => {
    const user = newUser();
    await seed(user, 130);
    const first = await crm.request('POST', '/v1/notifications/read-all', { role: 'sales', userId: user });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ marked: 100, more: true });
    const second = await crm.request('POST', '/v1/notifications/read-all', { role: 'sales', userId: user });
    expect(second.body).toEqual({ marked: 30, more: false });
    const third = await crm.request('POST', '/v1/notifications/read-all', { role: 'sales', userId: user });
    expect(third.body).toEqual({ marked: 0, more: false });
    expect((await get(user, '?unread=true')).body.items).toEqual([]);
  });
});
