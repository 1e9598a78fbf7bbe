/**
 * createTaskFromRule: the entry point of the proactive jobs. At most one task per cause, enforced
 * by a guard item in the same transaction, also under concurrent calls; releaseOnClose frees the
 * cause when the task is closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
let service: typeof import('../../functions/tasks/service');
const rep = SALES_REPS[0]!.id;
const now = new Date('2026-03-02T08:00:00.000Z');

beforeAll(async () => {
  crm = await startTestStack();
  service = await import('../../functions/tasks/service');
});
afterAll(async () => {
  await crm?.stop();
});

const input = (sourceKey: string, extra: Partial<import('../../functions/tasks/service').RuleTaskInput> = {}) => ({
  sourceKey,
  title: 'Service visit: washing machine',
  dueAt: '2026-03-10T09:00:00Z',
  assigneeId: rep,
  reminders: [{ at: '2026-03-09T09:00:00Z' }],
  ...extra,
});

describe('createTaskFromRule', () => {
  it('creates a system task once per sourceKey, also under concurrent calls', async () => {
    const key = `anniversary#ast_X#2026-03-10#${Date.now()}`;
    const results = await Promise.all([1, 2, 3, 4].map(() => service.createTaskFromRule(input(key), now)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.taskId)).size).toBe(1);
    const again = await service.createTaskFromRule(input(key), now);
    expect(again).toEqual({ created: false, taskId: results[0]!.taskId });

    const task = await crm.request('GET', `/v1/tasks/${again.taskId}`, { role: 'sales', userId: rep });
    expect(task.status).toBe(200);
    expect(task.body).toMatchObject({ createdBy: 'system', assigneeId: rep, status: 'open', sourceKey: key, dueAt: '2026-03-10T09:00:00.000Z' });
    expect(task.body.reminders).toEqual([{ at: '2026-03-09T09:00:00.000Z', remindAt: '2026-03-09T09:00:00.000Z', status: 'pending' }]);
  });

  it('keeps the key after completion unless releaseOnClose; with it, one open task at a time', async () => {
    const kept = `warranty#ast_Y#${Date.now()}`;
    const first = await service.createTaskFromRule(input(kept), now);
    const done = await crm.request('PATCH', `/v1/tasks/${first.taskId}`, { role: 'sales', userId: rep, body: { status: 'done' } });
    expect(done.status).toBe(200);
    expect(await service.createTaskFromRule(input(kept), now)).toEqual({ created: false, taskId: first.taskId });

    const dormant = `dormant#cus_Z#${Date.now()}`;
    const a = await service.createTaskFromRule(input(dormant, { releaseOnClose: true }), now);
    expect(a.created).toBe(true);
    expect((await service.createTaskFromRule(input(dormant, { releaseOnClose: true }), now)).created).toBe(false);
    await crm.request('PATCH', `/v1/tasks/${a.taskId}`, { role: 'sales', userId: rep, body: { status: 'cancelled' } });
    const b = await service.createTaskFromRule(input(dormant, { releaseOnClose: true }), now);
    expect(b.created).toBe(true);
    expect(b.taskId).not.toBe(a.taskId);
    // Reopening the first one while the second is open would make two open tasks for one cause.
    const reopen = await crm.request('PATCH', `/v1/tasks/${a.taskId}`, { role: 'sales', userId: rep, body: { status: 'open' } });
    expect(reopen.status).toBe(409);
  });
});
