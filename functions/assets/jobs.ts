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
 */
import { addDays, formatDate, type LocalDate, localDateOf, parseDate, zonedTimeToInstant } from '../calendar/business-calendar';
import { config } from '../config';
import { getServiceRules } from '../settings/repository';
import { assigneeFor, serviceIntervalMonths, type ServiceRules } from '../settings/rules';
import { createTaskFromRule } from '../tasks/service';
import { planService } from './anniversaries';
import type { AssetItem } from './model';
import * as repo from './repository';

/** Local hour at which rule tasks fall due and their reminders fire. */
export const REMINDER_HOUR = 9;

const at = (date: LocalDate, tz: string) => zonedTimeToInstant(date, tz, REMINDER_HOUR);
const later = (a: Date, b: Date) => (a > b ? a : b);

export async function runServiceAnniversaries(now: Date, rules?: ServiceRules) {
  const tz = config().businessTimeZone;
  const today = localDateOf(now, tz);
  const ruleSet = rules ?? (await getServiceRules());
  const due = await repo.queryDue('service', formatDate(addDays(today, ruleSet.leadDays)));
  const result = { due: due.length, created: 0, existing: 0, advanced: 0, skipped: 0 };
  for (const entry of due) {
    const asset = await repo.getAsset(entry.id);
    if (!asset || asset.nextServiceOn !== entry.date) {
      // The index copy is behind the item (moved by a concurrent run, edited or deleted).
      if (!asset) await repo.dropFromIndex(entry.id, 'service', entry.date);
      result.skipped++;
      continue;
    }
    const customer = await repo.getCustomer(asset.customerId);
    const interval = customer ? serviceIntervalMonths(ruleSet, asset.category, customer.tier) : undefined;
    if (!customer || interval === undefined) {
      // No rule for the category any more (or no customer): the asset leaves the index.
      if (await repo.advanceService(asset, asset.serviceHandledThrough, undefined)) result.advanced++;
      result.skipped++;
      continue;
    }
    const plan = planService(parseDate(asset.purchaseDate), interval, parseDate(asset.serviceHandledThrough), today, ruleSet.leadDays);
    if (plan.due && !customer.archivedAt) {
      const anniversary = plan.due;
      const outcome = await createTaskFromRule({
        sourceKey: `anniversary#${asset.id}#${formatDate(anniversary)}`,
        title: `Service visit: ${asset.productName}`,
        notes: serviceNotes(asset, customer.name, anniversary, interval),
        dueAt: at(anniversary, tz).toISOString(),
        assigneeId: assigneeFor(ruleSet, customer.ownerId),
        customerId: customer.id,
        related: { type: 'asset', id: asset.id },
        reminders: [{ at: later(at(addDays(anniversary, -ruleSet.leadDays), tz), now).toISOString() }],
      }, now);
      if (outcome.created) result.created++;
      else result.existing++;
    }
    const handledThrough = plan.due ? formatDate(plan.due) : asset.serviceHandledThrough;
    if (await repo.advanceService(asset, handledThrough, formatDate(plan.next))) result.advanced++;
  }
  return result;
}

function serviceNotes(asset: AssetItem, customerName: string, anniversary: LocalDate, interval: number): string {
  const every = interval % 12 === 0 ? `${interval / 12} year${interval === 12 ? '' : 's'}` : `${interval} months`;
  return [
    `Service anniversary of ${asset.productName} on ${formatDate(anniversary)} (serviced every ${every}; bought ${asset.purchaseDate}).`,
    `Customer: ${customerName}.`,
    ...(asset.serialNumber ? [`Serial number: ${asset.serialNumber}.`] : []),
  ].join('\n');
}

export async function runWarrantyEnding(now: Date, rules?: ServiceRules) {
  const tz = config().businessTimeZone;
  const today = localDateOf(now, tz);
  const ruleSet = rules ?? (await getServiceRules());
  const days = ruleSet.warrantyReminderDays;
  if (days === undefined) return { due: 0, created: 0, existing: 0, skipped: 0, disabled: true };
  const due = await repo.queryDue('warranty', formatDate(addDays(today, days)));
  const result = { due: due.length, created: 0, existing: 0, skipped: 0 };
  for (const entry of due) {
    const asset = await repo.getAsset(entry.id);
    if (!asset || asset.warrantyEndsOn !== entry.date || asset.warrantyNotifiedFor === entry.date) {
      if (!asset) await repo.dropFromIndex(entry.id, 'warranty', entry.date);
      result.skipped++;
      continue;
    }
    const customer = await repo.getCustomer(asset.customerId);
    if (customer && !customer.archivedAt) {
      const endsOn = parseDate(entry.date);
      const outcome = await createTaskFromRule({
        sourceKey: `warranty#${asset.id}#${entry.date}`,
        title: `Warranty ends ${entry.date}: ${asset.productName}`,
        notes: `The warranty of ${asset.productName}${asset.serialNumber ? ` (serial ${asset.serialNumber})` : ''} ends on ${entry.date}. Customer: ${customer.name}.`,
        dueAt: at(endsOn, tz).toISOString(),
        assigneeId: assigneeFor(ruleSet, customer.ownerId),
        customerId: customer.id,
        related: { type: 'asset', id: asset.id },
        reminders: [{ at: later(at(addDays(endsOn, -days), tz), now).toISOString() }],
      }, now);
      if (outcome.created) result.created++;
      else result.existing++;
    } else {
      result.skipped++;
    }
    await repo.markWarrantyNotified(asset, entry.date);
  }
  return result;
}
