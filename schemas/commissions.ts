import * as z from './zod';
import { once } from './once';
import { Money, PageQuery, RecordMeta, pageOf } from './common';
import { BasisPoints, Period } from './shared';
import { text } from './text';

export const PlanIdParam = once(() => ({
  planId: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,49}$/, 'Plan ids are 1–50 lower-case letters, digits or "-", e.g. "sales-2026"')),
}));
export const MAX_PLAN_USERS = 40;

export const CommissionPlanInput = once(() => z
  .strictObject({
    name: text(200),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"')),
    rateBp: BasisPoints().check(z.meta({ description: 'Commission on won amount up to quota (or all of it without a quota)' })),
    acceleratorRateBp: z.optional(BasisPoints().check(z.meta({ description: 'Higher rate on the part of won amount above quota' }))),
    userIds: z.array(text(128)).check(
      z.maxLength(MAX_PLAN_USERS),
      z.refine((ids) => new Set(ids).size === ids.length, 'Each user once'),
      z.meta({ description: 'Users on this plan (a user is on at most one plan)' }),
    ),
  })
  .check(
    z.refine((p) => p.acceleratorRateBp === undefined || p.acceleratorRateBp >= p.rateBp, 'acceleratorRateBp must be at least rateBp'),
    z.meta({ id: 'CommissionPlanInput' }),
  ));

export const CommissionPlan = once(() => z
  .object({
    id: z.string(),
    name: z.string(),
    currency: z.string(),
    rateBp: z.int(),
    acceleratorRateBp: z.optional(z.int()),
    userIds: z.array(z.string()),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'CommissionPlan' })));

export const CommissionPlanPage = once(() => pageOf(CommissionPlan(), 'CommissionPlanPage'));
export const CommissionPlanListQuery = once(() => z.strictObject({ ...PageQuery() }));

export const StatementQuery = once(() => z.strictObject({
  userId: z.optional(text(128).check(z.meta({ description: 'Defaults to the caller; sales may only read their own' }))),
  period: Period(),
}));

export const CommissionStatement = once(() => z
  .object({
    userId: z.string(),
    period: z.string(),
    from: z.string(),
    to: z.string(),
    planId: z.string(),
    currency: z.string(),
    rateBp: z.int(),
    acceleratorRateBp: z.optional(z.int()),
    deals: z.array(z.object({ id: z.string(), name: z.string(), amount: Money(), closedAt: z.string(), customerId: z.string(), counted: z.boolean() })),
    won: Money(),
    quota: z.optional(Money()),
    attainmentBp: z.optional(z.int().check(z.meta({ description: 'won / quota in basis points, rounded half-even' }))),
    baseAmount: Money(),
    acceleratedAmount: Money(),
    commission: Money(),
  })
  .check(z.meta({ id: 'CommissionStatement' })));
