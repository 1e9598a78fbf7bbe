/**
 * The one counter-update builder (functions/data/counters.ts) behind the sales aggregates, the
 * dashboard counters and the service report: what a write sends for its counter items.
 */
import { describe, expect, it } from 'vitest';
import { bump, counterUpdate, type CounterDeltas } from '../../functions/data/counters';
import { reportCounterUpdate } from '../../functions/service-desk/report-counters';

const key = { pk: 'SVCRPT#2026', sk: '2026-11#SLA#que_1#normal' };

describe('counter updates', () => {
  it('SETs the kind and descriptive attributes and ADDs only the counts that moved', () => {
    const deltas: CounterDeltas = new Map();
    bump(deltas, key, { month: '2026-11', queueId: 'que_1' }, 'frN', 1);
    bump(deltas, key, { month: '2026-11', queueId: 'que_1' }, 'resN', 1);
    bump(deltas, key, { month: '2026-11', queueId: 'que_1' }, 'resN', -1);
    const update = counterUpdate(deltas.get(`${key.pk}|${key.sk}`)!, 'service-report');
    expect(update).toEqual({
      expression: 'SET #kind = :kind, #s0 = :s0, #s1 = :s1 ADD #a0 :a0',
      names: { '#kind': 'kind', '#s0': 'month', '#s1': 'queueId', '#a0': 'frN' },
      values: { ':kind': 'service-report', ':s0': '2026-11', ':s1': 'que_1', ':a0': 1 },
    });
    // The ticket writers and the report backfill send exactly this.
    expect(reportCounterUpdate(deltas.get(`${key.pk}|${key.sk}`)!)).toEqual(update);
  });

  it('sends nothing for an item whose counts net to zero', () => {
    expect(counterUpdate({ key, set: {}, add: { st_open: 1 - 1 } }, 'service-report')).toBeUndefined();
  });
});
