/**
 * Quote arithmetic: the ONE rounding rule (docs/quotes.md). Pure and integer-only: amounts are
 * minor units, quantities integer thousandths, percentages basis points; intermediate products
 * are BigInt so nothing is ever a float and nothing overflows before the final check.
 *
 * Per line:
 *   gross    = round(unitPrice × quantity)                                   — before any discount
 *   net      = round(unitPrice × quantity × (1 − lineDiscount) × (1 − quoteDiscount))
 *   discount = gross − net
 *   tax      = round(net × taxRate)
 *   total    = net + tax
 * Quote totals are the sums of the rounded line figures. `round` is round half to even (banker's
 * rounding) to the currency's minor unit, applied exactly once per figure on the exact rational.
 */

export const BP = 10_000n;
export const MILLI = 1000n;

export interface PricedLineInput {
  unitPrice: number;
  /** Integer thousandths: 1500 = 1.5 units. */
  quantityMilli: number;
  /** Basis points 0–10000. */
  discountBp: number;
  /** Basis points 0–10000 (1900 = 19 %). */
  taxRateBp: number;
}

export interface LineAmounts {
  gross: number;
  discount: number;
  net: number;
  tax: number;
  total: number;
}

export interface QuoteTotals {
  subtotal: number;
  discount: number;
  net: number;
  tax: number;
  total: number;
}

/** Round half to even of numerator / denominator (denominator > 0; numerator may be negative). */
export function divRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new Error('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let q = n / denominator;
  const r = n % denominator;
  const twice = r * 2n;
  if (twice > denominator || (twice === denominator && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

export class AmountTooLarge extends Error {
  constructor() {
    super('An amount exceeds the largest supported value');
    this.name = 'AmountTooLarge';
  }
}

function safe(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) throw new AmountTooLarge();
  return Number(value);
}

export function priceLine(line: PricedLineInput, quoteDiscountBp = 0): LineAmounts {
  const price = BigInt(line.unitPrice);
  const qty = BigInt(line.quantityMilli);
  const gross = divRoundHalfEven(price * qty, MILLI);
  const net = divRoundHalfEven(price * qty * (BP - BigInt(line.discountBp)) * (BP - BigInt(quoteDiscountBp)), MILLI * BP * BP);
  const tax = divRoundHalfEven(net * BigInt(line.taxRateBp), BP);
  return { gross: safe(gross), discount: safe(gross - net), net: safe(net), tax: safe(tax), total: safe(net + tax) };
}

export function sumTotals(lines: readonly LineAmounts[]): QuoteTotals {
  const sum = (pick: (l: LineAmounts) => number) => safe(lines.reduce((acc, l) => acc + BigInt(pick(l)), 0n));
  return { subtotal: sum((l) => l.gross), discount: sum((l) => l.discount), net: sum((l) => l.net), tax: sum((l) => l.tax), total: sum((l) => l.total) };
}

export function priceQuote<T extends PricedLineInput>(lines: readonly T[], quoteDiscountBp = 0): { lines: (T & { amounts: LineAmounts })[]; totals: QuoteTotals } {
  const priced = lines.map((line) => ({ ...line, amounts: priceLine(line, quoteDiscountBp) }));
  return { lines: priced, totals: sumTotals(priced.map((l) => l.amounts)) };
}

/**
 * Quantities arrive as decimals with at most three places ("2.5", 0.125) and are kept as integer
 * thousandths. Returns undefined when the value has more precision than that.
 */
export function toQuantityMilli(quantity: number): number | undefined {
  if (!Number.isFinite(quantity)) return undefined;
  const milli = Math.round(quantity * 1000);
  if (Math.abs(milli - quantity * 1000) > 1e-6) return undefined;
  return milli;
}

export const fromQuantityMilli = (milli: number) => milli / 1000;
