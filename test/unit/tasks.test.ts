/** Pure task rules: durations, reminder scheduling on every kind of change, list planning, wording. */
import { describe, expect, it } from 'vitest';
import {
  backoffMinutes, durationMinutes, formatDuration, numberReminders, planReminders, type ReminderItem, remindAtOf, type TaskItem,
} from '../../functions/tasks/model';
import { reminderMessage } from '../../functions/tasks/reminder-message';
import { planTaskList } from '../../functions/tasks/service';
import type { Principal } from '../../functions/security/principal';

const now = new Date('2026-03-10T12:00:00.000Z');

describe('durations', () => {
  it('parses ISO-8601 durations and minutes, and formats them back', () => {
    expect(durationMinutes('PT15M')).toBe(15);
    expect(durationMinutes('PT2H')).toBe(120);
    expect(durationMinutes('P1D')).toBe(1440);
    expect(durationMinutes('P1DT2H30M')).toBe(1590);
    expect(durationMinutes('P1W')).toBe(10080);
    expect(durationMinutes(45)).toBe(45);
    for (const bad of ['P', 'PT', 'P1M', 'P1Y', '15', 'PT1.5H', 'pt15m']) expect(() => durationMinutes(bad), bad).toThrow(RangeError);
    expect(formatDuration(15)).toBe('PT15M');
    expect(formatDuration(1590)).toBe('P1DT2H30M');
    expect(formatDuration(1440)).toBe('P1D');
    expect(formatDuration(0)).toBe('PT0M');
  });
});

describe('reminder times', () => {
  it('resolves absolute and relative reminders; relative ones need dueAt', () => {
    expect(remindAtOf({ n: 1, at: '2026-03-11T08:00:00.000Z' }, undefined)).toBe('2026-03-11T08:00:00.000Z');
    expect(remindAtOf({ n: 1, beforeDueMinutes: 90 }, '2026-03-11T08:00:00.000Z')).toBe('2026-03-11T06:30:00.000Z');
    expect(remindAtOf({ n: 1, beforeDueMinutes: 90 }, undefined)).toBeUndefined();
  });

  it('keeps the number (and so the delivery state) of an unchanged reminder when the list is replaced', () => {
    const current = [{ n: 1, beforeDueMinutes: 15 }, { n: 2, at: '2026-03-11T08:00:00.000Z' }];
    const out = numberReminders([{ at: '2026-03-11T08:00:00.000Z' }, { beforeDueMinutes: 60 }], current, 3);
    expect(out.specs).toEqual([{ n: 2, at: '2026-03-11T08:00:00.000Z' }, { n: 3, beforeDueMinutes: 60 }]);
    expect(out.added).toEqual([{ n: 3, beforeDueMinutes: 60 }]);
    expect(out.nextNo).toBe(4);
  });
});

describe('planReminders', () => {
  const due = '2026-03-12T12:00:00.000Z';
  const task = (over: Partial<TaskItem> = {}): Pick<TaskItem, 'id' | 'status' | 'dueAt' | 'reminders'> => ({
    id: 'tsk_1', status: 'open', dueAt: due, reminders: [{ n: 1, beforeDueMinutes: 60 }], ...over,
  });
  const state = (over: Partial<ReminderItem> = {}): ReminderItem => ({
    taskId: 'tsk_1', n: 1, remindAt: '2026-03-12T11:00:00.000Z', nextAt: '2026-03-12T11:00:00.000Z', status: 'pending', attempts: 0, rev: 3, ...over,
  });

  it('creates pending reminders for an open task', () => {
    expect(planReminders(task(), [], now)).toEqual({
      put: [{ item: { taskId: 'tsk_1', n: 1, remindAt: '2026-03-12T11:00:00.000Z', nextAt: '2026-03-12T11:00:00.000Z', status: 'pending', attempts: 0, rev: 1 }, expectedRev: undefined }],
      remove: [],
    });
  });

  it('writes nothing when nothing moved', () => {
    expect(planReminders(task(), [state()], now)).toEqual({ put: [], remove: [] });
  });

  it('moves a pending relative reminder with dueAt, dropping lease and attempts', () => {
    const plan = planReminders(task({ dueAt: '2026-03-13T12:00:00.000Z' }), [state({ leaseId: 'x', leaseUntil: 'y', attempts: 2 })], now);
    expect(plan.put).toEqual([{ item: { taskId: 'tsk_1', n: 1, remindAt: '2026-03-13T11:00:00.000Z', nextAt: '2026-03-13T11:00:00.000Z', status: 'pending', attempts: 0, rev: 4 }, expectedRev: 3 }]);
  });

  it('cancels pending reminders of a closed task and re-arms future ones on reopen, not past ones', () => {
    const closed = planReminders(task({ status: 'done' }), [state()], now);
    expect(closed.put[0]!.item).toMatchObject({ status: 'cancelled', rev: 4 });
    expect(planReminders(task(), [state({ status: 'cancelled' })], now).put[0]!.item).toMatchObject({ status: 'pending', attempts: 0 });
    const late = new Date('2026-03-12T11:30:00.000Z');
    expect(planReminders(task(), [state({ status: 'cancelled' })], late).put).toEqual([]);
  });

  it('re-arms a delivered reminder only when its time moved into the future', () => {
    const delivered = state({ status: 'delivered', deliveredAt: '2026-03-12T11:00:00.000Z' });
    expect(planReminders(task(), [delivered], now).put).toEqual([]);
    const moved = planReminders(task({ dueAt: '2026-03-20T12:00:00.000Z' }), [delivered], now);
    expect(moved.put[0]!.item).toMatchObject({ status: 'pending', remindAt: '2026-03-20T11:00:00.000Z', rev: 4 });
    expect(moved.put[0]!.item.deliveredAt).toBeUndefined();
    const intoPast = planReminders(task({ dueAt: '2026-03-10T12:30:00.000Z' }), [delivered], now);
    expect(intoPast.put[0]!.item).toMatchObject({ status: 'delivered', remindAt: '2026-03-10T11:30:00.000Z' });
  });

  it('deletes reminders no longer listed, with the rev it read', () => {
    expect(planReminders(task({ reminders: [] }), [state()], now)).toEqual({ put: [], remove: [{ n: 1, expectedRev: 3 }] });
  });

  it('backs off 1, 2, 4, 8 … minutes, at most an hour', () => {
    expect([1, 2, 3, 4, 5, 7, 12].map(backoffMinutes)).toEqual([1, 2, 4, 8, 16, 60, 60]);
  });
});

describe('planTaskList', () => {
  const rep: Principal = { userId: 'u1', role: 'sales', groups: ['sales'] };
  const boss: Principal = { userId: 'b1', role: 'manager', groups: ['manager'] };

  it('lists my open tasks by default; others only with scope all', () => {
    expect(planTaskList(rep, 'own', {}, now, 'UTC')).toEqual({ index: 'gsi1', partition: 'TASKS#ASG#u1#open', range: undefined, filters: {} });
    expect(() => planTaskList(rep, 'own', { assigneeId: 'u2' }, now, 'UTC')).toThrow(/own tasks/);
    expect(planTaskList(boss, 'all', { assigneeId: 'u2', status: 'done' }, now, 'UTC').partition).toBe('TASKS#ASG#u2#done');
    expect(planTaskList(boss, 'all', { customerId: 'cus_1' }, now, 'UTC')).toMatchObject({ index: 'gsi2', partition: 'TASKS#CUS#cus_1#open', filters: {} });
    expect(planTaskList(rep, 'own', { customerId: 'cus_1' }, now, 'UTC')).toMatchObject({ index: 'gsi1', filters: { customerId: 'cus_1' } });
  });

  it('computes today and this week in the business time zone, across a DST change', () => {
    // 29 March 2026: Berlin moves from UTC+1 to UTC+2 at 01:00 UTC; the local day has 23 hours.
    const dstDay = new Date('2026-03-29T10:00:00.000Z');
    expect(planTaskList(rep, 'own', { due: 'today' }, dstDay, 'Europe/Berlin').range).toEqual({ from: '2026-03-28T23:00:00.000Z', to: '2026-03-29T22:00:00.000Z' });
    // 23:30 UTC on 28 March is already 29 March in Berlin …
    expect(planTaskList(rep, 'own', { due: 'today' }, new Date('2026-03-28T23:30:00.000Z'), 'Europe/Berlin').range).toEqual({ from: '2026-03-28T23:00:00.000Z', to: '2026-03-29T22:00:00.000Z' });
    // … and still 28 March in New York.
    expect(planTaskList(rep, 'own', { due: 'today' }, new Date('2026-03-28T23:30:00.000Z'), 'America/New_York').range).toEqual({ from: '2026-03-28T04:00:00.000Z', to: '2026-03-29T04:00:00.000Z' });
    // ISO week Monday 23 March – Sunday 29 March (Berlin).
    expect(planTaskList(rep, 'own', { due: 'week' }, dstDay, 'Europe/Berlin').range).toEqual({ from: '2026-03-22T23:00:00.000Z', to: '2026-03-29T22:00:00.000Z' });
    expect(planTaskList(rep, 'own', { due: 'overdue' }, dstDay, 'Europe/Berlin').range).toEqual({ lt: '2026-03-29T10:00:00.000Z' });
  });
});

describe('reminder message', () => {
  it('says what, when (local time) and where, without HTML injection', () => {
    const m = reminderMessage({ id: 'tsk_1', title: 'Call <Acme>', notes: 'Bring "the" contract', dueAt: '2026-03-12T08:00:00.000Z', priority: 'high' }, 'Europe/Berlin', 'https://crm.example.com/');
    expect(m.subject).toBe('Reminder: Call <Acme> — due Thu, 12 Mar 2026, 09:00 CET');
    expect(m.link).toBe('https://crm.example.com/tasks/tsk_1');
    expect(m.text).toContain('Bring "the" contract');
    expect(m.html).toContain('Call &lt;Acme&gt;');
    expect(m.html).not.toContain('<Acme>');
    expect(reminderMessage({ id: 'tsk_2', title: 'Undated', priority: 'low' }, 'UTC', 'http://x').subject).toBe('Reminder: Undated');
  });
});
