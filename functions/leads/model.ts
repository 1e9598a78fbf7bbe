/**
 * Lead records as stored and as returned, and the pure rules about them (which statuses are open,
 * which email/phone a lead holds a uniqueness guard for). No AWS here.
 */
import { normalizeEmail, normalizePhone } from '../data/keys';
import { sensitiveFieldNames } from '../security/masking';
import type { CustomValues } from '../customfields/model';

export const LEAD_FIELDS = [
  'firstName', 'lastName', 'companyName', 'title', 'email', 'phone', 'source', 'campaignId', 'status',
  'disqualifiedReason', 'ownerId', 'notes', 'country', 'region', 'industry', 'custom',
] as const;

export const LEAD_SENSITIVE = sensitiveFieldNames('lead');

export type LeadStatus = 'new' | 'working' | 'qualified' | 'disqualified' | 'converted';

/** Open leads take part in duplicate detection; disqualified and converted ones do not. */
export const OPEN_STATUSES: readonly LeadStatus[] = ['new', 'working', 'qualified'];

export interface LeadItem {
  id: string;
  firstName?: string;
  lastName: string;
  companyName?: string;
  title?: string;
  email?: string;
  phone?: string;
  source?: string;
  campaignId?: string;
  status: LeadStatus;
  disqualifiedReason?: string;
  ownerId: string;
  notes?: string;
  country?: string;
  region?: string;
  industry?: string;
  /** Custom-field values (functions/customfields/values.ts). */
  custom?: CustomValues;
  convertedAt?: string;
  convertedCustomerId?: string;
  convertedContactId?: string;
  convertedDealId?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export const isOpen = (lead: LeadItem | undefined): boolean => !!lead && OPEN_STATUSES.includes(lead.status);

/** The normalised email / phone an open lead holds a guard for (undefined when none). */
export const guardedEmail = (lead: LeadItem | undefined) => (isOpen(lead) && lead!.email ? normalizeEmail(lead!.email) : undefined);
export const guardedPhone = (lead: LeadItem | undefined) => (isOpen(lead) && lead!.phone ? normalizePhone(lead!.phone) : undefined);

export function toLead(item: LeadItem) {
  return {
    id: item.id,
    firstName: item.firstName,
    lastName: item.lastName,
    companyName: item.companyName,
    title: item.title,
    email: item.email,
    phone: item.phone,
    source: item.source,
    campaignId: item.campaignId,
    status: item.status,
    disqualifiedReason: item.disqualifiedReason,
    ownerId: item.ownerId,
    notes: item.notes,
    country: item.country,
    region: item.region,
    industry: item.industry,
    custom: item.custom,
    convertedAt: item.convertedAt,
    convertedCustomerId: item.convertedCustomerId,
    convertedContactId: item.convertedContactId,
    convertedDealId: item.convertedDealId,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}

/** The customer's name for a converted lead: the company, or the person for a private buyer. */
export function customerNameOf(lead: Pick<LeadItem, 'companyName' | 'firstName' | 'lastName'>): { type: 'company' | 'person'; name: string } {
  if (lead.companyName) return { type: 'company', name: lead.companyName };
  return { type: 'person', name: [lead.firstName, lead.lastName].filter(Boolean).join(' ') };
}
