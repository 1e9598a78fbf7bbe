/**
 * The `contract-renewals` job (daily, functions/api/schedules.ts): for every active contract due
 * in the sparse due index (keys.contract, gsi2) —
 *  - on or after its reminder day (`renewalReminderDays` before the end): a renewal task for the
 *    customer's owner (or the service queue, per the service rules' `assignTo`), due on the end
 *    date, through `createTaskFromRule` with the source key `contract-renewal#<id>#<endDate>`,
 *    whose guard item makes a second task for the same contract end impossible;
 *  - on or after the day after its end: the stored status becomes `expired` (audited, event
 *    `contract.expired`), and the contract leaves the index.
 * Each item's checkpoint is one conditional write on the contract's `rev`: reminded (the index
 * date moves to the day after the end) or expired (it leaves the index). Repeated, overlapping or
 * late runs are therefore harmless, and a run after a gap catches up: a contract whose end passed
 * while the job was down gets its renewal task and expires in the same run.
 */
import { addDays, formatDate, parseDate, zonedTimeToInstant } from '../calendar/business-calendar';
import { config } from '../config';
import type { CustomerState } from '../activities/repository';
import { ConditionsFailed } from '../data/transaction';
import { Budget } from '../jobs/budget';
import { workThroughPages } from '../jobs/pages';
import { getServiceRules } from '../settings/repository';
import { assigneeFor, type ServiceRules } from '../settings/rules';
import { createTaskFromRule, SYSTEM_PRINCIPAL } from '../tasks/service';
import { type ContractItem, dueOn } from './model';
import * as repo from './repository';
import { contractAudit, todayOf } from './service';

/** Local hour at which renewal tasks fall due and their reminders fire (as the other rule tasks). */
const REMINDER_HOUR = 9;

export interface RenewalRunOptions {
  budget?: Budget;
  rules?: ServiceRules;
  onItemError?: (id: string, error: unknown) => void;
}

interface PageContext {
  contracts: Map<string, ContractItem>;
  customers: Map<string, CustomerState>;
}

async function loadPage(entries: repo.DueEntry[]): Promise<PageContext> {
  const contracts = await repo.getContracts(entries.map((e) => e.id));
  const customers = await repo.getCustomers([...new Set([...contracts.values()].map((c) => c.customerId))]);
  return { contracts, customers };
}

const noop = () => {};

export async function runContractRenewals(now: Date, options: RenewalRunOptions = {}) {
  const tz = config().businessTimeZone;
  const today = todayOf(now);
  const rules = options.rules ?? (await getServiceRules());
  const at = (date: string) => zonedTimeToInstant(parseDate(date), tz, REMINDER_HOUR);
  let expired = 0;
  const run = await workThroughPages({
    budget: options.budget ?? Budget.fromContext(undefined),
    query: (startKey, limit) => repo.queryDuePage(today, limit, startKey),
    load: loadPage,
    onError: (entry, error) => (options.onItemError ?? noop)(entry.id, error),
    handle: async (entry, { contracts, customers }): Promise<'created' | 'existing' | 'checkpointed' | 'skipped'> => {
      const contract = contracts.get(entry.id);
      // The index copy is behind the item (a user or a concurrent run changed it): nothing to do.
      if (!contract || dueOn(contract) !== entry.date) return 'skipped';
      const customer = customers.get(contract.customerId);
      let outcome: 'created' | 'existing' | 'checkpointed' = 'checkpointed';
      if (contract.renewalNotifiedFor !== contract.endDate && customer && !customer.archivedAt) {
        const reminderAt = at(formatDate(addDays(parseDate(contract.endDate), -contract.renewalReminderDays)));
        const task = await createTaskFromRule({
          sourceKey: `contract-renewal#${contract.id}#${contract.endDate}`,
          title: `Contract renewal: ${contract.number} ends ${contract.endDate}`,
          notes: renewalNotes(contract, customer),
          dueAt: at(contract.endDate).toISOString(),
          assigneeId: assigneeFor(rules, customer.ownerId),
          customerId: customer.id,
          related: { type: 'contract', id: contract.id },
          reminders: [{ at: (reminderAt > now ? reminderAt : now).toISOString() }],
        }, now);
        outcome = task.created ? 'created' : 'existing';
      }
      // The item's checkpoint: reminded, and expired once its end has passed.
      const expires = contract.endDate < today;
      const next: ContractItem = {
        ...contract,
        renewalNotifiedFor: contract.endDate,
        rev: contract.rev + 1,
        ...(expires ? { status: 'expired' as const, version: contract.version + 1, updatedAt: now.toISOString(), updatedBy: SYSTEM_PRINCIPAL.userId } : {}),
      };
      try {
        await repo.saveByJob(contract, next, expires ? contractAudit(contract, next, 'expired', SYSTEM_PRINCIPAL, now) : undefined);
      } catch (err) {
        // Changed since it was read: the next run sees the new state (and its due date).
        if (err instanceof ConditionsFailed) return outcome;
        throw err;
      }
      if (expires) expired++;
      return outcome;
    },
  });
  const o = run.outcomes;
  return {
    due: run.due, created: o.created ?? 0, existing: o.existing ?? 0, expired, skipped: o.skipped ?? 0,
    processed: run.processed, failed: run.failed, more: run.more,
  };
}

function renewalNotes(c: ContractItem, customer: CustomerState): string {
  return [
    `Service contract ${c.number} (${c.id}) ends on ${c.endDate}; started ${c.startDate}, billed ${c.billingCycle}.`,
    `Customer: ${customer.name}.`,
    ...(c.assetIds.length > 0 ? [`Covered assets: ${c.assetIds.join(', ')}.`] : []),
  ].join('\n');
}
