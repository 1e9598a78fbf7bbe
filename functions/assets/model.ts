/**
 * Customer assets as stored and as returned. Besides the fields users edit, an asset carries its
 * service schedule: `serviceHandledThrough` (anniversaries up to this date are dealt with),
 * `nextServiceOn` (the next one, which is also its key in the service-due index) and
 * `warrantyNotifiedFor` (the warranty end a reminder was created for). `rev` changes on every
 * write — by users and by the jobs — so neither overwrites the other blindly.
 */
import { addDays, formatDate, type LocalDate, parseDate } from '../calendar/business-calendar';
import { serviceIntervalMonths, type ServiceRules } from '../settings/rules';
import { anniversary, firstIndexAfter } from './anniversaries';

export interface AssetItem {
  id: string;
  customerId: string;
  productName: string;
  category: string;
  serialNumber?: string;
  purchaseDate: string;
  warrantyEndsOn?: string;
  notes?: string;
  serviceHandledThrough: string;
  nextServiceOn?: string;
  warrantyNotifiedFor?: string;
  rev: number;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export const ASSET_FIELDS = ['productName', 'category', 'serialNumber', 'purchaseDate', 'warrantyEndsOn', 'notes'] as const;

export function toAsset(item: AssetItem) {
  return {
    id: item.id,
    customerId: item.customerId,
    productName: item.productName,
    category: item.category,
    serialNumber: item.serialNumber,
    purchaseDate: item.purchaseDate,
    warrantyEndsOn: item.warrantyEndsOn,
    notes: item.notes,
    nextServiceOn: item.nextServiceOn,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}

/**
 * The next service anniversary of an asset whose anniversaries through `handledThrough` are done,
 * under the rules for its category and the customer's tier; undefined when no rule applies.
 */
export function nextServiceOn(asset: Pick<AssetItem, 'purchaseDate' | 'category'>, handledThrough: LocalDate, rules: ServiceRules, tier: string | undefined): string | undefined {
  const interval = serviceIntervalMonths(rules, asset.category, tier);
  if (interval === undefined) return undefined;
  const purchase = parseDate(asset.purchaseDate);
  return formatDate(anniversary(purchase, interval, firstIndexAfter(purchase, interval, handledThrough)));
}

/**
 * Schedule of a new asset, or of one whose purchase date or category changed: anniversaries
 * before today are history, not reminders.
 */
export function freshSchedule(asset: Pick<AssetItem, 'purchaseDate' | 'category'>, today: LocalDate, rules: ServiceRules, tier: string | undefined) {
  const handledThrough = addDays(today, -1);
  return { serviceHandledThrough: formatDate(handledThrough), nextServiceOn: nextServiceOn(asset, handledThrough, rules, tier) };
}

/** Whether a warranty end still deserves a reminder: not already over when recorded, not yet reminded. */
export function warrantyPending(asset: Pick<AssetItem, 'warrantyEndsOn' | 'warrantyNotifiedFor'>, today: LocalDate): boolean {
  if (!asset.warrantyEndsOn || asset.warrantyNotifiedFor === asset.warrantyEndsOn) return false;
  return asset.warrantyEndsOn >= formatDate(today);
}

export { applyPatch } from '../data/records';
