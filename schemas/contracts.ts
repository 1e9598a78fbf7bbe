import * as z from './zod';
import { once } from './once';
import { CalendarDate, Id, Money, MoneyInput, PageQuery, RecordMeta, pageOf } from './common';
import { multilineText } from './text';

/**
 * Contract lifecycle. `expired` is set by the system only (the `contract-renewals` job; an active
 * contract past its end also reads as expired before the job has run). Legal moves by PATCH:
 * draft → active | cancelled; active → cancelled | renewed; expired → renewed. Anything else is a
 * 409 `conflict`. cancelled and renewed are final.
 */
export const CONTRACT_STATUSES = ['draft', 'active', 'expired', 'cancelled', 'renewed'] as const;
export const BILLING_CYCLES = ['monthly', 'quarterly', 'yearly', 'one-time'] as const;
/** Most assets one contract lists (each is a condition in the write's transaction). */
export const MAX_CONTRACT_ASSETS = 20;
export const DEFAULT_RENEWAL_REMINDER_DAYS = 30;

export const ContractNumber = once(() => z.string().check(
  z.trim(),
  z.toUpperCase(),
  z.regex(/^[A-Z0-9][A-Z0-9._/-]{0,63}$/, 'Contract numbers are 1–64 letters, digits, ".", "_", "/" or "-"'),
  z.meta({ description: 'Contract number; unique, compared case-insensitively (stored upper-case); cannot change' }),
));

const AssetIds = once(() => z.array(Id('ast')).check(
  z.maxLength(MAX_CONTRACT_ASSETS),
  z.refine((ids) => new Set(ids).size === ids.length, 'Each asset at most once'),
  z.meta({ description: `Assets of the contract's customer that the contract covers (at most ${MAX_CONTRACT_ASSETS}); empty = the contract covers all of the customer's assets` }),
));

const ReminderDays = once(() => z.int().check(
  z.minimum(0),
  z.maximum(365),
  z.meta({ description: `A renewal task is created this many days before endDate (default ${DEFAULT_RENEWAL_REMINDER_DAYS})` }),
));

const BillingCycle = once(() => z.enum(BILLING_CYCLES));

export const ContractCreate = once(() => z
  .strictObject({
    number: ContractNumber(),
    customerId: Id('cus'),
    assetIds: z.optional(AssetIds()),
    startDate: CalendarDate(),
    endDate: CalendarDate().check(z.meta({ description: 'Last day of the contract; on or after startDate' })),
    value: MoneyInput(),
    billingCycle: BillingCycle(),
    status: z.optional(z.enum(['draft', 'active']).check(z.meta({ description: 'Default draft' }))),
    renewalReminderDays: z.optional(ReminderDays()),
    notes: z.optional(multilineText(2000)),
  })
  .check(z.meta({ id: 'ContractCreate' })));

export const ContractPatch = once(() => z
  .strictObject({
    status: z.optional(z.enum(CONTRACT_STATUSES).check(z.meta({ description: 'A legal next status (see the contract lifecycle); any other is a 409' }))),
    assetIds: z.optional(AssetIds()),
    startDate: z.optional(CalendarDate()),
    endDate: z.optional(CalendarDate()),
    value: z.optional(MoneyInput()),
    billingCycle: z.optional(BillingCycle()),
    renewalReminderDays: z.optional(ReminderDays()),
    notes: z.optional(z.nullable(multilineText(2000))),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'ContractPatch', description: 'Fields to change; null clears notes. Number and customer cannot change. A contract in a final state (expired, cancelled, renewed) takes only status and notes.' }),
  ));

export const Contract = once(() => z
  .object({
    id: Id('ctr'),
    number: z.string(),
    customerId: Id('cus'),
    assetIds: z.array(Id('ast')),
    startDate: CalendarDate(),
    endDate: CalendarDate(),
    value: Money(),
    billingCycle: BillingCycle(),
    status: z.enum(CONTRACT_STATUSES).check(z.meta({ description: 'Current status; an active contract past its end reads as expired' })),
    renewalReminderDays: z.int(),
    renewalReminderOn: z.optional(CalendarDate().check(z.meta({ description: 'Day the renewal task is created (absent when not active or already created)' }))),
    notes: z.optional(z.string()),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Contract' })));

export const ContractPage = once(() => pageOf(Contract(), 'ContractPage'));

export const ContractListQuery = once(() => z.strictObject({
  ...PageQuery(),
  status: z.optional(z.enum(CONTRACT_STATUSES).check(z.meta({ description: 'Only contracts with this stored status (sorted by end date)' }))),
}));

export const CustomerContractsQuery = once(() => z.strictObject({ ...PageQuery() }));

export const EntitlementQuery = once(() => z.strictObject({
  assetId: z.optional(Id('ast').check(z.meta({ description: 'The asset the service is for; without it, any active contract of the customer counts' }))),
}));

export const Entitlement = once(() => z
  .object({
    customerId: Id('cus'),
    assetId: z.optional(Id('ast')),
    entitled: z.boolean(),
    source: z.nullable(z.enum(['contract', 'warranty'])),
    contract: z.optional(z.object({ id: Id('ctr'), number: z.string(), endDate: CalendarDate() })),
    warranty: z.optional(z.object({ assetId: Id('ast'), endsOn: CalendarDate() })),
  })
  .check(z.meta({ id: 'Entitlement', description: 'What covers service for the customer (and asset) today: an active contract first, else the asset\'s warranty.' })));
