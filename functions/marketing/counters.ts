/**
 * A campaign's counter shards (`CMP#<id>` / `#STATS#nn`): their layout, their sum and the rates
 * derived from it. Pure and light (keys only), so the dashboard reads campaign figures with the
 * same code as `GET /v1/campaigns/{id}/stats` without loading the marketing feature.
 */
import { keys } from '../data/keys';
import type { CampaignItem } from './campaigns';

/** Counter shards per campaign: concurrent sends rarely touch the same small item. */
export const STATS_SHARDS = 8;
export const statsShard = (addressHash: string) => addressHash.charCodeAt(0) % STATS_SHARDS;
export const COUNTERS = ['recipients', 'excluded', 'sent', 'skippedConsent', 'skippedSuppressed', 'failed', 'delivered', 'bounced', 'complained', 'opened', 'clicked', 'rejected', 'unsubscribed'] as const;
export type Counter = (typeof COUNTERS)[number];

/** The keys of a campaign's counter shards (for a BatchGetItem over several campaigns: the dashboard). */
export const statsShardKeys = (id: string) => Array.from({ length: STATS_SHARDS }, (_, shard) => keys.campaign.stats(id, shard));

/** `campaignStats` of counter shard items however read (pure). */
export function statsOfShards(c: Pick<CampaignItem, 'status'>, shards: readonly Record<string, unknown>[]) {
  const sums: Record<Counter, number> = { recipients: 0, excluded: 0, sent: 0, skippedConsent: 0, skippedSuppressed: 0, failed: 0, delivered: 0, bounced: 0, complained: 0, opened: 0, clicked: 0, rejected: 0, unsubscribed: 0 };
  for (const shard of shards) for (const k of COUNTERS) sums[k] += Number(shard[k] ?? 0);
  const finished = sums.sent + sums.skippedConsent + sums.skippedSuppressed + sums.failed;
  const open = Math.max(0, sums.recipients - finished);
  // Once the ledger is worked off, a recipient neither sent nor skipped was claimed and never
  // confirmed (a crash between claim and send): it is "unknown" and never sent again.
  const done = c.status === 'sent' || c.status === 'cancelled';
  return { ...sums, unknown: done ? open : 0, pending: done ? 0 : open };
}

const rate = (n: number, d: number) => (d > 0 ? n / d : null);

type Counts = { sent: number; delivered: number; opened: number; clicked: number; bounced: number; complained: number; unsubscribed: number };

/** A campaign's rates (unrounded; null when nothing to divide by): opens and clicks per delivery, the rest per send. */
export function campaignRates(s: Counts) {
  return {
    delivery: rate(s.delivered, s.sent),
    open: rate(s.opened, s.delivered),
    click: rate(s.clicked, s.delivered),
    bounce: rate(s.bounced, s.sent),
    complaint: rate(s.complained, s.sent),
    unsubscribe: rate(s.unsubscribed, s.sent),
  };
}
