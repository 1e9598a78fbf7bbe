import * as z from './zod';
import { once } from './once';
import { CalendarDate, Id, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { Category } from './shared';
import { multilineText, text } from './text';

export const TICKET_CHANNELS = ['phone', 'email', 'web', 'portal', 'chat', 'api'] as const;
export const TICKET_PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
/** The workflow, in order; docs/service.md has the allowed transitions. */
export const TICKET_STATUSES = ['new', 'open', 'pending', 'on_hold', 'resolved', 'closed'] as const;
export const MESSAGE_VISIBILITIES = ['public', 'internal'] as const;
const TIERS = ['A', 'B', 'C', 'D'] as const;

const userId = once(() => text(128));
/** Any record id (`ctr_01J…`): contracts are linked by id only until their feature validates them. */
const AnyId = once(() => z.string().check(z.regex(/^[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}$/, 'Expected an id like ctr_01J…')));

export const TicketCreate = once(() => z
  .strictObject({
    subject: text(200),
    description: z.optional(multilineText(10_000)),
    channel: z.enum(TICKET_CHANNELS),
    category: z.optional(Category()),
    priority: z.optional(z.enum(TICKET_PRIORITIES).check(z.meta({ description: 'Default normal' }))),
    customerId: Id('cus'),
    contactId: z.optional(Id('con').check(z.meta({ description: 'A contact of the customer; public replies are emailed to them' }))),
    assetId: z.optional(Id('ast').check(z.meta({ description: 'An asset of the customer' }))),
    contractId: z.optional(AnyId().check(z.meta({ description: 'A service contract (checked by format only for now)' }))),
    orderId: z.optional(Id('ord').check(z.meta({ description: 'An order of the customer' }))),
    queueId: z.optional(Id('que').check(z.meta({ description: 'Omit to route by the service-desk rules (category / priority / customer tier)' }))),
    assigneeId: z.optional(userId().check(z.meta({ description: 'Omit to let the queue\'s round robin pick a member (when the queue has autoAssign)' }))),
  })
  .check(z.meta({ id: 'TicketCreate', description: 'A ticket starts `new`; its SLA clocks start at creation.' })));

export const TicketPatch = once(() => z
  .strictObject({
    subject: z.optional(text(200)),
    description: z.optional(z.nullable(multilineText(10_000))),
    category: z.optional(z.nullable(Category())),
    priority: z.optional(z.enum(TICKET_PRIORITIES)),
    status: z.optional(z.enum(TICKET_STATUSES).check(z.meta({ description: 'Illegal transitions answer 409 (docs/service.md); resolved → open reopens within the reopen window' }))),
    contactId: z.optional(z.nullable(Id('con'))),
    assetId: z.optional(z.nullable(Id('ast'))),
    contractId: z.optional(z.nullable(AnyId())),
    orderId: z.optional(z.nullable(Id('ord'))),
    queueId: z.optional(z.nullable(Id('que'))),
    assigneeId: z.optional(z.nullable(userId())),
    resolution: z.optional(z.nullable(multilineText(4000).check(z.meta({ description: 'What solved it (with status resolved)' })))),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'TicketPatch', description: 'Fields to change; null clears an optional field.' }),
  ));

const Clock = once(() => z
  .object({
    targetMinutes: z.int().check(z.meta({ description: 'Target in business minutes' })),
    spentMinutes: z.number().check(z.meta({ description: 'Business minutes counted at the last pause or stop (a running clock\'s current stretch shows in dueAt)' })),
    state: z.enum(['running', 'paused', 'stopped']),
    dueAt: z.optional(Timestamp().check(z.meta({ description: 'While running' }))),
    warnAt: z.optional(Timestamp()),
    stoppedAt: z.optional(Timestamp().check(z.meta({ description: 'First response: the first public reply; resolution: resolved' }))),
    breachedAt: z.optional(Timestamp()),
  })
  .check(z.meta({ id: 'SlaClock' })));

export const TicketSla = once(() => z
  .object({
    policy: z.string().check(z.meta({ description: 'The policy applied: priority, and tier when a tier-specific policy matched' })),
    firstResponse: Clock(),
    resolution: Clock(),
    nextDeadline: z.optional(Timestamp().check(z.meta({ description: 'The earliest running deadline' }))),
    escalations: z.array(z.object({ level: z.string(), at: Timestamp(), notified: z.array(z.string()) })),
    breaches: z.int(),
  })
  .check(z.meta({ id: 'TicketSla' })));

export const Ticket = once(() => z
  .object({
    id: Id('tkt'),
    subject: z.string(),
    description: z.optional(z.string()),
    channel: z.enum(TICKET_CHANNELS),
    category: z.optional(z.string()),
    priority: z.enum(TICKET_PRIORITIES),
    status: z.enum(TICKET_STATUSES),
    customerId: Id('cus'),
    contactId: z.optional(z.string()),
    assetId: z.optional(z.string()),
    contractId: z.optional(z.string()),
    orderId: z.optional(z.string()),
    queueId: z.optional(z.string()),
    assigneeId: z.optional(z.string()),
    requester: z.optional(z.object({ email: z.string(), name: z.optional(z.string()) }).check(z.meta({ description: 'Who wrote in, for a ticket opened by an email from an unknown address (no contact): public replies go there. Personal data: masked for roles without the personal-data permission' }))),
    resolution: z.optional(z.string()),
    resolvedAt: z.optional(Timestamp()),
    closedAt: z.optional(Timestamp()),
    firstRespondedAt: z.optional(Timestamp()),
    sla: TicketSla(),
    masked: z.optional(z.array(z.string()).check(z.meta({ description: 'Fields withheld from a role without pii:read' }))),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Ticket' })));

export const TicketPage = once(() => pageOf(Ticket(), 'TicketPage'));

export const TicketListQuery = once(() => z.strictObject({
  ...PageQuery(),
  assigneeId: z.optional(userId().check(z.meta({ description: '`me` or a user id: that agent\'s tickets' }))),
  queueId: z.optional(Id('que')),
  customerId: z.optional(Id('cus')),
  status: z.optional(z.enum([...TICKET_STATUSES, 'active'] as const).check(z.meta({ description: '`active` = new, open, pending or on_hold' }))),
  priority: z.optional(z.enum(TICKET_PRIORITIES)),
}));

/** An entry of the "breaching soon" list: the deadline item's copy of what the list shows. */
export const TicketDeadline = once(() => z
  .object({
    ticketId: Id('tkt'),
    subject: z.string(),
    status: z.enum(TICKET_STATUSES),
    priority: z.enum(TICKET_PRIORITIES),
    customerId: z.string(),
    queueId: z.optional(z.string()),
    assigneeId: z.optional(z.string()),
    nextDeadline: Timestamp(),
    deadlineKind: z.enum(['firstResponse', 'resolution']),
  })
  .check(z.meta({ id: 'TicketDeadline' })));

export const TicketDeadlinePage = once(() => pageOf(TicketDeadline(), 'TicketDeadlinePage'));

export const TicketDeadlineQuery = once(() => z.strictObject({
  ...PageQuery(),
  queueId: z.optional(Id('que').check(z.meta({ description: 'Only this queue\'s tickets (a filter on the deadline list)' }))),
  before: z.optional(Timestamp().check(z.meta({ description: 'Only deadlines before this instant' }))),
}));

export const MessageCreate = once(() => z
  .strictObject({
    visibility: z.enum(MESSAGE_VISIBILITIES).check(z.meta({ description: 'public: emailed to the ticket\'s contact; internal: a note for the team, never sent or shown to the customer' })),
    body: multilineText(20_000),
  })
  .check(z.meta({ id: 'TicketMessageCreate', description: 'Attachments are not supported yet.' })));

export const TicketMessage = once(() => z
  .object({
    id: Id('msg'),
    ticketId: Id('tkt'),
    visibility: z.enum(MESSAGE_VISIBILITIES),
    direction: z.enum(['outbound', 'inbound']),
    body: z.string(),
    authorId: z.string(),
    createdAt: Timestamp(),
    email: z.optional(z.object({
      status: z.enum(['sent', 'no-contact', 'no-address', 'failed']),
      messageId: z.optional(z.string().check(z.meta({ description: 'The Message-ID header of the email' }))),
      inReplyTo: z.optional(z.string()),
    }).check(z.meta({ description: 'Public replies only: what happened to the email' }))),
    masked: z.optional(z.array(z.string())),
  })
  .check(z.meta({ id: 'TicketMessage' })));

export const TicketMessagePage = once(() => pageOf(TicketMessage(), 'TicketMessagePage'));
export const TicketMessageListQuery = once(() => z.strictObject({ ...PageQuery() }));

// Queues --------------------------------------------------------------------------------------------

const members = once(() => z.array(userId()).check(z.maxLength(50), z.refine((m) => new Set(m).size === m.length, 'Members must be distinct')));

export const QueueCreate = once(() => z
  .strictObject({
    name: text(100),
    description: z.optional(multilineText(1000)),
    memberIds: z.optional(members()),
    managerId: z.optional(userId().check(z.meta({ description: 'Notified when a ticket of the queue breaches its SLA' }))),
    autoAssign: z.optional(z.boolean().check(z.meta({ description: 'New tickets without an assignee go round robin to the members' }))),
  })
  .check(z.meta({ id: 'QueueCreate' })));

export const QueuePatch = once(() => z
  .strictObject({
    name: z.optional(text(100)),
    description: z.optional(z.nullable(multilineText(1000))),
    memberIds: z.optional(members()),
    managerId: z.optional(z.nullable(userId())),
    autoAssign: z.optional(z.boolean()),
  })
  .check(z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'), z.meta({ id: 'QueuePatch' })));

export const Queue = once(() => z
  .object({
    id: Id('que'),
    name: z.string(),
    description: z.optional(z.string()),
    memberIds: z.array(z.string()),
    managerId: z.optional(z.string()),
    autoAssign: z.boolean(),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Queue' })));

export const QueuePage = once(() => pageOf(Queue(), 'QueuePage'));
export const QueueListQuery = once(() => z.strictObject({ ...PageQuery() }));

// Service-desk settings -------------------------------------------------------------------------

const HHMM = once(() => z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'Expected a time like 09:00')));
const minutes = once(() => z.int().check(z.minimum(1), z.maximum(525_600)));

const SlaPolicy = once(() => z.strictObject({
  priority: z.enum(TICKET_PRIORITIES),
  tier: z.optional(z.enum(TIERS).check(z.meta({ description: 'Applies to customers of this tier only; a policy without tier applies to the rest' }))),
  firstResponseMinutes: minutes().check(z.meta({ description: 'Business minutes to the first public reply' })),
  resolutionMinutes: minutes().check(z.meta({ description: 'Business minutes to resolution' })),
}));

const RoutingRule = once(() => z.strictObject({
  match: z.strictObject({
    category: z.optional(z.array(Category()).check(z.minLength(1), z.maxLength(50))),
    priority: z.optional(z.array(z.enum(TICKET_PRIORITIES)).check(z.minLength(1))),
    tier: z.optional(z.array(z.enum(TIERS)).check(z.minLength(1))),
  }).check(z.meta({ description: 'Every given criterion must match; an empty match matches every ticket (a default rule)' })),
  queueId: Id('que'),
}));

const settingsFields = once(() => ({
  calendar: z.strictObject({
    timeZone: z.optional(text(64).check(z.meta({ description: 'IANA zone; default the deployment\'s business time zone' }))),
    workingDays: z.array(z.int().check(z.minimum(1), z.maximum(7))).check(
      z.minLength(1), z.maxLength(7), z.refine((d) => new Set(d).size === d.length, 'Each day once'),
      z.meta({ description: 'ISO weekdays, Monday = 1 … Sunday = 7' }),
    ),
    start: HHMM().check(z.meta({ description: 'Opening time, local wall clock', examples: ['09:00'] })),
    end: HHMM().check(z.meta({ description: 'Closing time, local wall clock (after start)', examples: ['17:00'] })),
    holidays: z.array(CalendarDate()).check(z.maxLength(400)),
  }).check(z.refine((c) => c.start < c.end, { message: 'start must be before end', path: ['end'] })),
  policies: z.array(SlaPolicy()).check(
    z.maxLength(40),
    z.refine((list) => new Set(list.map((p) => `${p.priority}#${p.tier ?? ''}`)).size === list.length, 'One policy per priority and tier'),
    z.refine((list) => list.every((p) => p.firstResponseMinutes <= p.resolutionMinutes), 'firstResponseMinutes may not exceed resolutionMinutes'),
  ),
  warnAtPercent: z.int().check(z.minimum(1), z.maximum(99), z.meta({ description: 'Warn the assignee at this share of a target (default 80)' })),
  reopenDays: z.int().check(z.minimum(0), z.maximum(365), z.meta({ description: 'A resolved ticket can be reopened for this many days (default 7)' })),
  routing: z.array(RoutingRule()).check(z.maxLength(100)),
  csatLowRating: z.int().check(z.minimum(1), z.maximum(4), z.meta({ description: 'A satisfaction rating at or below this opens a follow-up task for the queue\'s manager (default 2)' })),
}));

export const ServiceDeskInput = once(() => z
  .strictObject({
    calendar: settingsFields().calendar,
    policies: settingsFields().policies,
    warnAtPercent: z.optional(settingsFields().warnAtPercent),
    reopenDays: z.optional(settingsFields().reopenDays),
    routing: z.optional(settingsFields().routing),
    csatLowRating: z.optional(settingsFields().csatLowRating),
  })
  .check(z.meta({ id: 'ServiceDeskInput', description: 'Replaces the service-desk settings. Priorities without a policy use the built-in defaults.' })));

export const ServiceDesk = once(() => z
  .object({
    calendar: z.object({ timeZone: z.string(), workingDays: z.array(z.int()), start: z.string(), end: z.string(), holidays: z.array(z.string()) }),
    policies: z.array(z.object({ priority: z.enum(TICKET_PRIORITIES), tier: z.optional(z.string()), firstResponseMinutes: z.int(), resolutionMinutes: z.int() })),
    warnAtPercent: z.int(),
    reopenDays: z.int(),
    csatLowRating: z.int(),
    routing: z.array(z.object({ match: z.object({ category: z.optional(z.array(z.string())), priority: z.optional(z.array(z.string())), tier: z.optional(z.array(z.string())) }), queueId: z.string() })),
    version: z.int(),
    updatedAt: z.optional(Timestamp()),
    updatedBy: z.optional(z.string()),
  })
  .check(z.meta({ id: 'ServiceDesk', description: 'SLA policies, the business calendar they count in, routing rules and the reopen window' })));
