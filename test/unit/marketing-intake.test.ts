/**
 * The pure rules behind audience intake, attribution and SMS (functions/marketing): which campaign
 * counters a lead or deal change moves, which inbound texts opt out, and the rate-limit windows.
 */
import { describe, expect, it } from 'vitest';
import { dealAttributionDeltas, leadAttributionDeltas } from '../../functions/marketing/attribution';
import { windowOf } from '../../functions/marketing/rate-limit';
import { parseInbound } from '../../functions/marketing/sms-inbound';
import { isStop } from '../../functions/marketing/sms';

const eur = (amount: number) => ({ amount, currency: 'EUR' });

describe('attribution deltas', () => {
  it('count a lead once, move it with its campaign and take it back on delete', () => {
    expect(leadAttributionDeltas(undefined, { campaignId: 'cmp_a' })).toEqual([{ key: { pk: 'CMPATTR#cmp_a', sk: '#COUNTS' }, add: { leads: 1 } }]);
    expect(leadAttributionDeltas({ campaignId: 'cmp_a' }, { campaignId: 'cmp_a' })).toEqual([]);
    expect(leadAttributionDeltas({ campaignId: 'cmp_a' }, { campaignId: 'cmp_b' }).map((d) => [d.key.pk, d.add.leads])).toEqual([['CMPATTR#cmp_a', -1], ['CMPATTR#cmp_b', 1]]);
    expect(leadAttributionDeltas({ campaignId: 'cmp_a' }, undefined)).toEqual([{ key: { pk: 'CMPATTR#cmp_a', sk: '#COUNTS' }, add: { leads: -1 } }]);
    expect(leadAttributionDeltas(undefined, {})).toEqual([]);
  });

  it('add won revenue per currency on a win, nothing on a repeat, and reverse it when the deal leaves won', () => {
    const open = { campaignId: 'cmp_a', status: 'open', amount: eur(500) };
    const won = { ...open, status: 'won' };
    expect(dealAttributionDeltas(undefined, open)).toEqual([{ key: { pk: 'CMPATTR#cmp_a', sk: '#COUNTS' }, add: { deals: 1 } }]);
    expect(dealAttributionDeltas(open, won)).toEqual([{ key: { pk: 'CMPATTR#cmp_a', sk: '#WON#EUR' }, currency: 'EUR', add: { wonDeals: 1, wonRevenue: 500 } }]);
    expect(dealAttributionDeltas(won, won)).toEqual([]);
    expect(dealAttributionDeltas(won, { ...won, status: 'open' })).toEqual([{ key: { pk: 'CMPATTR#cmp_a', sk: '#WON#EUR' }, currency: 'EUR', add: { wonDeals: -1, wonRevenue: -500 } }]);
    expect(dealAttributionDeltas(won, undefined).map((d) => d.add)).toEqual([{ deals: -1 }, { wonDeals: -1, wonRevenue: -500 }]);
    // A won deal whose amount changes moves only the revenue.
    expect(dealAttributionDeltas(won, { ...won, amount: eur(800) })).toEqual([{ key: { pk: 'CMPATTR#cmp_a', sk: '#WON#EUR' }, currency: 'EUR', add: { wonRevenue: 300 } }]);
  });
});

describe('inbound SMS', () => {
  it('opts out on a STOP keyword as the first word, in any case, and nothing else', () => {
    for (const text of ['STOP', 'stop', ' Stop please', 'UNSUBSCRIBE', 'stopall', 'Cancel.', 'arret']) expect(isStop(text), text).toBe(true);
    for (const text of ['', 'Please stop', 'STOPPED', 'yes', 'ok thanks']) expect(isStop(text), text).toBe(false);
    expect(isStop('whatever', 'STOP')).toBe(true);
  });

  it('reads only the fields it needs from the SNS message', () => {
    expect(parseInbound('{"originationNumber":"+4915100000","messageBody":"STOP","extra":1}')).toEqual({ originationNumber: '+4915100000', messageBody: 'STOP', messageKeyword: undefined });
    expect(parseInbound('not json')).toBeUndefined();
    expect(parseInbound('"text"')).toBeUndefined();
    expect(parseInbound('{"originationNumber":42}')).toEqual({ originationNumber: undefined, messageBody: undefined, messageKeyword: undefined });
  });
});

describe('rate-limit windows', () => {
  it('are fixed windows whose key changes when one ends', () => {
    const limit = { name: 'x', max: 3, windowSeconds: 600 };
    const a = windowOf(limit, new Date('2026-12-01T10:09:59Z'));
    expect(a).toEqual({ start: '2026-12-01T10:00:00.000Z', endSec: Date.parse('2026-12-01T10:10:00Z') / 1000 });
    expect(windowOf(limit, new Date('2026-12-01T10:10:00Z')).start).toBe('2026-12-01T10:10:00.000Z');
  });
});
