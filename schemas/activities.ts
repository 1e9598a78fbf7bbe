import * as z from './zod';
import { once } from './once';
import { Id, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { multilineText, text } from './text';

export const ACTIVITY_TYPES = ['call', 'email', 'meeting', 'sms', 'visit', 'note'] as const;
export const DIRECTIONS = ['inbound', 'outbound'] as const;
/** Timeline filter values: an activity type, or `record` for key record events. */
export const TIMELINE_TYPES = [...ACTIVITY_TYPES, 'record'] as const;

export const Participant = once(() => z
  .strictObject({
    name: z.optional(text(200)),
    email: z.optional(z.email().check(z.maxLength(254))),
    contactId: z.optional(Id('con')),
  })
  .check(
    z.refine((p) => p.name !== undefined || p.email !== undefined || p.contactId !== undefined, 'Give a participant a name, an email or a contactId'),
    z.meta({ id: 'ActivityParticipant', description: 'Personal data (name, email): masked for roles without the personal-data permission' }),
  ));

/**
 * Links to other records, one optional id per kind. A new kind (e.g. `quoteId`) is one line here
 * plus its verifier in functions/activities/links.ts; unknown kinds are rejected (strict object).
 */
export const ActivityLinks = once(() => z
  .strictObject({
    contactId: z.optional(Id('con').check(z.meta({ description: 'Must be a contact of the activity\'s customer' }))),
    dealId: z.optional(Id('deal')),
    ticketId: z.optional(Id('tkt')),
  })
  .check(z.meta({ id: 'ActivityLinks', description: 'Optional links to a contact, deal or ticket of the same customer' })));

const fields = once(() => ({
  type: z.enum(ACTIVITY_TYPES),
  direction: z.enum(DIRECTIONS).check(z.meta({ description: 'Required for every type but note' })),
  channel: text(50).check(z.meta({ description: 'e.g. phone, zoom, whatsapp, in person' })),
  subject: text(200),
  content: multilineText(20_000).check(z.meta({ description: 'Personal data: masked for roles without the personal-data permission' })),
  outcome: multilineText(500),
  occurredAt: Timestamp().check(z.meta({ description: 'When it happened (default now); at most one day in the future' })),
  durationSeconds: z.int().check(z.minimum(0), z.maximum(7 * 86_400)),
  participants: z.array(Participant()).check(z.maxLength(50)),
  links: ActivityLinks(),
}));

export const ActivityCreate = once(() => z
  .strictObject({
    customerId: Id('cus'),
    type: fields().type,
    direction: z.optional(fields().direction),
    channel: z.optional(fields().channel),
    subject: z.optional(fields().subject),
    content: z.optional(fields().content),
    outcome: z.optional(fields().outcome),
    occurredAt: z.optional(fields().occurredAt),
    durationSeconds: z.optional(fields().durationSeconds),
    participants: z.optional(fields().participants),
    links: z.optional(fields().links),
  })
  .check(z.meta({ id: 'ActivityCreate' })));

export const ActivityPatch = once(() => z
  .strictObject({
    type: z.optional(fields().type),
    direction: z.optional(z.nullable(fields().direction)),
    channel: z.optional(z.nullable(fields().channel)),
    subject: z.optional(z.nullable(fields().subject)),
    content: z.optional(z.nullable(fields().content)),
    outcome: z.optional(z.nullable(fields().outcome)),
    occurredAt: z.optional(fields().occurredAt),
    durationSeconds: z.optional(z.nullable(fields().durationSeconds)),
    participants: z.optional(z.nullable(fields().participants)),
    links: z.optional(z.nullable(fields().links)),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'ActivityPatch', description: 'Fields to change; null clears an optional field. The customer cannot change.' }),
  ));

export const Activity = once(() => z
  .object({
    id: Id('act'),
    customerId: Id('cus'),
    type: fields().type,
    direction: z.optional(fields().direction),
    channel: z.optional(z.string()),
    subject: z.optional(z.string()),
    content: z.optional(z.string()),
    outcome: z.optional(z.string()),
    occurredAt: Timestamp(),
    durationSeconds: z.optional(z.int()),
    participants: z.array(z.object({ name: z.optional(z.string()), email: z.optional(z.string()), contactId: z.optional(z.string()) })),
    links: z.object({ contactId: z.optional(z.string()), dealId: z.optional(z.string()), ticketId: z.optional(z.string()) }),
    masked: z.optional(z.array(z.string()).check(z.meta({ description: 'Names of fields masked for the caller' }))),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Activity' })));

export const TimelineEntry = once(() => z
  .object({
    kind: z.enum(['activity', 'record']),
    id: z.string(),
    occurredAt: Timestamp(),
    type: z.enum(TIMELINE_TYPES),
    activity: z.optional(Activity()),
    record: z.optional(
      z.object({
        event: z.string().check(z.meta({ description: 'e.g. customer.created, customer.owner_changed, customer.archived, contact.created, asset.created' })),
        entityType: z.string(),
        entityId: z.string(),
        actor: z.string(),
        changes: z.array(z.object({ field: z.string(), from: z.optional(z.unknown()), to: z.optional(z.unknown()), redacted: z.optional(z.boolean()) })),
      }),
    ),
  })
  .check(z.meta({ id: 'TimelineEntry', description: 'An activity or a key record event; `activity` or `record` is set according to `kind`.' })));

export const TimelinePage = once(() => pageOf(TimelineEntry(), 'TimelinePage'));

export const TimelineQuery = once(() => z.strictObject({
  ...PageQuery(),
  type: z.optional(z.enum(TIMELINE_TYPES).check(z.meta({ description: 'Only this activity type, or `record` for record events' }))),
}));
