/**
 * Campaign attribution (C6): leads and deals may carry the campaign that produced them, and the
 * campaign's counters move in the SAME transaction as the lead or deal change — so they are right
 * exactly once, whatever is retried, and a deal that leaves `won` (deleted, reopened) takes its
 * revenue back with it.
 *
 * The counters say what the records say right now: `leads` = existing leads carrying the campaign
 * (converted ones included), `deals` = existing deals carrying it, and per currency `wonDeals` /
 * `wonRevenue` (minor units) = those deals that are won. Every change adds the difference between
 * what the record contributed before and what it contributes after (contribution, below), so a
 * create, a change of campaign, a win, a delete and any later transition are one rule.
 *
 * Items (functions/data/keys.ts `campaignAttribution`, partition `CMPATTR#<campaignId>`):
 *   `#COUNTS`          leads, deals
 *   `#WON#<currency>`  currency, wonDeals, wonRevenue
 * The leads and deals functions are granted UpdateItem on that partition only, never the campaign.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import type { Transaction } from '../data/transaction';
import { BadRequest } from '../http/problem';

/** What of a lead counts. */
export interface AttributedLead { campaignId?: string }
/** What of a deal counts. */
export interface AttributedDeal { campaignId?: string; status: string; amount: { amount: number; currency: string } }

type Counters = Map<string, { key: { pk: string; sk: string }; currency?: string; add: Record<string, number> }>;

function addTo(counters: Counters, key: { pk: string; sk: string }, deltas: Record<string, number>, sign: 1 | -1, currency?: string): void {
  const id = `${key.pk}|${key.sk}`;
  const entry = counters.get(id) ?? { key, ...(currency ? { currency } : {}), add: {} };
  for (const [name, n] of Object.entries(deltas)) entry.add[name] = (entry.add[name] ?? 0) + sign * n;
  counters.set(id, entry);
}

function leadContribution(counters: Counters, lead: AttributedLead | undefined, sign: 1 | -1): void {
  if (lead?.campaignId) addTo(counters, keys.campaignAttribution.counts(lead.campaignId), { leads: 1 }, sign);
}

function dealContribution(counters: Counters, deal: AttributedDeal | undefined, sign: 1 | -1): void {
  if (!deal?.campaignId) return;
  addTo(counters, keys.campaignAttribution.counts(deal.campaignId), { deals: 1 }, sign);
  if (deal.status === 'won') {
    addTo(counters, keys.campaignAttribution.won(deal.campaignId, deal.amount.currency), { wonDeals: 1, wonRevenue: deal.amount.amount }, sign, deal.amount.currency);
  }
}

/** The counter updates (non-zero only) that turn a lead's contribution before into the one after. Pure. */
export function leadAttributionDeltas(before: AttributedLead | undefined, after: AttributedLead | undefined): CounterDelta[] {
  const counters: Counters = new Map();
  leadContribution(counters, before, -1);
  leadContribution(counters, after, 1);
  return nonZero(counters);
}

/** The same for a deal: created, changed, won, reopened or deleted alike. Pure. */
export function dealAttributionDeltas(before: AttributedDeal | undefined, after: AttributedDeal | undefined): CounterDelta[] {
  const counters: Counters = new Map();
  dealContribution(counters, before, -1);
  dealContribution(counters, after, 1);
  return nonZero(counters);
}

function nonZero(counters: Counters): CounterDelta[] {
  const out: CounterDelta[] = [];
  for (const entry of counters.values()) {
    const add = Object.fromEntries(Object.entries(entry.add).filter(([, n]) => n !== 0));
    if (Object.keys(add).length > 0) out.push({ key: entry.key, ...(entry.currency ? { currency: entry.currency } : {}), add });
  }
  return out;
}

export interface CounterDelta {
  key: { pk: string; sk: string };
  currency?: string;
  add: Record<string, number>;
}

/** Appends the counter updates to the record's own transaction (one UpdateItem per counter item). */
export function addAttributionUpdates(tx: Transaction, deltas: readonly CounterDelta[]): void {
  for (const [i, d] of deltas.entries()) {
    const names = Object.keys(d.add);
    tx.update(`campaign-attribution:${i}`, d.key, {
      expression: `SET #kind = :kind, campaignId = :cmp${d.currency ? ', currency = :cur' : ''} ADD ${names.map((_, j) => `#a${j} :a${j}`).join(', ')}`,
      names: { '#kind': 'kind', ...Object.fromEntries(names.map((n, j) => [`#a${j}`, n])) },
      values: {
        ':kind': 'campaign-attribution', ':cmp': d.key.pk.slice('CMPATTR#'.length), ...(d.currency ? { ':cur': d.currency } : {}),
        ...Object.fromEntries(names.map((n, j) => [`:a${j}`, d.add[n]])),
      },
    });
  }
}

export const addLeadAttribution = (tx: Transaction, before: AttributedLead | undefined, after: AttributedLead | undefined) =>
  addAttributionUpdates(tx, leadAttributionDeltas(before, after));
export const addDealAttribution = (tx: Transaction, before: AttributedDeal | undefined, after: AttributedDeal | undefined) =>
  addAttributionUpdates(tx, dealAttributionDeltas(before, after));

/**
 * A campaign id a client sets on a lead or deal must name a campaign (400 naming `path`
 * otherwise). One GetItem, only when the id changes; campaigns are never deleted, so the check
 * cannot go stale before the commit.
 */
export async function assertCampaignExists(campaignId: string | null | undefined, previous: string | undefined, path = 'campaignId'): Promise<void> {
  if (!campaignId || campaignId === previous) return;
  const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: keys.campaign.primary(campaignId), ProjectionExpression: 'pk' }));
  if (!out.Item) throw BadRequest('Some body fields are not valid', [{ path, message: 'No such campaign' }]);
}

export interface CampaignAttribution {
  leads: number;
  deals: number;
  wonDeals: number;
  /** Won revenue per currency, minor units. */
  wonRevenue: { currency: string; amount: number }[];
}

/** The campaign's attribution counters: one Query on `CMPATTR#<campaignId>` (zeros when nothing was attributed). */
export async function readAttribution(campaignId: string): Promise<CampaignAttribution> {
  const out = await ddb().send(new QueryCommand({
    TableName: config().tableName,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.campaignAttribution.partition(campaignId) },
    ConsistentRead: true,
  }));
  const result: CampaignAttribution = { leads: 0, deals: 0, wonDeals: 0, wonRevenue: [] };
  for (const item of out.Items ?? []) {
    if (item.sk === '#COUNTS') {
      result.leads = Number(item.leads ?? 0);
      result.deals = Number(item.deals ?? 0);
    } else {
      result.wonDeals += Number(item.wonDeals ?? 0);
      if (Number(item.wonRevenue ?? 0) !== 0 || Number(item.wonDeals ?? 0) !== 0) result.wonRevenue.push({ currency: String(item.currency), amount: Number(item.wonRevenue ?? 0) });
    }
  }
  return result;
}
