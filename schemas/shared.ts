/**
 * Building blocks that more than one feature's schemas use. They live here, not in the feature
 * that defined them first, so that importing one of them does not pull — and construct at every
 * cold start — all of that other feature's schemas (docs/performance.md, "Cold start").
 */
import * as z from './zod';
import { once } from './once';

/** Where a customer or lead came from. */
export const SOURCES = ['web', 'referral', 'event', 'campaign', 'partner', 'cold_call', 'import', 'other'] as const;

/** Product categories are compared case-insensitively; stored lower-case. */
export const Category = once(() => z.string().check(
  z.normalize('NFC'),
  z.trim(),
  z.toLowerCase(),
  z.regex(/^[\p{L}\p{N}][\p{L}\p{N} _-]{0,49}$/u, 'Categories are 1–50 letters, digits, spaces, "-" or "_"'),
));

export const BasisPoints = once(() => z.int().check(z.minimum(0), z.maximum(10_000), z.meta({ description: 'Basis points, 0–10000 (1900 = 19 %)' })));

/** A quarter or a month in 1900–2199 (the calendar range every date input keeps to). */
export const Period = once(() => z.string().check(z.regex(/^(19|2[01])\d{2}-(Q[1-4]|0[1-9]|1[0-2])$/, 'Expected a quarter like 2026-Q4 or a month like 2026-11 (years 1900–2199)')));
