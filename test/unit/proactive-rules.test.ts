import fc from '../support/fast-check-seed';
import { describe, expect, it } from 'vitest';
import { activityErrors, countsAsContact, referencedContacts } from '../../functions/activities/model';
import { monthsBetween } from '../../functions/activities/dormancy';
import { recordEventName } from '../../functions/activities/service';
import { planService } from '../../functions/assets/anniversaries';
import { freshSchedule, warrantyPending } from '../../functions/assets/model';
import { addDays, addMonths, compareDates, formatDate, localDateOf, parseDate } from '../../functions/calendar/business-calendar';
import { assigneeFor, DEFAULT_SERVICE_RULES, serviceIntervalMonths, type ServiceRules } from '../../functions/settings/rules';

const d = parseDate;
const plan = (bought: string, interval: number, handled: string, today: string, lead: number) => {
  const p = planService(d(bought), interval, d(handled), d(today), lead);
  return { due: p.due && formatDate(p.due), next: formatDate(p.next) };
};

describe('service anniversaries', () => {
  it('falls on 28 February in common years for a 29 February purchase, and on the 29th in leap years', () => {
    expect(plan('2024-02-29', 12, '2024-12-01', '2025-02-14', 14)).toEqual({ due: '2025-02-28', next: '2026-02-28' });
    expect(plan('2024-02-29', 12, '2027-02-28', '2028-02-15', 14)).toEqual({ due: '2028-02-29', next: '2029-02-28' });
    expect(plan('2024-02-29', 24, '2024-03-01', '2026-02-14', 14)).toEqual({ due: '2026-02-28', next: '2028-02-29' });
  });

  it('clamps month ends from the purchase date, so the 31st comes back', () => {
    expect(plan('2025-01-31', 1, '2025-02-28', '2025-03-20', 14)).toEqual({ due: '2025-03-31', next: '2025-04-30' });
    expect(plan('2025-01-31', 1, '2025-04-30', '2025-05-17', 14)).toEqual({ due: '2025-05-31', next: '2025-06-30' });
    expect(plan('2025-08-31', 6, '2025-09-01', '2026-02-20', 14)).toEqual({ due: '2026-02-28', next: '2026-08-31' });
  });

  it('is due from leadDays before the anniversary, not a day earlier', () => {
    expect(plan('2024-06-10', 12, '2024-06-10', '2025-05-26', 14)).toEqual({ due: undefined, next: '2025-06-10' });
    expect(plan('2024-06-10', 12, '2024-06-10', '2025-05-27', 14)).toEqual({ due: '2025-06-10', next: '2026-06-10' });
    expect(plan('2024-06-10', 12, '2024-06-10', '2025-06-10', 0)).toEqual({ due: '2025-06-10', next: '2026-06-10' });
  });

  it('catches up with one task for the latest missed anniversary', () => {
    expect(plan('2020-06-10', 12, '2021-06-09', '2024-06-20', 0)).toEqual({ due: '2024-06-10', next: '2025-06-10' });
    expect(plan('2020-06-10', 6, '2021-06-09', '2024-06-20', 0)).toEqual({ due: '2024-06-10', next: '2024-12-10' });
  });

  it('takes "today" in the business time zone: the same instant is a different day in Shanghai and New York', () => {
    const instant = new Date('2025-05-26T17:00:00Z');
    const shanghai = formatDate(localDateOf(instant, 'Asia/Shanghai')); // 2025-05-27 01:00
    const newYork = formatDate(localDateOf(instant, 'America/New_York')); // 2025-05-26 13:00
    expect(plan('2024-06-10', 12, '2024-06-10', shanghai, 14).due).toBe('2025-06-10');
    expect(plan('2024-06-10', 12, '2024-06-10', newYork, 14).due).toBeUndefined();
  });

  it('always names an anniversary after what was handled, due within the horizon, next beyond it (property)', () => {
    const date = fc.record({ y: fc.integer({ min: 2000, max: 2040 }), m: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 31 }) })
      .map(({ y, m, d: day }) => ({ year: y, month: m, day: Math.min(day, new Date(Date.UTC(y, m, 0)).getUTCDate()) }));
    fc.assert(
      fc.property(date, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 60 }),
        (bought, interval, handledAfter, todayAfter, lead) => {
          const handled = addDays(bought, handledAfter);
          const today = addDays(bought, todayAfter);
          const p = planService(bought, interval, handled, today, lead);
          const horizon = addDays(today, lead);
          if (p.due) {
            expect(compareDates(p.due, handled)).toBeGreaterThan(0);
            expect(compareDates(p.due, horizon)).toBeLessThanOrEqual(0);
            expect(compareDates(p.next, p.due)).toBeGreaterThan(0);
          } else {
            expect(compareDates(p.next, handled)).toBeGreaterThan(0);
          }
          expect(compareDates(p.next, horizon) > 0 || !p.due).toBe(true);
          // Every date named is a k-th anniversary of the purchase.
          const months = (p.next.year - bought.year) * 12 + p.next.month - bought.month;
          expect(months % interval).toBe(0);
          expect(formatDate(addMonths(bought, months))).toBe(formatDate(p.next));
        }),
    );
  });

  it('starts a new asset\'s schedule today: earlier anniversaries are history, one today is next', () => {
    const rules: ServiceRules = { ...DEFAULT_SERVICE_RULES, categories: [{ category: 'boiler', intervalMonths: 12 }] };
    expect(freshSchedule({ purchaseDate: '2020-11-23', category: 'boiler' }, d('2026-11-23'), rules, undefined).nextServiceOn).toBe('2026-11-23');
    expect(freshSchedule({ purchaseDate: '2020-11-22', category: 'boiler' }, d('2026-11-23'), rules, undefined).nextServiceOn).toBe('2027-11-22');
    expect(freshSchedule({ purchaseDate: '2026-11-23', category: 'boiler' }, d('2026-11-23'), rules, undefined).nextServiceOn).toBe('2027-11-23');
    expect(freshSchedule({ purchaseDate: '2020-11-22', category: 'lamp' }, d('2026-11-23'), rules, undefined).nextServiceOn).toBeUndefined();
  });

  it('reminds of a warranty end only while it is ahead and not yet reminded', () => {
    expect(warrantyPending({ warrantyEndsOn: '2026-12-01' }, d('2026-11-23'))).toBe(true);
    expect(warrantyPending({ warrantyEndsOn: '2026-11-22' }, d('2026-11-23'))).toBe(false);
    expect(warrantyPending({ warrantyEndsOn: '2026-12-01', warrantyNotifiedFor: '2026-12-01' }, d('2026-11-23'))).toBe(false);
    expect(warrantyPending({ warrantyEndsOn: '2027-06-01', warrantyNotifiedFor: '2026-12-01' }, d('2026-11-23'))).toBe(true);
  });
});

describe('service rules', () => {
  const rules: ServiceRules = {
    ...DEFAULT_SERVICE_RULES,
    categories: [{ category: 'washing-machine', intervalMonths: 24 }, { category: 'boiler', intervalMonths: 6 }],
    tierIntervalMonths: { A: 12 },
  };
  it('uses the category interval, or the tier\'s when shorter, and none for unknown categories', () => {
    expect(serviceIntervalMonths(rules, 'Washing-Machine', 'B')).toBe(24);
    expect(serviceIntervalMonths(rules, 'washing-machine', 'A')).toBe(12);
    expect(serviceIntervalMonths(rules, 'boiler', 'A')).toBe(6);
    expect(serviceIntervalMonths(rules, 'boiler', undefined)).toBe(6);
    expect(serviceIntervalMonths(rules, 'lamp', 'A')).toBeUndefined();
  });
  it('assigns to the owner, or to the queue user when configured', () => {
    expect(assigneeFor(rules, 'u1')).toBe('u1');
    expect(assigneeFor({ ...rules, assignTo: 'queue', queueUserId: 'q' }, 'u1')).toBe('q');
  });
});

describe('activities', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it('needs a direction except for notes, and no date more than a day ahead', () => {
    expect(activityErrors({ type: 'note', occurredAt: now.toISOString() }, now)).toEqual([]);
    expect(activityErrors({ type: 'call', occurredAt: now.toISOString() }, now).map((e) => e.path)).toEqual(['direction']);
    expect(activityErrors({ type: 'visit', direction: 'outbound', occurredAt: '2026-11-24T12:00:00Z' }, now)).toEqual([]);
    expect(activityErrors({ type: 'visit', direction: 'outbound', occurredAt: '2026-11-24T12:00:01Z' }, now).map((e) => e.path)).toEqual(['occurredAt']);
  });
  it('counts every kind of contact but notes towards lastActivityAt', () => {
    expect(['call', 'email', 'meeting', 'sms', 'visit'].every((t) => countsAsContact(t as never))).toBe(true);
    expect(countsAsContact('note')).toBe(false);
  });
  it('collects each referenced contact once with every path that names it', () => {
    const refs = referencedContacts({ links: { contactId: 'con_1' }, participants: [{ contactId: 'con_1' }, { name: 'x' }, { contactId: 'con_2' }] });
    expect([...refs]).toEqual([['con_1', ['links.contactId', 'participants.0.contactId']], ['con_2', ['participants.2.contactId']]]);
  });
  it('names record events for the timeline', () => {
    expect(recordEventName({ entityType: 'customer', action: 'updated', changes: [{ field: 'ownerId' }, { field: 'tier' }] })).toBe('customer.owner_changed');
    expect(recordEventName({ entityType: 'customer', action: 'updated', changes: [{ field: 'tier' }] })).toBe('customer.tier_changed');
    expect(recordEventName({ entityType: 'contact', action: 'created', changes: [] })).toBe('contact.created');
  });
  it('lists the change-feed months between two instants, across a year end', () => {
    expect(monthsBetween('2025-11-30T10:00:00Z', '2026-02-01T00:00:00Z')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(monthsBetween('2026-02-01T00:00:00Z', '2026-02-03T00:00:00Z')).toEqual(['2026-02']);
  });
});
