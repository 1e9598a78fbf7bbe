import * as z from './zod';
import { once } from './once';
import { Timestamp } from './common';
import { Category } from './shared';
import { text } from './text';

/** `{ "A": n, "B": n, … }`: one optional value per customer tier. */
const tierMap = <T extends z.ZodMiniType>(value: T) => z.strictObject({ A: z.optional(value), B: z.optional(value), C: z.optional(value), D: z.optional(value) });

const months = once(() => z.int().check(z.minimum(1), z.maximum(240)));

const rulesFields = once(() => ({
  categories: z
    .array(z.strictObject({ category: Category(), intervalMonths: months().check(z.meta({ description: 'Service every N months after purchase' })) }))
    .check(
      z.maxLength(200),
      z.refine((list) => new Set(list.map((c) => c.category)).size === list.length, 'Each category may appear once'),
      z.meta({ description: 'Service interval per product category; assets of other categories get no service reminders' }),
    ),
  tierIntervalMonths: tierMap(months()).check(
    z.meta({ description: 'A shorter interval for these customer tiers (e.g. {"A": 12}: VIP yearly); the shorter of this and the category interval applies' }),
  ),
  leadDays: z.int().check(z.minimum(0), z.maximum(365), z.meta({ description: 'Create the service task this many days before the anniversary' })),
  assignTo: z.enum(['owner', 'queue']).check(z.meta({ description: 'Who gets service and warranty tasks: the customer\'s owner or the service queue user' })),
  queueUserId: text(128),
  warrantyReminderDays: z.int().check(z.minimum(1), z.maximum(365), z.meta({ description: 'Task this many days before warrantyEndsOn; omit to turn warranty reminders off' })),
  dormancyDays: tierMap(z.int().check(z.minimum(1), z.maximum(3650))).check(
    z.meta({ description: 'Follow-up task for the owner after N days without activity, per tier; an omitted tier is never dormant' }),
  ),
}));

export const ServiceRulesInput = once(() => z
  .strictObject({
    categories: rulesFields().categories,
    tierIntervalMonths: z.optional(rulesFields().tierIntervalMonths),
    leadDays: rulesFields().leadDays,
    assignTo: rulesFields().assignTo,
    queueUserId: z.optional(rulesFields().queueUserId),
    warrantyReminderDays: z.optional(rulesFields().warrantyReminderDays),
    dormancyDays: z.optional(rulesFields().dormancyDays),
  })
  .check(
    z.refine((r) => r.assignTo !== 'queue' || r.queueUserId !== undefined, { message: 'assignTo "queue" needs a queueUserId', path: ['queueUserId'] }),
    z.meta({ id: 'ServiceRulesInput', description: 'The complete service rules; PUT replaces them (send If-Match with the current ETag).' }),
  ));

export const ServiceRules = once(() => z
  .object({
    categories: z.array(z.object({ category: z.string(), intervalMonths: z.int() })),
    tierIntervalMonths: z.record(z.string(), z.int()),
    leadDays: z.int(),
    assignTo: z.enum(['owner', 'queue']),
    queueUserId: z.optional(z.string()),
    warrantyReminderDays: z.optional(z.int()),
    dormancyDays: z.record(z.string(), z.int()),
    timeZone: z.string().check(z.meta({ description: 'Business time zone the dates are computed in (deployment configuration, read-only)' })),
    version: z.int().check(z.meta({ description: '0 until the rules are first saved' })),
    updatedAt: z.optional(Timestamp()),
    updatedBy: z.optional(z.string()),
  })
  .check(z.meta({ id: 'ServiceRules' })));
