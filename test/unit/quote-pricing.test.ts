/**
 * Quote arithmetic: fixed examples worked out by hand, and properties of the rounding rule
 * (docs/quotes.md) checked with fast-check over random lines.
 */
import fc from '../support/fast-check-seed';
import { describe, expect, it } from 'vitest';
import { divRoundHalfEven, priceLine, priceQuote, sumTotals, toQuantityMilli } from '../../functions/quotes/pricing';
import { computeCommission, periodDates } from '../../functions/commissions/statement';

describe('round half to even', () => {
  it('rounds ties to the even neighbour and everything else to the nearest', () => {
    expect(divRoundHalfEven(5n, 2n)).toBe(2n); // 2.5 → 2
    expect(divRoundHalfEven(7n, 2n)).toBe(4n); // 3.5 → 4
    expect(divRoundHalfEven(-5n, 2n)).toBe(-2n);
    expect(divRoundHalfEven(249n, 100n)).toBe(2n);
    expect(divRoundHalfEven(251n, 100n)).toBe(3n);
    expect(divRoundHalfEven(0n, 7n)).toBe(0n);
  });
});

describe('fixed examples', () => {
  it('prices a line: 3 × 19.99 at 10 % off and 19 % tax', () => {
    // gross 59.97; net 59.97 × 0.9 = 53.973 → 53.97; tax 53.97 × 0.19 = 10.2543 → 10.25
    expect(priceLine({ unitPrice: 1999, quantityMilli: 3000, discountBp: 1000, taxRateBp: 1900 })).toEqual({ gross: 5997, discount: 600, net: 5397, tax: 1025, total: 6422 });
  });

  it('rounds a half cent to even, once per figure', () => {
    // 0.5 × 0.25 = 0.125 → 0.12 (tie, 12 is even); 1.5 × 0.25 = 0.375 → 0.38 (tie, 38 is even)
    expect(priceLine({ unitPrice: 25, quantityMilli: 500, discountBp: 0, taxRateBp: 0 }).net).toBe(12);
    expect(priceLine({ unitPrice: 25, quantityMilli: 1500, discountBp: 0, taxRateBp: 0 }).net).toBe(38);
    // tax 7 % of 0.50 = 0.035 → 0.04 (tie, 4 is even); 7 % of 0.10 = 0.007 → 0.01
    expect(priceLine({ unitPrice: 50, quantityMilli: 1000, discountBp: 0, taxRateBp: 700 }).tax).toBe(4);
    expect(priceLine({ unitPrice: 10, quantityMilli: 1000, discountBp: 0, taxRateBp: 700 }).tax).toBe(1);
  });

  it('applies the quote discount after the line discount, with one rounding of net', () => {
    // 10.00 × 2.5 = 25.00; × 0.8 × 0.95 = 19.00 exactly; tax 19 % = 3.61
    expect(priceLine({ unitPrice: 1000, quantityMilli: 2500, discountBp: 2000, taxRateBp: 1900 }, 500)).toEqual({ gross: 2500, discount: 600, net: 1900, tax: 361, total: 2261 });
  });

  it('sums rounded lines into the quote totals', () => {
    const { totals } = priceQuote([
      { unitPrice: 1999, quantityMilli: 3000, discountBp: 1000, taxRateBp: 1900 },
      { unitPrice: 25, quantityMilli: 500, discountBp: 0, taxRateBp: 700 },
    ]);
    // line 2: net 12 (0.125 → 0.12), tax 0.84 ct → 1
    expect(totals).toEqual({ subtotal: 5997 + 12, discount: 600, net: 5397 + 12, tax: 1025 + 1, total: 6422 + 13 });
  });

  it('reads decimal quantities with up to three places', () => {
    expect(toQuantityMilli(2.5)).toBe(2500);
    expect(toQuantityMilli(0.125)).toBe(125);
    expect(toQuantityMilli(1.1)).toBe(1100);
    expect(toQuantityMilli(0.0001)).toBeUndefined();
    expect(toQuantityMilli(Number.NaN)).toBeUndefined();
  });
});

const line = fc.record({
  unitPrice: fc.integer({ min: 0, max: 10_000_000_000 }),
  quantityMilli: fc.integer({ min: 1, max: 100_000_000 }),
  discountBp: fc.integer({ min: 0, max: 10_000 }),
  taxRateBp: fc.integer({ min: 0, max: 10_000 }),
});
const lines = fc.array(line, { minLength: 1, maxLength: 20 });
const bp = fc.integer({ min: 0, max: 10_000 });

describe('properties of the rounding rule', () => {
  it('every figure is an integer, none is negative, and net + tax = total, gross − discount = net', () => {
    fc.assert(fc.property(line, bp, (l, q) => {
      const a = priceLine(l, q);
      for (const v of Object.values(a)) {
        expect(Number.isSafeInteger(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
      }
      expect(a.net + a.tax).toBe(a.total);
      expect(a.gross - a.discount).toBe(a.net);
    }));
  });

  it('quote totals equal the sums of the line figures', () => {
    fc.assert(fc.property(lines, bp, (ls, q) => {
      const { lines: priced, totals } = priceQuote(ls, q);
      const sum = (k: 'gross' | 'discount' | 'net' | 'tax' | 'total') => priced.reduce((s, l) => s + l.amounts[k], 0);
      expect(totals).toEqual({ subtotal: sum('gross'), discount: sum('discount'), net: sum('net'), tax: sum('tax'), total: sum('total') });
    }));
  });

  it('a 0 % discount changes nothing: net equals gross', () => {
    fc.assert(fc.property(line, (l) => {
      const a = priceLine({ ...l, discountBp: 0 }, 0);
      expect(a.net).toBe(a.gross);
      expect(a.discount).toBe(0);
    }));
  });

  it('a 100 % discount makes the line free, tax included', () => {
    fc.assert(fc.property(line, bp, (l, q) => {
      const a = priceLine({ ...l, discountBp: 10_000 }, q);
      expect(a.net).toBe(0);
      expect(a.tax).toBe(0);
      expect(a.total).toBe(0);
    }));
  });

  it('more discount never costs more; rounding moves a figure by at most half a minor unit', () => {
    fc.assert(fc.property(line, bp, bp, (l, d1, d2) => {
      const [lo, hi] = d1 <= d2 ? [d1, d2] : [d2, d1];
      expect(priceLine({ ...l, discountBp: hi }).net).toBeLessThanOrEqual(priceLine({ ...l, discountBp: lo }).net);
      const exact = (l.unitPrice * (l.quantityMilli / 1000));
      expect(Math.abs(priceLine({ ...l, discountBp: 0 }).gross - exact)).toBeLessThanOrEqual(0.5 + exact * 1e-12);
    }));
  });

  it('pricing is deterministic: re-pricing the same lines (a revision copying them) gives the same totals', () => {
    fc.assert(fc.property(lines, bp, (ls, q) => {
      const first = priceQuote(ls, q);
      const copied = priceQuote(first.lines.map(({ amounts: _a, ...l }) => l), q);
      expect(copied.totals).toEqual(first.totals);
      expect(sumTotals(copied.lines.map((l) => l.amounts))).toEqual(first.totals);
    }));
  });
});

describe('commission arithmetic', () => {
  const deal = (id: string, amount: number, currency = 'EUR') => ({ id, name: id, amount: { amount, currency }, closedAt: '2026-11-01T10:00:00.000Z', customerId: 'cus_x' });

  it('pays the base rate up to quota and the accelerator above it (hand-computed)', () => {
    // won 12 000.00 + 8 000.00 + 5 000.01 = 25 000.01 EUR; quota 20 000.00
    // base 20 000.00 × 5 % = 1 000.00; above 5 000.01 × 8 % = 400.0008 → 1 400.00 (one rounding)
    const r = computeCommission({ currency: 'EUR', rateBp: 500, acceleratorRateBp: 800 }, [deal('a', 1_200_000), deal('b', 800_000), deal('c', 500_001), deal('usd', 999_999, 'USD')], { amount: 2_000_000, currency: 'EUR' });
    expect(r.won).toEqual({ amount: 2_500_001, currency: 'EUR' });
    expect(r.baseAmount.amount).toBe(2_000_000);
    expect(r.acceleratedAmount.amount).toBe(500_001);
    expect(r.commission).toEqual({ amount: 140_000, currency: 'EUR' });
    expect(r.attainmentBp).toBe(12_500); // 125.00 %
    expect(r.deals.find((d) => d.id === 'usd')!.counted).toBe(false);
  });

  it('uses the base rate for everything without a quota or without an accelerator', () => {
    expect(computeCommission({ currency: 'EUR', rateBp: 500, acceleratorRateBp: 800 }, [deal('a', 1_000_001)], undefined).commission.amount).toBe(50_000); // 50000.05 → 50000
    expect(computeCommission({ currency: 'EUR', rateBp: 500 }, [deal('a', 3_000_000)], { amount: 1_000_000, currency: 'EUR' }).commission.amount).toBe(150_000);
  });

  it('turns periods into [from, to) dates', () => {
    expect(periodDates('2026-Q4')).toEqual({ from: { year: 2026, month: 10, day: 1 }, to: { year: 2027, month: 1, day: 1 } });
    expect(periodDates('2026-Q1')).toEqual({ from: { year: 2026, month: 1, day: 1 }, to: { year: 2026, month: 4, day: 1 } });
    expect(periodDates('2026-12')).toEqual({ from: { year: 2026, month: 12, day: 1 }, to: { year: 2027, month: 1, day: 1 } });
  });
});
