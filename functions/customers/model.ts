/**
 * Customer and contact records as stored and as returned: which attributes are public, which are
 * sensitive, and the conversions between the two. Internal attributes (keys, index keys, counters
 * used for concurrency) never leave this module.
 */
import { sensitiveFieldNames } from '../security/masking';
import type { CustomValues } from '../customfields/model';

export const CUSTOMER_FIELDS = [
  'type', 'name', 'industry', 'tier', 'lifecycleStage', 'source', 'tags', 'ownerId',
  'phone', 'email', 'address', 'website', 'taxId', 'custom',
] as const;

export const CONTACT_FIELDS = ['firstName', 'lastName', 'jobTitle', 'email', 'phone', 'mobile', 'isPrimary', 'notes', 'custom'] as const;

export const CUSTOMER_SENSITIVE = sensitiveFieldNames('customer');
export const CONTACT_SENSITIVE = sensitiveFieldNames('contact');

/** Upper bound so an owner change can move every contact in one transaction. */
export const MAX_CONTACTS_PER_CUSTOMER = 50;

export interface CustomerItem {
  id: string;
  type: 'company' | 'person';
  name: string;
  industry?: string;
  tier?: string;
  lifecycleStage?: string;
  source?: string;
  tags: string[];
  ownerId: string;
  phone?: string;
  email?: string;
  address?: Record<string, string>;
  website?: string;
  taxId?: string;
  contactCount: number;
  /** Contact ids; lets an owner change update every contact's visibility in the same transaction. */
  contactIds?: Set<string>;
  /** Bumped by every contact add/remove so a concurrent owner change cannot miss a contact. */
  contactsRev: number;
  primaryContactId?: string;
  archivedAt?: string;
  /** Custom-field values (functions/customfields/values.ts). */
  custom?: CustomValues;
  /** The survivor this customer was merged into (functions/merge); set with archivedAt. */
  mergedInto?: string;
  /** Read-only figures other features keep in their own items next to the profile. */
  summary?: CustomerSummary;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export interface CustomerSummary {
  lastActivityAt?: string;
  lastPurchaseAt?: string;
  /** Integer minor units per ISO currency. */
  lifetimeValue?: Record<string, number>;
}

export interface ContactItem {
  id: string;
  customerId: string;
  /** Copy of the customer's owner: row-level visibility without reading the customer. */
  ownerId: string;
  firstName?: string;
  lastName: string;
  jobTitle?: string;
  email?: string;
  phone?: string;
  mobile?: string;
  isPrimary: boolean;
  notes?: string;
  custom?: CustomValues;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export function toCustomer(item: CustomerItem) {
  return {
    id: item.id,
    type: item.type,
    name: item.name,
    industry: item.industry,
    tier: item.tier,
    lifecycleStage: item.lifecycleStage,
    source: item.source,
    tags: item.tags ?? [],
    ownerId: item.ownerId,
    phone: item.phone,
    email: item.email,
    address: item.address,
    website: item.website,
    taxId: item.taxId,
    contactCount: item.contactCount ?? 0,
    lastActivityAt: item.summary?.lastActivityAt,
    lastPurchaseAt: item.summary?.lastPurchaseAt,
    lifetimeValue: item.summary?.lifetimeValue
      ? Object.entries(item.summary.lifetimeValue).map(([currency, amount]) => ({ amount, currency })).sort((a, b) => a.currency.localeCompare(b.currency))
      : undefined,
    archivedAt: item.archivedAt,
    custom: item.custom,
    mergedInto: item.mergedInto,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}

export function toContact(item: ContactItem) {
  return {
    id: item.id,
    customerId: item.customerId,
    firstName: item.firstName,
    lastName: item.lastName,
    jobTitle: item.jobTitle,
    email: item.email,
    phone: item.phone,
    mobile: item.mobile,
    isPrimary: item.isPrimary ?? false,
    notes: item.notes,
    custom: item.custom,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}

export { applyPatch } from '../data/records';

export function uniqueTags(tags: readonly string[] | undefined): string[] {
  return [...new Set(tags ?? [])];
}
