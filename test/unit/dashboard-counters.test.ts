/** The dashboard's counters as pure deltas: what each write adds and takes back. */
import { describe, expect, it } from 'vitest';
import { customerCounterDeltas, dealCounterDeltas, leadCounterDeltas } from '../../functions/dashboard/counters';
import { dealDeltas, type DealFacts } from '../../functions/forecast/aggregates';

const flat = (d: ReturnType<typeof dealCounterDeltas>) => Object.fromEntries([...d.values()].map((e) => [`${e.key.pk}|${e.key.sk}`, e.add]));
const deal: DealFacts = {
  id: 'deal_1', ownerId: 'u1', pipelineId: 'pip_1', stageId: 'stg_1', status: 'open', amount: { amount: 10_000, currency: 'EUR' },
  probability: 50, expectedCloseDate: '2026-11-20', createdAt: '2026-10-01T00:00:00.000Z',
};

describe('dashboard counters', () => {
  it('counts a new open deal in its stage and as created in its month', () => {
    expect(flat(dealCounterDeltas(undefined, deal))).toEqual({
      'DASH#PIPELINE|u1': { 'cnt_pip_1#stg_1': 1, 'amt_pip_1#stg_1#EUR': 10_000 },
      'DASH#DEALS#2026|2026-10#u1': { created: 1 },
    });
  });

  it('moves a deal between stages, and out of the pipeline into won when it closes', () => {
    expect(flat(dealCounterDeltas(deal, { ...deal, stageId: 'stg_2' }))).toEqual({ 'DASH#PIPELINE|u1': { 'cnt_pip_1#stg_1': -1, 'amt_pip_1#stg_1#EUR': -10_000, 'cnt_pip_1#stg_2': 1, 'amt_pip_1#stg_2#EUR': 10_000 } });
    expect(flat(dealCounterDeltas(deal, { ...deal, status: 'won', closedAt: '2026-11-03T10:00:00.000Z' }))).toEqual({
      'DASH#PIPELINE|u1': { 'cnt_pip_1#stg_1': -1, 'amt_pip_1#stg_1#EUR': -10_000 },
      'DASH#DEALS#2026|2026-11#u1': { won: 1 },
    });
    // dealDeltas (every deal write) carries them along with the sales aggregates.
    expect([...dealDeltas(undefined, deal).keys()].some((k) => k.startsWith('DASH#PIPELINE'))).toBe(true);
  });

  it('moves customers between owners, tiers and stages, and out of the live count when archived', () => {
    const c = { ownerId: 'u1', tier: 'A', lifecycleStage: 'customer' };
    expect(flat(customerCounterDeltas(undefined, c))).toEqual({ 'DASH#CUSTOMERS|u1': { live: 1, tier_A: 1, stage_customer: 1 } });
    expect(flat(customerCounterDeltas(c, { ...c, ownerId: 'u2', tier: 'B' }))).toEqual({
      'DASH#CUSTOMERS|u1': { live: -1, tier_A: -1, stage_customer: -1 },
      'DASH#CUSTOMERS|u2': { live: 1, tier_B: 1, stage_customer: 1 },
    });
    expect(flat(customerCounterDeltas(c, { ...c, archivedAt: '2026-11-01T00:00:00.000Z' }))).toEqual({ 'DASH#CUSTOMERS|u1': { live: -1, tier_A: -1, stage_customer: -1, archived: 1 } });
    // No change: the deltas net to zero, and addAggregateUpdates writes nothing for zeros.
    expect(Object.values(flat(customerCounterDeltas(c, { ...c }))['DASH#CUSTOMERS|u1']!).every((v) => v === 0)).toBe(true);
  });

  it('counts a lead when created and once when converted', () => {
    const lead = { ownerId: 'u1', status: 'new', createdAt: '2026-10-05T00:00:00.000Z' };
    expect(flat(leadCounterDeltas(undefined, lead))).toEqual({ 'DASH#LEADS#2026|2026-10#u1': { created: 1 } });
    const converted = { ...lead, status: 'converted', convertedAt: '2026-11-02T00:00:00.000Z' };
    expect(flat(leadCounterDeltas(lead, converted))).toEqual({ 'DASH#LEADS#2026|2026-11#u1': { converted: 1 } });
    expect(flat(leadCounterDeltas(converted, converted))).toEqual({});
  });
});
