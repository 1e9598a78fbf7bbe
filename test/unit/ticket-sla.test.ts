/**
 * SLA arithmetic in business hours (nights, weekends, holidays, daylight-saving changes in
 * Europe/Berlin), clocks paused while pending, escalation levels, the ticket workflow, and reply
 * threading headers. Pure modules, no AWS.
 */
import { describe, expect, it } from 'vitest';
import { addBusinessTime, type BusinessCalendar, businessTimeBetween } from '../../functions/tickets/business-hours';
import { replyEmail, TICKET_TOKEN } from '../../functions/tickets/messages';
import { routeTicket, targetsFor, transitionProblem, DEFAULT_SETTINGS, type TicketStatus } from '../../functions/tickets/model';
import { applyStatus, dueLevels, firstResponse, nextCheckAt, nextDeadline, recordEscalation, retarget, startSla, type SlaContext } from '../../functions/tickets/sla';
import { recipientsOf } from '../../functions/tickets/escalation';

const BERLIN: BusinessCalendar = { timeZone: 'Europe/Berlin', workingDays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', holidays: ['2026-12-24', '2026-12-25'] };
const EVERY_NIGHT: BusinessCalendar = { timeZone: 'Europe/Berlin', workingDays: [1, 2, 3, 4, 5, 6, 7], start: '01:00', end: '05:00', holidays: [] };
const MIN = 60_000;

describe('adding business minutes', () => {
  it.each([
    ['within the day', BERLIN, '2026-11-30T09:00:00Z', 60, '2026-11-30T10:00:00.000Z'],
    ['overnight', BERLIN, '2026-11-30T15:30:00Z', 60, '2026-12-01T08:30:00.000Z'],
    ['over a weekend', BERLIN, '2026-12-04T15:00:00Z', 120, '2026-12-07T09:00:00.000Z'],
    ['over holidays and a weekend', BERLIN, '2026-12-23T15:00:00Z', 120, '2026-12-28T09:00:00.000Z'],
    ['from a Saturday', BERLIN, '2026-12-05T11:00:00Z', 30, '2026-12-07T08:30:00.000Z'],
    ['from before opening', BERLIN, '2026-12-01T05:00:00Z', 15, '2026-12-01T08:15:00.000Z'],
    ['ending exactly at closing time', BERLIN, '2026-11-30T08:00:00Z', 480, '2026-11-30T16:00:00.000Z'],
    ['across the spring DST change (weekend): CET → CEST', BERLIN, '2026-03-27T15:00:00Z', 120, '2026-03-30T08:00:00.000Z'],
    ['across the autumn DST change (weekend): CEST → CET', BERLIN, '2026-10-23T14:00:00Z', 120, '2026-10-26T09:00:00.000Z'],
    ['on the night the clocks go forward (01:00–05:00 is 3 real hours)', EVERY_NIGHT, '2026-03-29T00:00:00Z', 240, '2026-03-30T00:00:00.000Z'],
    ['on the night the clocks go back (01:00–05:00 is 5 real hours)', EVERY_NIGHT, '2026-10-24T23:00:00Z', 300, '2026-10-25T04:00:00.000Z'],
    ['zero minutes is the start itself', BERLIN, '2026-12-05T11:00:00Z', 0, '2026-12-05T11:00:00.000Z'],
  ])('%s', (_name, cal, from, minutes, expected) => {
    expect(addBusinessTime(new Date(from), minutes * MIN, cal).toISOString()).toBe(expected);
  });

  it.each([
    ['Friday afternoon to Monday morning', '2026-12-04T15:00:00Z', '2026-12-07T09:00:00Z', 120],
    ['over the holidays', '2026-12-23T15:00:00Z', '2026-12-28T09:00:00Z', 120],
    ['a night only', '2026-11-30T17:00:00Z', '2026-12-01T07:00:00Z', 0],
    ['backwards is nothing', '2026-12-01T10:00:00Z', '2026-12-01T09:00:00Z', 0],
  ])('business time between: %s', (_name, from, to, minutes) => {
    expect(businessTimeBetween(new Date(from), new Date(to), BERLIN)).toBe(minutes * MIN);
  });

  it('adding then measuring agrees over a year of random starts', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 200; i++) {
      const from = new Date(Date.UTC(2026, 0, 1) + Math.floor(rand() * 365 * 24 * 60) * MIN);
      const minutes = 1 + Math.floor(rand() * 3000);
      const due = addBusinessTime(from, minutes * MIN, BERLIN);
      expect(businessTimeBetween(from, due, BERLIN)).toBe(minutes * MIN);
    }
  });
});

describe('SLA clocks', () => {
  const ctx: SlaContext = { calendar: BERLIN, warnAtPercent: 80 };
  const targets = { policy: 'normal', firstResponseMinutes: 480, resolutionMinutes: 960 };
  const mon10 = new Date('2026-11-30T09:00:00Z'); // Monday 10:00 Berlin

  it('start: deadline and warning point in business time', () => {
    const sla = startSla(targets, mon10, ctx);
    expect(sla.firstResponse.dueAt).toBe('2026-12-01T09:00:00.000Z'); // Tue 10:00
    expect(sla.firstResponse.warnAt).toBe('2026-11-30T15:24:00.000Z'); // 384 min: Mon 16:24 Berlin
    expect(sla.resolution.dueAt).toBe('2026-12-02T09:00:00.000Z');
    expect(nextCheckAt(sla)).toBe(sla.firstResponse.warnAt);
    expect(nextDeadline(sla)).toEqual({ at: '2026-12-01T09:00:00.000Z', kind: 'firstResponse' });
  });

  it('pending pauses both clocks; back to open they go on from what they had spent', () => {
    const sla = startSla(targets, mon10, ctx);
    const paused = applyStatus(sla, 'open', 'pending', new Date('2026-11-30T11:00:00Z'), ctx).sla; // Mon 12:00: 120 min spent
    expect(paused.firstResponse.elapsedMs).toBe(120 * MIN);
    expect(paused.firstResponse.dueAt).toBeUndefined();
    expect(nextCheckAt(paused)).toBeUndefined();
    expect(nextDeadline(paused)).toBeUndefined();
    const resumed = applyStatus(paused, 'pending', 'open', new Date('2026-12-02T08:00:00Z'), ctx).sla; // Wed 09:00
    expect(resumed.firstResponse.dueAt).toBe('2026-12-02T14:00:00.000Z'); // + 360 min = Wed 15:00
    expect(resumed.firstResponse.warnAt).toBe('2026-12-02T12:24:00.000Z'); // + 264 min
  });

  it('the first reply stops the first-response clock; resolving stops the rest; reopening resumes resolution only', () => {
    let sla = startSla(targets, mon10, ctx);
    sla = firstResponse(sla, new Date('2026-11-30T10:00:00Z'), ctx).sla;
    expect(sla.firstResponse.stoppedAt).toBe('2026-11-30T10:00:00.000Z');
    expect(nextDeadline(sla)?.kind).toBe('resolution');
    const resolved = applyStatus(sla, 'open', 'resolved', new Date('2026-11-30T12:00:00Z'), ctx);
    expect(resolved.newBreaches).toEqual([]);
    expect(nextCheckAt(resolved.sla)).toBeUndefined();
    const reopened = applyStatus(resolved.sla, 'resolved', 'open', new Date('2026-12-01T08:00:00Z'), ctx).sla; // Tue 09:00, 180 min spent
    expect(reopened.firstResponse.stoppedAt).toBeDefined();
    expect(reopened.resolution.dueAt).toBe('2026-12-02T13:00:00.000Z'); // 780 min left: Tue 09–17 (480) + Wed 09:00 + 300 = 14:00 Berlin
  });

  it('resolving after a deadline the job has not recorded yet records the breach once', () => {
    const sla = startSla(targets, mon10, ctx);
    const late = applyStatus(sla, 'open', 'resolved', new Date('2026-12-03T09:00:00Z'), ctx);
    expect(late.newBreaches).toEqual(['firstResponse', 'resolution']);
    expect(late.sla.breaches).toBe(2);
    expect(late.sla.resolution.breachedAt).toBe('2026-12-02T09:00:00.000Z');
  });

  it('levels come due in order and each is recorded once', () => {
    let sla = startSla(targets, mon10, ctx);
    expect(dueLevels(sla, new Date('2026-11-30T15:23:00Z'))).toEqual([]);
    expect(dueLevels(sla, new Date('2026-11-30T15:24:00Z'))).toEqual(['firstResponse.warning']);
    // A job down past the deadline finds both levels due.
    const later = new Date('2026-12-01T10:00:00Z');
    expect(dueLevels(sla, later)).toEqual(['firstResponse.warning', 'firstResponse.breach']);
    for (const level of dueLevels(sla, later)) sla = recordEscalation(sla, level, later, ['u1']);
    expect(dueLevels(sla, later)).toEqual([]);
    expect(sla.breaches).toBe(1);
    expect(sla.firstResponse.breachedAt).toBe('2026-12-01T09:00:00.000Z');
    expect(nextCheckAt(sla)).toBe(sla.resolution.warnAt);
  });

  it('a priority change keeps what was spent and moves the deadlines', () => {
    const sla = startSla(targets, mon10, ctx);
    const urgent = retarget(sla, { policy: 'urgent', firstResponseMinutes: 60, resolutionMinutes: 240 }, new Date('2026-11-30T09:30:00Z'), ctx);
    expect(urgent.policy).toBe('urgent');
    expect(urgent.firstResponse.dueAt).toBe('2026-11-30T10:00:00.000Z');
  });

  it('warnings go to the assignee (or the manager); breaches to both', () => {
    expect(recipientsOf('firstResponse.warning', 'a', 'm')).toEqual(['a']);
    expect(recipientsOf('firstResponse.warning', undefined, 'm')).toEqual(['m']);
    expect(recipientsOf('resolution.breach', 'a', 'm')).toEqual(['a', 'm']);
    expect(recipientsOf('resolution.breach', 'm', 'm')).toEqual(['m']);
  });
});

describe('workflow', () => {
  const now = new Date('2026-12-10T12:00:00Z');
  const cases: [TicketStatus, TicketStatus, boolean][] = [
    ['new', 'open', true], ['new', 'pending', true], ['new', 'resolved', true], ['new', 'closed', false],
    ['open', 'pending', true], ['open', 'on_hold', true], ['open', 'new', false], ['open', 'closed', false],
    ['pending', 'open', true], ['on_hold', 'resolved', true], ['resolved', 'closed', true], ['resolved', 'pending', false],
    ['closed', 'open', false], ['closed', 'resolved', false],
  ];
  it.each(cases)('%s → %s allowed: %s', (from, to, allowed) => {
    expect(transitionProblem({ status: from, resolvedAt: '2026-12-09T12:00:00Z' }, to, now, 7) === undefined).toBe(allowed);
  });
  it('reopening is allowed within the window only', () => {
    expect(transitionProblem({ status: 'resolved', resolvedAt: '2026-12-03T12:00:00Z' }, 'open', now, 7)).toBeUndefined();
    expect(transitionProblem({ status: 'resolved', resolvedAt: '2026-12-03T11:59:59Z' }, 'open', now, 7)).toMatch(/more than 7 days/);
  });
  it('routing and policies: first matching rule; tier policy before the priority one', () => {
    const rules = [{ match: { category: ['billing'] }, queueId: 'que_A' }, { match: { priority: ['urgent' as const], tier: ['A' as const] }, queueId: 'que_B' }, { match: {}, queueId: 'que_C' }];
    expect(routeTicket(rules, { category: 'billing', priority: 'low' })?.queueId).toBe('que_A');
    expect(routeTicket(rules, { priority: 'urgent', tier: 'A' })?.queueId).toBe('que_B');
    expect(routeTicket(rules, { priority: 'urgent', tier: 'B' })?.queueId).toBe('que_C');
    const settings = { ...DEFAULT_SETTINGS, policies: [{ priority: 'high' as const, firstResponseMinutes: 30, resolutionMinutes: 300 }, { priority: 'high' as const, tier: 'A' as const, firstResponseMinutes: 15, resolutionMinutes: 120 }] };
    expect(targetsFor(settings, 'high', 'A')).toEqual({ policy: 'high/A', firstResponseMinutes: 15, resolutionMinutes: 120 });
    expect(targetsFor(settings, 'high', 'B')).toEqual({ policy: 'high', firstResponseMinutes: 30, resolutionMinutes: 300 });
    expect(targetsFor(settings, 'low', undefined).policy).toBe('low');
  });
});

describe('reply threading', () => {
  it('anchors every email on the ticket root and replies to the previous one', () => {
    const first = replyEmail({ ticketId: 'tkt_01KB0000000000000000000000', subject: 'Boiler leaks', body: 'We are on it', messageId: 'msg_1', domain: 'example.com', previous: undefined, references: undefined });
    expect(first.subject).toBe('Re: Boiler leaks [#tkt_01KB0000000000000000000000]');
    expect(TICKET_TOKEN.exec(first.subject)?.[1]).toBe('tkt_01KB0000000000000000000000');
    expect(first.headers).toEqual([
      { name: 'Message-ID', value: '<msg_1.tkt_01KB0000000000000000000000@example.com>' },
      { name: 'In-Reply-To', value: '<tkt_01KB0000000000000000000000@example.com>' },
      { name: 'References', value: '<tkt_01KB0000000000000000000000@example.com>' },
    ]);
    const second = replyEmail({ ticketId: 'tkt_01KB0000000000000000000000', subject: 'Boiler leaks', body: 'Fixed', messageId: 'msg_2', domain: 'example.com', previous: first.messageId, references: first.references });
    expect(second.inReplyTo).toBe('<msg_1.tkt_01KB0000000000000000000000@example.com>');
    expect(second.headers[2]!.value).toBe('<tkt_01KB0000000000000000000000@example.com> <msg_1.tkt_01KB0000000000000000000000@example.com>');
  });
});
