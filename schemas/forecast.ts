import * as z from './zod';
import { once } from './once';
import { Money, MoneyInput, PageQuery, pageOf } from './common';
import { Period } from './shared';
import { text } from './text';

const Owner = once(() => text(128));

export const ForecastQuery = once(() => z.strictObject({ period: Period(), ownerId: z.optional(Owner()) }));

const ForecastFigures = once(() => ({
  closedWon: z.int(), commit: z.int(), bestCase: z.int(), pipeline: z.int(), weighted: z.int(), wonCount: z.int(), openCount: z.int(),
}));
export const ForecastRow = once(() => z
  .object({ ownerId: z.string(), month: z.string(), currency: z.string(), ...ForecastFigures() })
  .check(z.meta({ id: 'ForecastRow', description: 'Amounts in minor units of `currency`' })));
export const ForecastOwner = once(() => z
  .object({
    ownerId: z.string(),
    totals: z.array(z.object({ currency: z.string(), ...ForecastFigures() })),
    quota: z.optional(Money()),
    attainment: z.optional(z.nullable(z.number().check(z.meta({ description: 'closed-won in the quota currency / quota (0.5 = 50 %)' })))),
  })
  .check(z.meta({ id: 'ForecastOwner' })));
export const Forecast = once(() => z
  .object({ period: z.string(), months: z.array(z.string()), rows: z.array(ForecastRow()), owners: z.array(ForecastOwner()) })
  .check(z.meta({ id: 'Forecast' })));

export const QuotaParams = once(() => ({ userId: Owner(), period: Period() }));
export const QuotaInput = once(() => z.strictObject({ amount: MoneyInput() }).check(z.meta({ id: 'QuotaInput' })));
export const Quota = once(() => z
  .object({ userId: z.string(), period: z.string(), amount: Money(), version: z.int(), updatedAt: z.string(), updatedBy: z.string() })
  .check(z.meta({ id: 'Quota' })));
export const QuotaPage = once(() => pageOf(Quota(), 'QuotaPage'));
export const QuotaListQuery = once(() => z.strictObject({ period: Period(), ...PageQuery() }));

export const SalesReportQuery = once(() => z.strictObject({ period: Period(), ownerId: z.optional(Owner()), pipelineId: z.optional(z.string().check(z.regex(/^pip_[0-9A-HJKMNP-TV-Z]{26}$/))) }));
const Funnel = once(() => z.object({ fromStageId: z.string(), fromStage: z.string(), toStageId: z.string(), toStage: z.string(), entered: z.int(), advanced: z.int(), conversion: z.nullable(z.number()) }));
export const SalesReportRow = once(() => z
  .object({
    ownerId: z.string(),
    pipelineId: z.string(),
    won: z.int(),
    lost: z.int(),
    winRate: z.nullable(z.number()),
    averageDealSize: z.array(Money()),
    averageCycleDays: z.nullable(z.number()),
    funnel: z.array(Funnel()),
  })
  .check(z.meta({ id: 'SalesReportRow' })));
export const SalesReport = once(() => z
  .object({ period: z.string(), months: z.array(z.string()), rows: z.array(SalesReportRow()), total: SalesReportRow() })
  .check(z.meta({ id: 'SalesReport' })));
