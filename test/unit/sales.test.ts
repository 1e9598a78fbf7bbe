/** Pure sales rules: aggregate deltas, funnel counters, periods, list plans and stage edits. */
import { describe, expect, it } from 'vitest';
import { type DealFacts, dealDeltas, stageEntryDeltas } from '../../functions/forecast/aggregates';
import { monthsOf } from '../../functions/deals/model';
import { planDealList } from '../../functions/deals/service';
import { applyStages } from '../../functions/pipelines/service';
import type { Principal } from '../../functions/security/principal';

const base: DealFacts = {
  id: 'deal_1', ownerId: 'u1', pipelineId: 'pip_1', status: 'open', amount: { amount: 10_000, currency: 'EUR' },
  probability: 50, expectedCloseDate: '2026-11-20', createdAt: '2026-10-01T00:00:00.000Z',
};
// The sales aggregates only: the dashboard's counters ride along in the same deltas (test/unit/dashboard-counters.test.ts).
const flat = (d: ReturnType<typeof dealDeltas>) => Object.fromEntries([...d.values()].filter((e) => !e.key.pk.startsWith('DASH#')).map((e) => [e.key.sk, e.add]));

describe('dealDeltas', () => {
  it('adds an open deal to pipeline, best case and weighted (×100) of its close month', () => {
    expect(flat(dealDeltas(undefined, base))).toEqual({ '2026-11#u1#EUR': { pipelineAmount: 10_000, pipelineCount: 1, weightedX100: 500_000, bestCaseAmount: 10_000 } });
  });

  it('moves the figures when the close date moves, and nets them within one item', () => {
    const moved = flat(dealDeltas(base, { ...base, expectedCloseDate: '2026-12-01' }));
    expect(moved['2026-11#u1#EUR']).toEqual({ pipelineAmount: -10_000, pipelineCount: -1, weightedX100: -500_000, bestCaseAmount: -10_000 });
    expect(moved['2026-12#u1#EUR']).toEqual({ pipelineAmount: 10_000, pipelineCount: 1, weightedX100: 500_000, bestCaseAmount: 10_000 });
    const stageMove = flat(dealDeltas(base, { ...base, probability: 75 }));
    expect(stageMove).toEqual({ '2026-11#u1#EUR': { pipelineAmount: 0, pipelineCount: 0, weightedX100: 250_000, bestCaseAmount: 0, commitAmount: 10_000 } });
  });

  it('turns a won deal into closed-won of its close month and report counters with the cycle', () => {
    const won = dealDeltas(base, { ...base, status: 'won', probability: 100, closedAt: '2026-10-11T00:00:00.000Z' });
    const items = flat(won);
    expect(items['2026-10#u1#EUR']).toEqual({ wonAmount: 10_000, wonCount: 1 });
    expect(items['2026-10#u1#pip_1']).toEqual({ wonCount: 1, closedCycleSeconds: 10 * 86_400, wonAmount_EUR: 10_000, wonCount_EUR: 1 });
    expect([...won.values()].find((e) => e.key.sk === '2026-10#u1#pip_1')!.key.pk).toBe('SALESRPT#2026');
  });

  it('counts a win in the month of the business time zone, like commission statements do', () => {
    const lateEvening = { ...base, status: 'won' as const, probability: 100, closedAt: '2026-09-30T22:30:00.000Z' };
    const saved = process.env.BUSINESS_TIME_ZONE;
    try {
      process.env.BUSINESS_TIME_ZONE = 'Europe/Berlin'; // 00:30 on 1 October there
      expect(Object.keys(flat(dealDeltas(undefined, lateEvening)))).toEqual(expect.arrayContaining(['2026-10#u1#EUR', '2026-10#u1#pip_1']));
      delete process.env.BUSINESS_TIME_ZONE; // UTC: still 30 September
      expect(Object.keys(flat(dealDeltas(undefined, lateEvening)))).toEqual(expect.arrayContaining(['2026-09#u1#EUR', '2026-09#u1#pip_1']));
    } finally {
      if (saved === undefined) delete process.env.BUSINESS_TIME_ZONE;
      else process.env.BUSINESS_TIME_ZONE = saved;
    }
  });

  it('removes everything a deal contributed when it is deleted', () => {
    const lost: DealFacts = { ...base, status: 'lost', probability: 0, closedAt: '2026-11-02T00:00:00.000Z' };
    expect(flat(dealDeltas(lost, undefined))).toEqual({ '2026-11#u1#pip_1': { lostCount: -1, closedCycleSeconds: -(32 * 86_400) } });
  });

  it('moves figures between owners on reassignment', () => {
    const items = flat(dealDeltas(base, { ...base, ownerId: 'u2' }));
    expect(items['2026-11#u1#EUR']!.pipelineAmount).toBe(-10_000);
    expect(items['2026-11#u2#EUR']!.pipelineAmount).toBe(10_000);
  });
});

describe('stageEntryDeltas', () => {
  it('counts first entries, and an advance only after the previous stage', () => {
    expect(flat(stageEntryDeltas(base, 's2', ['s1'], 's1', '2026-11-05T00:00:00Z'))).toEqual({ '2026-11#u1#pip_1': { enter_s2: 1, adv_s2: 1 } });
    expect(flat(stageEntryDeltas(base, 's3', ['s1'], 's2', '2026-11-05T00:00:00Z'))).toEqual({ '2026-11#u1#pip_1': { enter_s3: 1 } });
    expect(flat(stageEntryDeltas(base, 's2', ['s1', 's2'], 's1', '2026-11-05T00:00:00Z'))).toEqual({});
  });
});

describe('periods', () => {
  it('expands quarters and months', () => {
    expect(monthsOf('2026-Q4')).toEqual(['2026-10', '2026-11', '2026-12']);
    expect(monthsOf('2027-Q1')).toEqual(['2027-01', '2027-02', '2027-03']);
    expect(monthsOf('2026-02')).toEqual(['2026-02']);
    expect(() => monthsOf('2026-Q5')).toThrow();
  });
});

describe('planDealList', () => {
  const sales: Principal = { userId: 'u1', role: 'sales', groups: ['sales'] };
  const manager: Principal = { userId: 'm1', role: 'manager', groups: ['manager'] };
  it('keeps sales in their own partition and answers empty for another owner', () => {
    expect(planDealList(sales, 'own', {})).toMatchObject({ index: 'gsi1', partition: 'DEALS#OWNER#u1' });
    expect(planDealList(sales, 'own', { ownerId: 'u2' })).toBe('empty');
  });
  it('narrows the sort key for a closing period and uses the board index for a stage', () => {
    expect(planDealList(manager, 'all', { closing: '2026-Q4', status: 'open' })).toEqual({ index: 'gsi4', partition: 'DEALS', from: '2026-10-01', to: '2026-12-31~', filters: { status: 'open' } });
    expect(planDealList(manager, 'all', { pipelineId: 'pip_1', stageId: 'stg_1' })).toEqual({ index: 'gsi2', partition: 'DEALS#BOARD#pip_1', from: 'stg_1#', to: 'stg_1#~~', filters: {} });
    expect(planDealList(manager, 'all', { pipelineId: 'pip_1', stageId: 'stg_1', status: 'won' })).toMatchObject({ index: 'gsi4', filters: { status: 'won', pipelineId: 'pip_1', stageId: 'stg_1' } });
  });
});

describe('applyStages', () => {
  const current = [{ id: 'stg_a', name: 'A', probability: 10 }, { id: 'stg_b', name: 'B', probability: 50 }];
  it('renames, reorders, retires and adds', () => {
    const out = applyStages(current, [{ id: 'stg_b', name: 'Bee', probability: 55 }, { id: 'stg_a', name: 'A', probability: 10, retired: true }, { name: 'C', probability: 90 }], '2026-11-01T00:00:00.000Z');
    expect(out.map((s) => [s.id.startsWith('stg_'), s.name, s.retiredAt ?? null])).toEqual([[true, 'Bee', null], [true, 'A', '2026-11-01T00:00:00.000Z'], [true, 'C', null]]);
  });
  it('refuses to drop a stage, to list one twice or to retire all', () => {
    expect(() => applyStages(current, [{ id: 'stg_a', name: 'A', probability: 10 }], 'x')).toThrow(/only retired/);
    expect(() => applyStages(current, [{ id: 'stg_a', name: 'A', probability: 10 }, { id: 'stg_a', name: 'A', probability: 10 }], 'x')).toThrow(/twice/);
    expect(() => applyStages(current, [{ id: 'stg_a', name: 'A', probability: 1, retired: true }, { id: 'stg_b', name: 'B', probability: 1, retired: true }], 'x')).toThrow(/active/);
  });
});
