import * as z from './zod';
import { once } from './once';
import { Money } from './common';
import { Period } from './shared';
import { text } from './text';

export const DashboardQuery = once(() => z.strictObject({
  period: z.optional(Period().check(z.meta({ description: 'A quarter (2026-Q4) or a month (2026-11); defaults to the current quarter (UTC)' }))),
  ownerId: z.optional(text(128).check(z.meta({ description: 'One owner\'s figures (scope all); a sales rep may only name themselves' }))),
}));

const Rate = once(() => z.nullable(z.number().check(z.meta({ description: '0–1, rounded to 4 places; null when nothing to divide by' }))));

export const Dashboard = once(() => z
  .object({
    period: z.string(),
    months: z.array(z.string()),
    ownerId: z.nullable(z.string().check(z.meta({ description: 'Whose figures (null: everyone\'s)' }))),
    pipeline: z.array(z.object({
      pipelineId: z.string(),
      name: z.string(),
      stages: z.array(z.object({ stageId: z.string(), name: z.string(), deals: z.int(), value: z.array(Money()) })),
    })).check(z.meta({ description: 'Open deals now, by pipeline and stage (in stage order)' })),
    funnel: z.object({
      leadsCreated: z.int(),
      leadsConverted: z.int(),
      dealsCreated: z.int(),
      dealsWon: z.int(),
      dealsLost: z.int(),
      leadToDeal: Rate(),
      dealToWon: Rate(),
    }).check(z.meta({ description: 'Flows in the period: leadToDeal = converted / created leads; dealToWon = won / (won + lost) deals closed in the period' })),
    revenue: z.object({
      byMonth: z.array(z.object({ month: z.string(), currency: z.string(), amount: z.int(), deals: z.int() })),
      byOwner: z.array(z.object({ ownerId: z.string(), currency: z.string(), amount: z.int(), deals: z.int() })),
    }).check(z.meta({ description: 'Won deal value (minor units) by month of closing and by owner' })),
    forecast: z.array(z.object({
      ownerId: z.string(),
      currency: z.string(),
      closedWon: z.int(),
      commit: z.int(),
      bestCase: z.int(),
      pipeline: z.int(),
      weighted: z.int(),
      quota: z.optional(Money()),
      attainment: z.optional(Rate()),
    })).check(z.meta({ description: 'Forecast vs quota per owner and currency (quota only in its own currency)' })),
    customers: z.object({
      live: z.int(),
      archived: z.int(),
      byTier: z.array(z.object({ tier: z.string(), customers: z.int() })),
      byLifecycleStage: z.array(z.object({ lifecycleStage: z.string(), customers: z.int() })),
    }).check(z.meta({ description: 'Customers now, by tier and lifecycle stage ("-" = not set)' })),
  })
  .check(z.meta({ id: 'Dashboard', description: 'All figures come from counters maintained on write: a bounded number of reads whatever the data size.' })));
