import * as z from './zod';
import { once } from './once';
import { Id, IdParam, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { text } from './text';

/**
 * An event type or a wildcard: `deal.updated`, `deal.*` (every deal event) or `*` (every event).
 * Event names are `<entity>.<action>` (docs/webhooks.md, "Events").
 */
export const EventPattern = once(() => z.string().check(
  z.regex(/^(\*|[a-z][a-z-]{0,39}\.(\*|[a-z][a-z-]{0,39}))$/, 'Expected an event type like "deal.updated", a wildcard like "deal.*", or "*"'),
  z.meta({ description: 'Event type (`deal.updated`), all events of an entity (`deal.*`) or every event (`*`)' }),
));

/** A changed-field name as events list it in `changedFields`. */
const FieldName = once(() => z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, 'Expected a field name like "stageId"')));

const Url = once(() => z.string().check(
  z.trim(),
  z.maxLength(2048),
  z.refine((value) => { try { return ['https:', 'http:'].includes(new URL(value).protocol); } catch { return false; } }, 'Expected an absolute https:// URL'),
  z.meta({ description: 'Where deliveries are POSTed: an https:// URL on a public address (no private, loopback or link-local addresses; redirects are not followed)' }),
));

const Events = once(() => z.array(EventPattern()).check(
  z.minLength(1, 'Subscribe to at least one event type'),
  z.maxLength(50),
  z.refine((events) => new Set(events).size === events.length, 'Each event type once'),
));

const FieldFilter = once(() => z.array(FieldName()).check(
  z.minLength(1),
  z.maxLength(50),
  z.meta({ description: 'Deliver an event only when one of these fields is in its `changedFields` (e.g. `["stageId"]`: only stage moves). Omitted: every matching event.' }),
));

export const WebhookCreate = once(() => z
  .strictObject({
    url: Url(),
    description: z.optional(text(200)),
    events: Events(),
    fieldFilter: z.optional(FieldFilter()),
    active: z.optional(z.boolean()),
  })
  .check(z.meta({ id: 'WebhookCreate' })));

export const WebhookPatch = once(() => z
  .strictObject({
    url: z.optional(Url()),
    description: z.optional(z.nullable(text(200))),
    events: z.optional(Events()),
    fieldFilter: z.optional(z.nullable(FieldFilter())),
    active: z.optional(z.boolean()),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'WebhookPatch', description: 'Fields to change. `active: true` re-enables a webhook that was disabled after failing.' }),
  ));

const WebhookFields = once(() => ({
    id: Id('whk'),
    url: z.string(),
    description: z.optional(z.string()),
    events: z.array(z.string()),
    fieldFilter: z.optional(z.array(z.string())),
    active: z.boolean(),
    /** Set when the CRM disabled the webhook after it failed for too long. */
    disabledAt: z.optional(Timestamp()),
    disabledReason: z.optional(z.string()),
    /** First failure since the last successful delivery. */
    failingSince: z.optional(Timestamp()),
    lastSuccessAt: z.optional(Timestamp()),
    /** Until then, deliveries also carry a signature made with the previous secret. */
    previousSecretExpiresAt: z.optional(Timestamp()),
    ...RecordMeta(),
}));

export const Webhook = once(() => z.object(WebhookFields()).check(z.meta({ id: 'Webhook' })));

/** A create or a rotation: the webhook with its signing secret, shown this once. */
export const WebhookWithSecret = once(() => z
  .object({
    ...WebhookFields(),
    secret: z.string().check(z.meta({ description: 'Signing secret (`whsec_…`); shown only in this response, store it now' })),
  })
  .check(z.meta({ id: 'WebhookWithSecret' })));

export const WebhookIdParam = IdParam('whk');
export const DeliveryParams = once(() => ({ id: Id('whk'), deliveryId: Id('dlv') }));

export const WebhookPage = once(() => pageOf(Webhook(), 'WebhookPage'));
export const WebhookListQuery = once(() => z.strictObject({ ...PageQuery() }));

export const RotateSecret = once(() => z
  .strictObject({
    overlapSeconds: z.optional(z.int().check(
      z.minimum(0), z.maximum(7 * 86_400),
      z.meta({ description: 'How long deliveries stay signed with the old secret too (0–604800 s; default 86400: one day)' }),
    )),
  })
  .check(z.meta({ id: 'RotateSecret' })));

export const DeliveryAttempt = once(() => z.object({
  at: Timestamp(),
  statusCode: z.optional(z.int()),
  latencyMs: z.int(),
  error: z.optional(z.string()),
}));

export const Delivery = once(() => z
  .object({
    id: Id('dlv'),
    webhookId: Id('whk'),
    eventId: z.string(),
    eventType: z.string(),
    status: z.enum(['pending', 'delivered', 'dead']).check(z.meta({ description: '`pending`: will be (re)tried at `nextAttemptAt`; `delivered`: a 2xx came back; `dead`: the retry window (24 h) passed, or the webhook was disabled — redeliver to try again' })),
    attempts: z.int(),
    nextAttemptAt: z.optional(Timestamp()),
    lastAttemptAt: z.optional(Timestamp()),
    lastStatusCode: z.optional(z.int()),
    lastLatencyMs: z.optional(z.int()),
    lastError: z.optional(z.string()),
    deliveredAt: z.optional(Timestamp()),
    deadAt: z.optional(Timestamp()),
    createdAt: Timestamp(),
    /** The latest attempts, newest last (at most 25). */
    history: z.array(DeliveryAttempt()),
  })
  .check(z.meta({ id: 'WebhookDelivery' })));

export const DeliveryPage = once(() => pageOf(Delivery(), 'WebhookDeliveryPage'));
export const DeliveryListQuery = once(() => z.strictObject({ ...PageQuery() }));
