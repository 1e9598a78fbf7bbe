import * as z from './zod';
import { once } from './once';
import { Id, Money, Timestamp } from './common';
import { CAMPAIGN_STATUSES, CHANNELS } from './marketing-enums';
import { Period } from './shared';
import { text } from './text';

export const DashboardQuery = once(() => z.strictObject({
  period: z.optional(Period().check(z.meta({ description: 'A quarter (2026-Q4) or a month (2026-11); defaults to the current quarter (UTC)' }))),
  ownerId: z.optional(text(128).check(z.meta({ description: 'One owner\'s figures (scope all); a sales rep may only name themselves' }))),
}));

const Rate = once(() => z.nullable(z.number().check(z.meta({ description: '0–1, rounded to 4 places; null when nothing to divide by' }))));

const CampaignRates = once(() => z.object({
  delivery: Rate(), open: Rate(), click: Rate(), bounce: Rate(), complaint: Rate(), unsubscribe: Rate(),
}).check(z.meta({ description: 'Opens and clicks per delivered message; delivery, bounces, complaints and unsubscriptions per sent message' })));

const CampaignCounts = once(() => ({
  sent: z.int(), delivered: z.int(), opened: z.int(), clicked: z.int(), bounced: z.int(), complained: z.int(), unsubscribed: z.int(), rates: CampaignRates(),
}));

const ServiceSection = once(() => z.object({
  sla: z.object({
    resolved: z.int().check(z.meta({ description: 'Resolutions in the period' })),
    compliant: z.int().check(z.meta({ description: 'Resolutions with neither SLA clock breached' })),
    compliance: Rate(),
    breaches: z.object({ firstResponse: z.int(), resolution: z.int(), total: z.int() }).check(z.meta({ description: 'Deadlines missed in the period, by clock' })),
  }),
  firstResponse: z.object({ count: z.int(), withinTarget: z.int(), compliance: Rate() }).check(z.meta({ description: 'First responses in the period and how many met their deadline' })),
  csat: z.object({
    surveys: z.int().check(z.meta({ description: 'Survey emails sent' })),
    responses: z.int(),
    responseRate: Rate(),
    average: z.nullable(z.number().check(z.meta({ description: 'Mean rating 1–5, two decimals' }))),
    distribution: z.record(z.string(), z.int()).check(z.meta({ description: 'Responses per rating "1"–"5"', examples: [{ 1: 0, 2: 1, 3: 2, 4: 5, 5: 9 }] })),
    satisfied: z.int().check(z.meta({ description: 'Ratings of 4 or 5' })),
    satisfaction: Rate(),
  }).check(z.meta({ description: 'Satisfaction surveys of tickets resolved in the period and their answers; satisfaction = satisfied / responses' })),
}).check(z.meta({ description: 'Service desk figures of the period, the same counters and sums as GET /v1/reports/service (one more read). Company-wide, whatever `ownerId`: null unless the caller reads reports with scope all and holds service-reports:read (a sales rep gets null)' })));

const CampaignsSection = once(() => z.object({
  items: z.array(z.object({
    campaignId: Id('cmp'),
    name: z.string(),
    channel: z.enum(CHANNELS),
    status: z.enum(CAMPAIGN_STATUSES),
    startedAt: Timestamp(),
    completedAt: z.optional(Timestamp()),
    ...CampaignCounts(),
  })).check(z.meta({ description: 'Campaigns whose sending (startedAt until completed, paused, cancelled or now) overlaps the period\'s months, most recently started first, with their counters as GET /v1/campaigns/{id}/stats gives them (whole-campaign totals, not split by month)' })),
  totals: z.object({ campaigns: z.int(), ...CampaignCounts() }).check(z.meta({ description: 'The shown campaigns\' counters summed, with their rates' })),
  truncated: z.boolean().check(z.meta({ description: 'More campaigns may have sent in the period than shown: more than 10 matched, or campaigns older than the 50 most recently created were not looked at' })),
}).check(z.meta({ description: 'Campaign performance, bounded: of the 50 most recently created campaigns (one Query), at most 10 that sent in the period (their counter shards in one BatchGetItem). Company-wide, whatever `ownerId`: null unless the caller reads reports with scope all and holds marketing:read and campaign-stats:read (a sales rep gets null)' })));

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
    service: z.nullable(ServiceSection()),
    campaigns: z.nullable(CampaignsSection()),
  })
  .check(z.meta({ id: 'Dashboard', description: 'All figures come from counters maintained on write: a bounded number of reads whatever the data size.' })));
