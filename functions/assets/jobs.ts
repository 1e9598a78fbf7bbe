/**
 * Proactive reminders from asset dates, run daily by the jobs function:
 *  - service anniversaries: a task (and a reminder) for the customer's owner or the service
 *    queue `leadDays` before each anniversary;
 *  - warranty ending: a task `warrantyReminderDays` before warrantyEndsOn.
 * Each run reads only what is due from the sparse date-sorted indexes (never a scan), creates the
 * task through the tasks module — whose guard item makes a second task for the same anniversary
 * impossible — and then moves the asset's schedule forward with a conditional update. So runs are
 * safe to repeat or overlap, and a run after days of downtime catches up: one task for the latest
 * missed anniversary, then the schedule moves on.
 *
 * At scale (functions/jobs/pages.ts): one page of 100 due entries at a time, the page's assets and
 * customers in batch reads, ten items in flight, until nothing is due or the time budget is spent
 * (`more: true`; the jobs function continues the run within minutes). Moving the schedule is each
 * item's checkpoint, so a continued run starts exactly where this one stopped.
 */
import { addDays, formatDate, type LocalDate, localDateOf, parseDate, zonedTimeToInstant } from '../calendar/business-calendar';
import { config } from '../config';
import { Budget } from '../jobs/budget';
import { workThroughPages } from '../jobs/pages';
import { getServiceRules } from '../settings/repository';
import { assigneeFor, serviceIntervalMonths, type ServiceRules } from '../settings/rules';
import { createTaskFromRule } from '../tasks/service';
import { planService } from './anniversaries';
import type { AssetItem } from './model';
import type { CustomerState } from '../activities/repository';
import * as repo from './repository';

/** Local hour at which rule tasks fall due and their reminders fire. */
export const REMINDER_HOUR = 9;

const at = (date: LocalDate, tz: string) => zonedTimeToInstant(date, tz, REMINDER_HOUR);
const later = (a: Date, b: Date) => (a > b ? a : b);

export interface ProactiveRunOptions {
  budget?: Budget;
  /** The rules to apply (default: the stored ones). */
  rules?: ServiceRules;
  /** Called with an item's id and error name when its work failed (logged by the jobs function). */
  onItemError?: (id: string, error: unknown) => void;
}

interface PageContext {
  assets: Map<string, AssetItem>;
  customers: Map<string, CustomerState>;
}

/** The page's assets and their customers: two BatchGetItem requests per 100 entries. */
async function loadPage(entries: repo.DueEntry[]): Promise<PageContext> {
  const assets = await repo.getAssets(entries.map((e) => e.id));
  const customers = await repo.getCustomers([...new Set([...assets.values()].map((a) => a.customerId))]);
  return { assets, customers };
}

const noop = () => {};

export async function runServiceAnniversaries(now: Date, options: ProactiveRunOptions = {}) {
  const tz = config().businessTimeZone;
  const today = localDateOf(now, tz);
  const ruleSet = options.rules ?? (await getServiceRules());
  const through = formatDate(addDays(today, ruleSet.leadDays));
  const run = await workThroughPages({
    budget: options.budget ?? Budget.fromContext(undefined),
    query: (startKey, limit) => repo.queryDuePage('service', through, limit, startKey),
    load: loadPage,
    onError: (entry, error) => (options.onItemError ?? noop)(entry.id, error),
    handle: async (entry, { assets, customers }): Promise<'created' | 'existing' | 'advanced' | 'skipped'> => {
      const asset = assets.get(entry.id);
      if (!asset || asset.nextServiceOn !== entry.date) {
        // The index copy is behind the item (moved by a concurrent run, edited or deleted).
        if (!asset) await repo.dropFromIndex(entry.id, 'service', entry.date);
        return 'skipped';
      }
      const customer = customers.get(asset.customerId);
      const interval = customer ? serviceIntervalMonths(ruleSet, asset.category, customer.tier) : undefined;
      if (!customer || interval === undefined) {
        // No rule for the category any more (or no customer): the asset leaves the index.
        await repo.advanceService(asset, asset.serviceHandledThrough, undefined);
        return 'skipped';
      }
      const plan = planService(parseDate(asset.purchaseDate), interval, parseDate(asset.serviceHandledThrough), today, ruleSet.leadDays);
      let outcome: 'created' | 'existing' | 'advanced' = 'advanced';
      if (plan.due && !customer.archivedAt) {
        const anniversary = plan.due;
        const task = await createTaskFromRule({
          sourceKey: `anniversary#${asset.id}#${formatDate(anniversary)}`,
          title: `Service visit: ${asset.productName}`,
          notes: serviceNotes(asset, customer.name, anniversary, interval),
          dueAt: at(anniversary, tz).toISOString(),
          assigneeId: assigneeFor(ruleSet, customer.ownerId),
          customerId: customer.id,
          related: { type: 'asset', id: asset.id },
          reminders: [{ at: later(at(addDays(anniversary, -ruleSet.leadDays), tz), now).toISOString() }],
        }, now);
        outcome = task.created ? 'created' : 'existing';
      }
      // The item's checkpoint: its schedule moves on (a no-op if a concurrent run moved it first).
      const handledThrough = plan.due ? formatDate(plan.due) : asset.serviceHandledThrough;
      await repo.advanceService(asset, handledThrough, formatDate(plan.next));
      return outcome;
    },
  });
  const o = run.outcomes;
  return {
    due: run.due, created: o.created ?? 0, existing: o.existing ?? 0, advanced: o.advanced ?? 0, skipped: o.skipped ?? 0,
    processed: run.processed, failed: run.failed, more: run.more,
  };
}

function serviceNotes(asset: AssetItem, customerName: string, anniversary: LocalDate, interval: number): string {
  const every = interval % 12 === 0 ? `${interval / 12} year${interval === 12 ? '' : 's'}` : `${interval} months`;
  return [
    `Service anniversary of ${asset.productName} on ${formatDate(anniversary)} (serviced every ${every}; bought ${asset.purchaseDate}).`,
    `Customer: ${customerName}.`,
    ...(asset.serialNumber ? [`Serial number: ${asset.serialNumber}.`] : []),
  ].join('\n');
}

export async function runWarrantyEnding(now: Date, options: ProactiveRunOptions = {}) {
  const tz = config().businessTimeZone;
  const today = localDateOf(now, tz);
  const ruleSet = options.rules ?? (await getServiceRules());
  const days = ruleSet.warrantyReminderDays;
  if (days === undefined) return { due: 0, created: 0, existing: 0, skipped: 0, processed: 0, failed: 0, more: false, disabled: true };
  const through = formatDate(addDays(today, days));
  const run = await workThroughPages({
    budget: options.budget ?? Budget.fromContext(undefined),
    query: (startKey, limit) => repo.queryDuePage('warranty', through, limit, startKey),
    load: loadPage,
    onError: (entry, error) => (options.onItemError ?? noop)(entry.id, error),
    handle: async (entry, { assets, customers }): Promise<'created' | 'existing' | 'skipped'> => {
      const asset = assets.get(entry.id);
      if (!asset || asset.warrantyEndsOn !== entry.date || asset.warrantyNotifiedFor === entry.date) {
        if (!asset) await repo.dropFromIndex(entry.id, 'warranty', entry.date);
        return 'skipped';
      }
      const customer = customers.get(asset.customerId);
      let outcome: 'created' | 'existing' | 'skipped' = 'skipped';
      if (customer && !customer.archivedAt) {
        const endsOn = parseDate(entry.date);
        const task = await createTaskFromRule({
          sourceKey: `warranty#${asset.id}#${entry.date}`,
          title: `Warranty ends ${entry.date}: ${asset.productName}`,
          notes: `The warranty of ${asset.productName}${asset.serialNumber ? ` (serial ${asset.serialNumber})` : ''} ends on ${entry.date}. Customer: ${customer.name}.`,
          dueAt: at(endsOn, tz).toISOString(),
          assigneeId: assigneeFor(ruleSet, customer.ownerId),
          customerId: customer.id,
          related: { type: 'asset', id: asset.id },
          reminders: [{ at: later(at(addDays(endsOn, -days), tz), now).toISOString() }],
        }, now);
        outcome = task.created ? 'created' : 'existing';
      }
      // The item's checkpoint: it leaves the warranty index.
      await repo.markWarrantyNotified(asset, entry.date);
      return outcome;
    },
  });
  const o = run.outcomes;
  return { due: run.due, created: o.created ?? 0, existing: o.existing ?? 0, skipped: o.skipped ?? 0, processed: run.processed, failed: run.failed, more: run.more };
}
