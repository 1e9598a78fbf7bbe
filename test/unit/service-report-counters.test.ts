/**
 * The service report's counters: what a ticket write adds (backlog moves, times, breaches by
 * level, escalations) and the median/p90 estimate from the bounded histogram.
 */
import { describe, expect, it } from 'vitest';
import { BUCKET_COUNT, bucketOf, quantile, ticketReportDeltas } from '../../functions/service-desk/report-counters';
import type { TicketItem } from '../../functions/tickets/model';

const clock = (extra: Partial<TicketItem['sla']['firstResponse']> = {}) => ({ targetMinutes: 60, elapsedMs: 0, ...extra });
const ticket = (extra: Partial<TicketItem> = {}): TicketItem => ({
  id: 'tkt_1', subject: 's', channel: 'phone', priority: 'normal', status: 'new', customerId: 'cus_1', queueId: 'que_1',
  sla: { policy: 'normal', warnAtPercent: 80, firstResponse: clock(), resolution: clock(), escalations: [], breaches: 0 },
  rev: 1, version: 1, createdAt: '2026-11-02T09:00:00.000Z', updatedAt: '2026-11-02T09:00:00.000Z', createdBy: 'u', updatedBy: 'u', ...extra,
});
/** What is written: net-zero counts are dropped (addReportUpdates skips them). */
const adds = (d: ReturnType<typeof ticketReportDeltas>) => Object.fromEntries([...d.values()]
  .map((e) => [e.key.sk, Object.fromEntries(Object.entries(e.add).filter(([, n]) => n !== 0))] as const)
  .filter(([, add]) => Object.keys(add).length > 0));

describe('service report counters', () => {
  it('moves a ticket between backlog cells and counts nothing for an unchanged one', () => {
    expect(adds(ticketReportDeltas(undefined, ticket(), 'UTC'))).toEqual({ 'que_1#normal': { st_new: 1 } });
    expect(adds(ticketReportDeltas(ticket(), ticket({ status: 'open', priority: 'high' }), 'UTC'))).toEqual({ 'que_1#normal': { st_new: -1 }, 'que_1#high': { st_open: 1 } });
    expect(adds(ticketReportDeltas(ticket(), ticket({ subject: 'other' }), 'UTC'))).toEqual({});
  });

  it('counts a resolution with its business time, compliance, and a late breach by clock in the deadline\'s month', () => {
    const resolved = ticket({
      status: 'resolved', resolvedAt: '2026-12-01T10:00:00.000Z',
      sla: { ...ticket().sla, resolution: clock({ elapsedMs: 90 * 60_000, breachedAt: '2026-11-30T16:00:00.000Z' }), breaches: 1 },
    });
    expect(adds(ticketReportDeltas(ticket({ status: 'open' }), resolved, 'UTC'))).toEqual({
      'que_1#normal': { st_open: -1 },
      '2026-12#SLA#que_1#normal': { resN: 1, res_03: 1 },
      '2026-11#SLA#que_1#normal': { breach_resolution: 1 },
    });
  });

  it('counts each new escalation level once', () => {
    const before = ticket({ status: 'open', sla: { ...ticket().sla, escalations: [{ level: 'firstResponse.warning', at: '2026-11-02T09:48:00.000Z', notified: [] }] } });
    const after = ticket({ status: 'open', sla: { ...before.sla, escalations: [...before.sla.escalations, { level: 'firstResponse.breach', at: '2026-11-02T10:01:00.000Z', notified: [] }] } });
    expect(adds(ticketReportDeltas(before, after, 'UTC'))).toEqual({ '2026-11#SLA#que_1#normal': { 'esc_firstResponse.breach': 1 } });
  });

  it('estimates quantiles inside their bucket, and the open bucket by its lower edge', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(15 * 60_000)).toBe(0);
    expect(bucketOf(15 * 60_000 + 1)).toBe(1);
    expect(bucketOf(10 ** 12)).toBe(BUCKET_COUNT - 1);
    const counts = Array<number>(BUCKET_COUNT).fill(0);
    expect(quantile(counts, 0.5)).toBeNull();
    counts[2] = 10; // (30, 60]
    expect(quantile(counts, 0.5)).toBe(45);
    expect(quantile(counts, 0.9)).toBe(57);
    counts[BUCKET_COUNT - 1] = 90;
    expect(quantile(counts, 0.9)).toBe(19200);
  });
});
