/**
 * A campaign's results (`GET /v1/campaigns/{id}/stats`) and the marketing settings (auto-pause
 * thresholds). Everything is read from counters maintained on write — the campaign's counter
 * shards (`CMP#<id>` / `#STATS#nn`: the send job, the unsubscribe endpoint and the SES feedback
 * loop ADD to them) and the attribution counters (`CMPATTR#<id>`: the leads and deals functions
 * ADD to them) — so the report costs one GetItem and two Queries whatever the campaign's size.
 */
import { keys } from '../data/keys';
import { Conflict, NotFound, PreconditionFailed } from '../http/problem';
import type { Principal } from '../security/principal';
import { campaignStats, getCampaignItem } from './campaigns';
import { getMarketingSettings, type MarketingSettings, putMarketingSettings } from './feedback';
import { campaignRates } from './counters';
import { isConditionFailure, queryPage } from './store';

type Money = { amount: number; currency: string };

/** Attribution counters: `#COUNTS` (leads, deals) and `#WON#<currency>` (wonDeals, wonRevenue); all 0 when absent. */
export async function attributionOf(campaignId: string) {
  const page = await queryPage({ partition: keys.campaignAttribution.partition(campaignId), limit: 50, consistent: true });
  let leads = 0;
  let deals = 0;
  let wonDeals = 0;
  const wonRevenue: Money[] = [];
  for (const item of page.items) {
    const sk = String(item.sk);
    if (sk === '#COUNTS') {
      leads += Number(item.leads ?? 0);
      deals += Number(item.deals ?? 0);
    } else if (sk.startsWith('#WON#')) {
      wonDeals += Number(item.wonDeals ?? 0);
      wonRevenue.push({ amount: Number(item.wonRevenue ?? 0), currency: sk.slice('#WON#'.length) });
    }
  }
  return { leads, deals, wonDeals, wonRevenue };
}




/** The evaluation figures from the counters (pure). */
export function evaluate(input: { budget?: Money; clicked: number; leads: number; wonRevenue: Money[] }) {
  const responses = input.clicked + input.leads;
  const budget = input.budget ?? null;
  const costPerResponse = budget && responses > 0 ? { amount: Math.round(budget.amount / responses), currency: budget.currency } : null;
  const won = budget ? input.wonRevenue.find((m) => m.currency === budget.currency)?.amount ?? 0 : 0;
  const returnOnBudget = budget && budget.amount > 0 ? (won - budget.amount) / budget.amount : null;
  return { responses, budget, costPerResponse, returnOnBudget };
}

export async function campaignReport(id: string) {
  const campaign = await getCampaignItem(id);
  if (!campaign) throw NotFound('No such campaign');
  const [s, attribution] = await Promise.all([campaignStats(campaign), attributionOf(id)]);
  return {
    campaignId: id,
    status: campaign.status,
    ...(campaign.startsOn ? { startsOn: campaign.startsOn } : {}),
    ...(campaign.endsOn ? { endsOn: campaign.endsOn } : {}),
    recipients: s.recipients,
    excluded: s.excluded,
    sent: s.sent,
    delivered: s.delivered,
    opened: s.opened,
    clicked: s.clicked,
    bounced: s.bounced,
    complained: s.complained,
    rejected: s.rejected,
    unsubscribed: s.unsubscribed,
    skipped: s.skippedConsent + s.skippedSuppressed,
    failed: s.failed,
    unknown: s.unknown,
    pending: s.pending,
    ...attribution,
    rates: campaignRates(s),
    ...evaluate({ budget: campaign.budget, clicked: s.clicked, leads: attribution.leads, wonRevenue: attribution.wonRevenue }),
    ...(campaign.autoPause ? { autoPause: campaign.autoPause } : {}),
  };
}

// ---- settings -------------------------------------------------------------------------------

const view = (s: MarketingSettings) => ({
  maxBounceRate: s.maxBounceRate, maxComplaintRate: s.maxComplaintRate, minSends: s.minSends, notifyUserIds: s.notifyUserIds ?? [],
  version: s.version, ...(s.updatedAt ? { updatedAt: s.updatedAt } : {}), ...(s.updatedBy ? { updatedBy: s.updatedBy } : {}),
});

export async function readSettings() {
  return view(await getMarketingSettings());
}

/** Replaces the settings; If-Match (the version) is honoured when given, else the version read. */
export async function writeSettings(
  principal: Principal,
  body: { maxBounceRate: number; maxComplaintRate: number; minSends: number; notifyUserIds: string[] },
  expectedVersion: number | undefined,
  now: Date,
) {
  const current = await getMarketingSettings();
  if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
  try {
    return view(await putMarketingSettings({ ...body, notifyUserIds: [...new Set(body.notifyUserIds)] }, current.version, principal.userId, now));
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    if (expectedVersion !== undefined) throw PreconditionFailed();
    throw Conflict('The settings were changed by someone else right now; read them again');
  }
}
