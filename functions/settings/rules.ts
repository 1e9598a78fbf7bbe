/**
 * Service rules (admin-configurable): what they say and the pure decisions derived from them.
 * Nothing here touches DynamoDB.
 */
import type { Infer } from '../../schemas/once';
import type { ServiceRulesInput } from '../../schemas/settings';

export interface ServiceRules {
  /** Service interval per product category (lower-case), in months after purchase. */
  categories: { category: string; intervalMonths: number }[];
  /** A shorter interval for chosen customer tiers (VIP yearly: `{ A: 12 }`); the shorter one applies. */
  tierIntervalMonths: Partial<Record<string, number>>;
  /** Service tasks are created this many days before the anniversary. */
  leadDays: number;
  /** Service and warranty tasks go to the customer's owner, or to one service-queue user. */
  assignTo: 'owner' | 'queue';
  queueUserId?: string;
  /** Warranty task this many days before warrantyEndsOn; undefined = off. */
  warrantyReminderDays?: number;
  /** Days without activity after which a customer of the tier is dormant; a missing tier never is. */
  dormancyDays: Partial<Record<string, number>>;
}

export interface StoredServiceRules extends ServiceRules {
  version: number;
  updatedAt?: string;
  updatedBy?: string;
}

/** In force until an admin saves rules: no service intervals, no dormancy, 30-day warranty reminders. */
export const DEFAULT_SERVICE_RULES: Readonly<StoredServiceRules> = Object.freeze({
  categories: [],
  tierIntervalMonths: {},
  leadDays: 14,
  assignTo: 'owner',
  warrantyReminderDays: 30,
  dormancyDays: {},
  version: 0,
});

export const RULE_FIELDS = ['categories', 'tierIntervalMonths', 'leadDays', 'assignTo', 'queueUserId', 'warrantyReminderDays', 'dormancyDays'] as const;

/**
 * Months between services of an asset: its category's interval, or the customer tier's interval
 * when that is shorter. undefined = the category has no rule (no service reminders).
 */
export function serviceIntervalMonths(rules: ServiceRules, category: string, tier: string | undefined): number | undefined {
  const base = rules.categories.find((c) => c.category === category.toLowerCase())?.intervalMonths;
  if (base === undefined) return undefined;
  const forTier = tier ? rules.tierIntervalMonths[tier] : undefined;
  return forTier !== undefined ? Math.min(base, forTier) : base;
}

/** Who receives service and warranty tasks for a customer. */
export function assigneeFor(rules: ServiceRules, ownerId: string): string {
  return rules.assignTo === 'queue' && rules.queueUserId ? rules.queueUserId : ownerId;
}

/** Normalises a saved rule set: categories lower-case, no queue user when tasks go to owners. */
/** The rules as stored from a PUT body (optional maps default to empty). */
export function normalizeRules(input: Infer<typeof ServiceRulesInput>): ServiceRules {
  return {
    categories: input.categories.map((c) => ({ category: c.category.toLowerCase(), intervalMonths: c.intervalMonths })),
    tierIntervalMonths: { ...(input.tierIntervalMonths ?? {}) },
    leadDays: input.leadDays,
    assignTo: input.assignTo,
    ...(input.assignTo === 'queue' ? { queueUserId: input.queueUserId } : {}),
    ...(input.warrantyReminderDays !== undefined ? { warrantyReminderDays: input.warrantyReminderDays } : {}),
    dormancyDays: { ...(input.dormancyDays ?? {}) },
  };
}
