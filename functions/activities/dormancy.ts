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
 *
 * At scale (a bulk import of a million customers is a million key events): the feed is read in
 * pages of 100, and after each page the cursor is saved (`sweep` on the job's state item, a
 * conditional write on the previous cursor), so a run that stops on its time budget — or dies —
 * resumes at the next page, and of two overlapping runs only one advances it. Only when the
 * feed is through does the run look for dormant customers, again page by page, ten at a time;
 * following a customer up restarts its clock, which takes it out of the due range (each item's
 * own checkpoint).
 */
import { randomUUID } from 'node:crypto';
import { addDays, localDateOf, zonedTimeToInstant } from '../calendar/business-calendar';
import { config } from '../config';
import { Budget } from '../jobs/budget';
import { mapLimit } from '../jobs/concurrency';
import { ITEM_CONCURRENCY, PAGE_SIZE, workThroughPages } from '../jobs/pages';
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

export interface DormancyRunOptions {
  budget?: Budget;
  rules?: ServiceRules;
  /** Called with a customer id and the error when its work failed (logged by the jobs function). */
  onItemError?: (id: string, error: unknown) => void;
}

const cursorOf = (month: string, startKey?: Record<string, unknown>) => `${month}|${startKey ? JSON.stringify(startKey) : ''}`;
function parseCursor(cursor: string): { month: string; startKey?: Record<string, unknown> } {
  const bar = cursor.indexOf('|');
  const rest = cursor.slice(bar + 1);
  return { month: cursor.slice(0, bar), ...(rest ? { startKey: JSON.parse(rest) as Record<string, unknown> } : {}) };
}

export interface FeedSyncResult {
  customers: number;
  /** Stopped on the budget with feed pages left. */
  more: boolean;
  /** Another run advanced the cursor first; this one left the feed to it. */
  contended: boolean;
}

/**
 * Brings trackers up to date with customer key events since the last run, one page at a time,
 * saving the cursor after each page. Always works at least one page, whatever the budget.
 */
export async function syncFromFeed(now: Date, budget: Budget = Budget.fromContext(undefined)): Promise<FeedSyncResult> {
  const result: FeedSyncResult = { customers: 0, more: false, contended: false };
  const state = await repo.getFeedState(DORMANCY_JOB);
  // The cursor as last saved (undefined: this sweep begins in this run and is not saved yet).
  let saved = state.sweep?.cursor;
  let sweep: repo.FeedSweep;
  if (state.sweep) {
    sweep = state.sweep;
  } else {
    // Never past the real clock: a run replayed "in the future" must not skip events yet to come.
    const until = new Date(Math.min(now.getTime(), Date.now())).toISOString();
    const from = state.syncedUntil
      ? new Date(Date.parse(state.syncedUntil) - FEED_OVERLAP_MS).toISOString()
      : new Date(Date.parse(until) - FIRST_RUN_LOOKBACK_DAYS * DAY_MS).toISOString();
    // A new pass re-reads FEED_OVERLAP_MS before the checkpoint; it starts only when it covers at
    // least as much new time. Continued runs of the same scheduled time therefore never re-read
    // the overlap (a bulk import inside it would otherwise eat every continuation's budget).
    if (state.syncedUntil && Date.parse(until) - Date.parse(state.syncedUntil) < FEED_OVERLAP_MS) return result;
    sweep = { id: randomUUID(), from, until, cursor: cursorOf(from.slice(0, 7)) };
  }
  const months = monthsBetween(sweep.from, sweep.until);
  // Pages with events worked in this run; empty ones (quiet months) cost one Query and move on.
  let pages = 0;
  for (;;) {
    if (pages > 0 && budget.expired()) {
      result.more = true;
      // Not saved yet (it began in this run): save it so the next run resumes here, not at the start.
      if (saved === undefined && !(await repo.saveSweep(DORMANCY_JOB, sweep, undefined))) result.contended = true;
      return result;
    }
    const { month, startKey } = parseCursor(sweep.cursor);
    const page = await repo.queryKeyEventsPage(month, sweep.from, sweep.until, PAGE_SIZE, startKey);
    const ids = [...new Set(page.items)];
    if (ids.length > 0) {
      pages += 1;
      const customers = await repo.getCustomers(ids);
      await mapLimit([...customers.values()], ITEM_CONCURRENCY, (customer) => repo.syncTracker(customer));
      result.customers += ids.length;
    }
    const nextMonth = months[months.indexOf(month) + 1];
    if (!page.lastKey && nextMonth === undefined) {
      if (!(await repo.finishSweep(DORMANCY_JOB, sweep, saved))) result.contended = true;
      return result;
    }
    const next: repo.FeedSweep = { ...sweep, cursor: page.lastKey ? cursorOf(month, page.lastKey) : cursorOf(nextMonth!) };
    // The page's checkpoint. Pages without events move the cursor in memory only (nothing to redo).
    if (ids.length > 0) {
      if (!(await repo.saveSweep(DORMANCY_JOB, next, saved))) {
        result.contended = true;
        return result;
      }
      saved = next.cursor;
    }
    sweep = next;
  }
}

export async function runDormantCustomers(now: Date, options: DormancyRunOptions = {}) {
  const budget = options.budget ?? Budget.fromContext(undefined);
  const synced = await syncFromFeed(now, budget);
  // A run that found another ahead on the feed cannot tell whether that one will finish: it
  // reports `more`, so the continuation marker stays until a run sees nothing left.
  const result = { synced: synced.customers, due: 0, created: 0, existing: 0, skipped: 0, processed: synced.customers, failed: 0, more: synced.contended };
  // The feed first: a customer whose tier or archive state has not reached its tracker yet would
  // be judged on stale data. (A run that lost the feed to another goes on: every dormancy
  // decision re-reads the customer, so a tracker behind its customer is only skipped.)
  if ((synced.more && !synced.contended) || budget.expired()) return { ...result, more: true };
  const ruleSet = options.rules ?? (await getServiceRules());
  const tz = config().businessTimeZone;
  for (const [tier, days] of Object.entries(ruleSet.dormancyDays ?? {})) {
    if (!days) continue;
    const cutoff = new Date(now.getTime() - days * DAY_MS).toISOString();
    const run = await workThroughPages({
      budget,
      query: (startKey, limit) => repo.queryDormantPage(tier, cutoff, limit, startKey),
      load: (ids) => repo.getCustomersAndTrackers(ids),
      onError: (id, error) => options.onItemError?.(id, error),
      handle: async (customerId, { customers, trackers }): Promise<'created' | 'existing' | 'skipped'> => {
        const customer = customers.get(customerId);
        const tracker = trackers.get(customerId);
        if (!customer || customer.archivedAt || customer.tier !== tier || !tracker?.touchedAt || tracker.touchedAt >= cutoff) {
          // The index was behind the customer (tier changed, archived) or an activity just came in.
          if (customer) await repo.syncTracker(customer);
          return 'skipped';
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
        // The item's checkpoint: the clock restarts, the customer leaves the due range.
        await repo.markFollowedUp(customerId, tracker.rev, now.toISOString());
        return outcome.created ? 'created' : 'existing';
      },
    });
    result.due += run.due;
    result.created += run.outcomes.created ?? 0;
    result.existing += run.outcomes.existing ?? 0;
    result.skipped += run.outcomes.skipped ?? 0;
    result.processed += run.processed;
    result.failed += run.failed;
    if (run.more) return { ...result, more: true };
  }
  return result;
}
