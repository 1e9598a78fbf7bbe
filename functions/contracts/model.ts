/**
 * Service contracts as stored and as returned, and their lifecycle rules (pure; no AWS).
 *
 * Besides the fields users edit, a contract carries `renewalNotifiedFor` (the end date a renewal
 * task was created for) and `rev` (changes on every write, by users and by the renewal job, so
 * neither overwrites the other blindly; `version` changes only with what users see).
 *
 * Expiry is stored by the `contract-renewals` job on the day after the end and also computed on
 * read (`effectiveStatus`), so a contract never reads as active past its end, even in the hours
 * before the job has run that day.
 */
import { addDays, formatDate, parseDate } from '../calendar/business-calendar';
import type { CONTRACT_STATUSES } from '../../schemas/contracts';

export type ContractStatus = (typeof CONTRACT_STATUSES)[number];
export type BillingCycle = 'monthly' | 'quarterly' | 'yearly' | 'one-time';

export interface ContractItem {
  id: string;
  number: string;
  customerId: string;
  assetIds: string[];
  startDate: string;
  endDate: string;
  value: { amount: number; currency: string };
  billingCycle: BillingCycle;
  status: ContractStatus;
  renewalReminderDays: number;
  notes?: string;
  renewalNotifiedFor?: string;
  rev: number;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

/** Fields whose changes the audit trail records. */
export const CONTRACT_FIELDS = ['number', 'customerId', 'assetIds', 'startDate', 'endDate', 'value', 'billingCycle', 'status', 'renewalReminderDays', 'notes'] as const;

/** Legal status moves by users; `expired` is reached only through the end date. */
export const TRANSITIONS: Readonly<Record<ContractStatus, readonly ContractStatus[]>> = {
  draft: ['active', 'cancelled'],
  active: ['cancelled', 'renewed'],
  expired: ['renewed'],
  cancelled: [],
  renewed: [],
};

export const isFinal = (status: ContractStatus) => status === 'expired' || status === 'cancelled' || status === 'renewed';

export const canMove = (from: ContractStatus, to: ContractStatus) => TRANSITIONS[from].includes(to);

/** The status a reader sees on `today` (YYYY-MM-DD): an active contract past its end is expired. */
export function effectiveStatus(c: Pick<ContractItem, 'status' | 'endDate'>, today: string): ContractStatus {
  return c.status === 'active' && c.endDate < today ? 'expired' : c.status;
}

/** The day the renewal task is due to be created: `renewalReminderDays` before the end. */
export const renewalReminderOn = (c: Pick<ContractItem, 'endDate' | 'renewalReminderDays'>) =>
  formatDate(addDays(parseDate(c.endDate), -c.renewalReminderDays));

/**
 * The contract's next date in the due index (gsi2), or undefined when it has none: an active
 * contract is due first on its reminder day, then — once reminded — on the day after its end,
 * when it expires. Other statuses leave the index.
 */
export function dueOn(c: Pick<ContractItem, 'status' | 'endDate' | 'renewalReminderDays' | 'renewalNotifiedFor'>): string | undefined {
  if (c.status !== 'active') return undefined;
  if (c.renewalNotifiedFor !== c.endDate) return renewalReminderOn(c);
  return formatDate(addDays(parseDate(c.endDate), 1));
}

/**
 * A contract that becomes active with its end already past gets no renewal task (like a warranty
 * recorded after it ended): it is marked reminded, so the job only expires it.
 */
export function withRenewalState(c: ContractItem, today: string): ContractItem {
  if (c.status === 'active' && c.endDate < today && c.renewalNotifiedFor !== c.endDate) return { ...c, renewalNotifiedFor: c.endDate };
  return c;
}

export function toContract(item: ContractItem, today: string) {
  const status = effectiveStatus(item, today);
  const reminderPending = status === 'active' && item.renewalNotifiedFor !== item.endDate;
  return {
    id: item.id,
    number: item.number,
    customerId: item.customerId,
    assetIds: item.assetIds,
    startDate: item.startDate,
    endDate: item.endDate,
    value: item.value,
    billingCycle: item.billingCycle,
    status,
    renewalReminderDays: item.renewalReminderDays,
    ...(reminderPending ? { renewalReminderOn: renewalReminderOn(item) } : {}),
    notes: item.notes,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}
