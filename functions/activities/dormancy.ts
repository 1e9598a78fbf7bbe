/**
 * Dormant customers, run daily by the jobs function: a customer of a tier with a dormancy rule
 * (e.g. A: 30 days) that has had no activity for that long — counted from its last activity, or
 * from its creation when it never had one — gets a follow-up task for its owner. At most one such
 * task is open per customer (the tasks module releases the `dormant#<id>` key when it closes), and
 * a follow-up restarts the clock, so a customer still quiet N days later is raised again.
 *
 * Finding them never scans: each customer's tracker item (`#ACTIVITY`) sits in the sparse gsi3
 * partition `DORMANCY#TIER#<tier>`, sorted by when its clock started, and the run reads what is
 * older than the cut-off. Tier, archive state and creation time reach the tracker from the
 * customers' key-event feed (audit entries with `timeline: true`, gsi3 `CUSTOMERS#KEYEVENTS#<month>`),
 * which each run first reads from its checkpoint on: cost grows with customer changes and due
 * customers, not with the number of customers.
 */
import { addDays, localDateOf, zonedTimeToInstant } from '../calendar/business-calendar';
import { config } from '../config';
import { getServiceRules } from '../settings/repository';
import type { ServiceRules } from '../settings/rules';
import { createTaskFromRule } from '../tasks/service';
import * as repo from './repository';

export const DORMANCY_JOB = 'dormant-customers';
/** Each run re-reads this much of the feed before its checkpoint (index propagation, clock skew). */
const FEED_OVERLAP_MS = 5 * 60_000;
/** Without a checkpoint (first run), the feed is read this far back. */
const FIRST_RUN_LOOKBACK_DAYS = 400;
const DAY_MS = 86_400_000;

/** `2026-09` … `2026-11`: the months from one ISO instant to another. */
export function monthsBetween(from: string, until: string): string[] {
  const months: string[] = [];
  let [y, m] = [Number(from.slice(0, 4)), Number(from.slice(5, 7))];
  const end = until.slice(0, 7);
  for (let i = 0; i < 1200; i++) {
    const month = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
    months.push(month);
    if (month >= end) break;
    m = m === 12 ? 1 : m + 1;
    if (m === 1) y++;
  }
  return months;
}

/** Brings trackers up to date with customer key events since the last run. */
export async function syncFromFeed(now: Date): Promise<{ customers: number }> {
  // Never past the real clock: a run replayed "in the future" must not skip events yet to come.
  const until = new Date(Math.min(now.getTime(), Date.now())).toISOString();
  const state = await repo.getJobState(DORMANCY_JOB);
  const checkpoint = state?.syncedUntil as string | undefined;
  const from = checkpoint
    ? new Date(Date.parse(checkpoint) - FEED_OVERLAP_MS).toISOString()
    : new Date(Date.parse(until) - FIRST_RUN_LOOKBACK_DAYS * DAY_MS).toISOString();
  if (from >= until) return { customers: 0 };
  const ids = new Set<string>();
  for (const month of monthsBetween(from, until)) for (const id of await repo.queryKeyEvents(month, from, until)) ids.add(id);
  for (const id of ids) {
    const customer = await repo.getCustomer(id);
    if (customer) await repo.syncTracker(customer);
  }
  await repo.saveJobState(DORMANCY_JOB, until);
  return { customers: ids.size };
}

export async function runDormantCustomers(now: Date, rules?: ServiceRules) {
  const synced = await syncFromFeed(now);
  const ruleSet = rules ?? (await getServiceRules());
  const tz = config().businessTimeZone;
  const result = { synced: synced.customers, due: 0, created: 0, existing: 0, skipped: 0 };
  for (const [tier, days] of Object.entries(ruleSet.dormancyDays ?? {})) {
    if (!days) continue;
    const cutoff = new Date(now.getTime() - days * DAY_MS).toISOString();
    for (const customerId of await repo.queryDormant(tier, cutoff)) {
      result.due++;
      const [customer, tracker] = await Promise.all([repo.getCustomer(customerId), repo.getTracker(customerId)]);
      if (!customer || customer.archivedAt || customer.tier !== tier || !tracker?.touchedAt || tracker.touchedAt >= cutoff) {
        // The index was behind the customer (tier changed, archived) or an activity just came in.
        if (customer) await repo.syncTracker(customer);
        result.skipped++;
        continue;
      }
      const since = tracker.lastActivityAt ? `since ${tracker.lastActivityAt.slice(0, 10)}` : 'ever';
      const outcome = await createTaskFromRule({
        sourceKey: `dormant#${customerId}`,
        releaseOnClose: true,
        title: `Follow up with ${customer.name}: no contact for ${days}+ days`,
        notes: `No call, email, meeting, SMS or visit recorded ${since} (tier ${tier} rule: ${days} days).`,
        dueAt: zonedTimeToInstant(addDays(localDateOf(now, tz), 1), tz, 9).toISOString(),
        assigneeId: customer.ownerId,
        customerId,
        related: { type: 'customer', id: customerId },
        reminders: [{ at: now.toISOString() }],
      }, now);
      if (outcome.created) result.created++;
      else result.existing++;
      await repo.markFollowedUp(customerId, tracker.rev, now.toISOString());
    }
  }
  return result;
}
