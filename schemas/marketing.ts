/**
 * Marketing (C6): consent, suppression, email templates, segments, static lists and campaigns.
 * Addresses in responses are personal data: masked for roles without pii:read (marketing, analyst).
 */
import * as z from './zod';
import { once } from './once';
import { CalendarDate, Country, Id, IdParam, MoneyInput, Money, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { LIFECYCLE_STAGES, SOURCES, TIERS } from './customers';
import { multilineText, text } from './text';

// Shared with schemas that must not load this module (the dashboard's): ./marketing-enums.ts.
export { CAMPAIGN_STATUSES, CHANNELS } from './marketing-enums';
import { CAMPAIGN_STATUSES, CHANNELS } from './marketing-enums';
export const CONSENT_STATUSES = ['opted_in', 'opted_out', 'unknown'] as const;
export const CONSENT_SOURCES = ['form', 'import', 'phone', 'email', 'in_person', 'unsubscribe_link', 'complaint', 'manual', 'sms_stop'] as const;
export const SUPPRESSION_REASONS = ['bounce', 'complaint', 'unsubscribe', 'manual'] as const;

const Email = once(() => z.email().check(z.maxLength(254), z.meta({ description: 'Personal data: masked for roles without the personal-data permission' })));

// ---- consent ---------------------------------------------------------------------------------

export const ConsentChannelParams = once(() => ({ id: Id('con'), channel: z.enum(CHANNELS) }));

export const ConsentSet = once(() => z
  .strictObject({
    status: z.enum(['opted_in', 'opted_out']).check(z.meta({ description: 'The contact\'s decision for this channel' })),
    source: z.enum(CONSENT_SOURCES).check(z.meta({ description: 'Where the decision was given' })),
    note: z.optional(text(200)),
  })
  .check(z.meta({ id: 'ConsentSet' })));

export const ChannelConsent = once(() => z
  .object({
    channel: z.enum(CHANNELS),
    status: z.enum(CONSENT_STATUSES),
    source: z.optional(z.enum(CONSENT_SOURCES)),
    at: z.optional(Timestamp()),
    by: z.optional(z.string()),
    version: z.int().check(z.meta({ description: '0 while unknown (never recorded); send as If-Match to change safely' })),
  })
  .check(z.meta({ id: 'ChannelConsent' })));

export const ContactConsent = once(() => z
  .object({ contactId: Id('con'), channels: z.array(ChannelConsent()) })
  .check(z.meta({ id: 'ContactConsent', description: 'A contact\'s consent per channel; `unknown` when never recorded' })));

export const ConsentChange = once(() => z
  .object({
    id: z.string(),
    channel: z.enum(CHANNELS),
    from: z.enum(CONSENT_STATUSES),
    to: z.enum(CONSENT_STATUSES),
    source: z.enum(CONSENT_SOURCES),
    note: z.optional(z.string()),
    at: Timestamp(),
    by: z.string(),
  })
  .check(z.meta({ id: 'ConsentChange' })));

export const ConsentHistoryPage = once(() => pageOf(ConsentChange(), 'ConsentHistoryPage'));

// ---- suppression -----------------------------------------------------------------------------

export const SuppressionCreate = once(() => z
  .strictObject({ email: Email(), reason: z.optional(z.enum(['manual'])) })
  .check(z.meta({ id: 'SuppressionCreate', description: 'Suppresses an address for all marketing email (reason `manual`)' })));

export const Suppression = once(() => z
  .object({
    email: z.string().check(z.meta({ description: 'Normalised address; masked without pii:read' })),
    reason: z.enum(SUPPRESSION_REASONS),
    at: Timestamp(),
    by: z.optional(z.string()),
    campaignId: z.optional(z.string()),
    masked: z.optional(z.array(z.string())),
  })
  .check(z.meta({ id: 'Suppression' })));

export const SuppressionPage = once(() => pageOf(Suppression(), 'SuppressionPage'));

// ---- templates -------------------------------------------------------------------------------

const templateFields = once(() => ({
  name: text(200),
  subject: text(300).check(z.meta({ description: 'Handlebars template, e.g. `News for {{default contact.firstName "you"}}`' })),
  html: multilineText(100_000).check(z.meta({ description: 'HTML part; `{{…}}` values are HTML-escaped. The unsubscribe footer is appended to every email' })),
  text: multilineText(50_000).check(z.meta({ description: 'Plain-text part; the unsubscribe footer is appended to every email' })),
}));

export const TemplateCreate = once(() => z
  .strictObject({ ...templateFields() })
  .check(z.meta({ id: 'TemplateCreate', description: 'Variables: contact.firstName, contact.lastName, contact.jobTitle, contact.email, customer.name, customer.industry, customer.tier, customer.city, customer.country, unsubscribeUrl. Helpers: `{{default value "fallback"}}`, `{{#if value}}…{{else}}…{{/if}}`, `{{#unless value}}…{{/unless}}`. Nothing else (no partials, no raw `{{{…}}}` output, no other helpers).' })));

export const TemplatePatch = once(() => z
  .strictObject({
    name: z.optional(templateFields().name),
    subject: z.optional(templateFields().subject),
    html: z.optional(templateFields().html),
    text: z.optional(templateFields().text),
  })
  .check(z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'), z.meta({ id: 'TemplatePatch' })));

export const Template = once(() => z
  .object({ id: Id('tpl'), name: z.string(), subject: z.string(), html: z.string(), text: z.string(), ...RecordMeta() })
  .check(z.meta({ id: 'Template' })));

export const TemplatePage = once(() => pageOf(Template(), 'TemplatePage'));
export const TemplateIdParam = IdParam('tpl', 'templateId');

export const TemplateRender = once(() => z
  .strictObject({ contactId: Id('con') })
  .check(z.meta({ id: 'TemplateRender', description: 'Render the template for this contact (as you may see it: masked values stay masked)' })));

export const RenderedEmail = once(() => z
  .object({ subject: z.string(), html: z.string(), text: z.string(), masked: z.optional(z.array(z.string())) })
  .check(z.meta({ id: 'RenderedEmail' })));

// ---- segments --------------------------------------------------------------------------------

const Tag = once(() => z.string().check(z.normalize('NFC'), z.trim(), z.toLowerCase(), z.regex(/^[\p{L}\p{N}][\p{L}\p{N} _-]{0,39}$/u, 'Tags are 1–40 letters, digits, spaces, "-" or "_"')));
const few = <T extends z.ZodMiniType>(item: T) => z.array(item).check(z.minLength(1), z.maxLength(20));

export const SegmentRules = once(() => z
  .strictObject({
    tiers: z.optional(few(z.enum(TIERS))),
    lifecycleStages: z.optional(few(z.enum(LIFECYCLE_STAGES))),
    tagsAny: z.optional(few(Tag())),
    industries: z.optional(few(text(100))),
    countries: z.optional(few(Country())),
    ownerIds: z.optional(few(text(128))),
    sources: z.optional(few(z.enum(SOURCES))),
    lastActivityBefore: z.optional(CalendarDate()),
    lastActivityAfter: z.optional(CalendarDate()),
    lastPurchaseBefore: z.optional(CalendarDate()),
    lastPurchaseAfter: z.optional(CalendarDate()),
    lifetimeValue: z.optional(z.strictObject({
      currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"')),
      min: z.optional(z.int().check(z.minimum(0), z.maximum(1_000_000_000_000_000))),
      max: z.optional(z.int().check(z.minimum(0), z.maximum(1_000_000_000_000_000))),
    })),
    emailConsent: z.optional(few(z.enum(CONSENT_STATUSES)).check(z.meta({ description: 'Only contacts whose email consent is one of these' }))),
    smsConsent: z.optional(few(z.enum(CONSENT_STATUSES)).check(z.meta({ description: 'Only contacts whose SMS consent is one of these' }))),
    openDeals: z.optional(z.strictObject({
      has: z.boolean().check(z.meta({ description: 'true: customers with at least one open deal matching the rest of this rule; false: customers with none' })),
      pipelineIds: z.optional(few(text(128)).check(z.meta({ description: 'Only open deals in these pipelines' }))),
      minAmount: z.optional(z.strictObject({
        currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"')),
        amount: z.int().check(z.minimum(0), z.maximum(1_000_000_000_000_000)),
      }).check(z.meta({ description: 'Only open deals of at least this amount (integer minor units) in this currency' }))),
    }).check(z.meta({ description: 'Customers with (or without) an open deal, optionally in some pipelines or of at least an amount; read from the open-deals index (docs/marketing.md, "What a segment costs")' }))),
  })
  .check(z.meta({
    id: 'SegmentRules',
    description: 'All given rules must hold (AND); a list means any of its values (OR). Customer rules select customers; the segment is their contacts with an email address (and `emailConsent`, when given). Dates compare in UTC.',
  })));

export const SegmentCreate = once(() => z
  .strictObject({ name: text(200), description: z.optional(multilineText(2000)), rules: SegmentRules() })
  .check(z.meta({ id: 'SegmentCreate' })));

export const SegmentPatch = once(() => z
  .strictObject({ name: z.optional(text(200)), description: z.optional(z.nullable(multilineText(2000))), rules: z.optional(SegmentRules()) })
  .check(z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'), z.meta({ id: 'SegmentPatch' })));

export const Segment = once(() => z
  .object({
    id: Id('seg'),
    name: z.string(),
    description: z.optional(z.string()),
    rules: SegmentRules(),
    plan: z.string().check(z.meta({ description: 'How the segment is read: which index partitions, or every live customer' })),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Segment' })));

export const SegmentPage = once(() => pageOf(Segment(), 'SegmentPage'));
export const SegmentIdParam = IdParam('seg', 'segmentId');

export const AudienceMember = once(() => z
  .object({
    contactId: Id('con'),
    customerId: Id('cus'),
    firstName: z.optional(z.string()),
    lastName: z.string(),
    email: z.string(),
    masked: z.optional(z.array(z.string())),
  })
  .check(z.meta({ id: 'AudienceMember' })));

export const SegmentPreviewQuery = once(() => z.strictObject({ ...PageQuery() }));

export const SegmentPreview = once(() => z
  .object({
    count: z.int().check(z.meta({ description: 'Matching contacts counted so far (all of them when `complete`)' })),
    complete: z.boolean().check(z.meta({ description: 'false: the preview stopped on its read budget; pass nextCursor to count on' })),
    customersRead: z.int(),
    items: z.array(AudienceMember()).check(z.meta({ description: 'The first matching contacts of this call (at most `limit`)' })),
    nextCursor: z.nullable(z.string()),
  })
  .check(z.meta({ id: 'SegmentPreview' })));

// ---- static lists ----------------------------------------------------------------------------

export const ListCreate = once(() => z
  .strictObject({ name: text(200), description: z.optional(multilineText(2000)) })
  .check(z.meta({ id: 'ListCreate' })));

export const MailingList = once(() => z
  .object({ id: Id('lst'), name: z.string(), description: z.optional(z.string()), ...RecordMeta() })
  .check(z.meta({ id: 'MailingList' })));

export const MailingListPage = once(() => pageOf(MailingList(), 'MailingListPage'));
export const ListIdParam = IdParam('lst', 'listId');

export const ListMembersChange = once(() => z
  .strictObject({
    contactIds: z.array(Id('con')).check(z.minLength(1), z.maxLength(100), z.refine((ids) => new Set(ids).size === ids.length, 'Each contact once')),
  })
  .check(z.meta({ id: 'ListMembersChange' })));

export const ListMembersResult = once(() => z
  .object({ listId: Id('lst'), changed: z.int(), unchanged: z.int() })
  .check(z.meta({ id: 'ListMembersResult' })));

export const ListMember = once(() => z
  .object({ contactId: Id('con'), addedAt: Timestamp(), addedBy: z.string() })
  .check(z.meta({ id: 'ListMember' })));

export const ListMemberPage = once(() => pageOf(ListMember(), 'ListMemberPage'));

// ---- campaigns -------------------------------------------------------------------------------


const CampaignAudience = once(() => z
  .strictObject({
    segmentIds: z.optional(z.array(Id('seg')).check(z.maxLength(10))),
    listIds: z.optional(z.array(Id('lst')).check(z.maxLength(10))),
    exclude: z.optional(z.strictObject({
      segmentIds: z.optional(z.array(Id('seg')).check(z.maxLength(10))),
      listIds: z.optional(z.array(Id('lst')).check(z.maxLength(10))),
    }).check(z.meta({ description: 'Addresses reached by any of these segments or lists are not sent to (counted `excluded`). Read whole once per send-job run while the audience is materialised: see docs/marketing.md, "Exclusions"' }))),
  })
  .check(
    z.refine((a) => (a.segmentIds?.length ?? 0) + (a.listIds?.length ?? 0) > 0, 'Name at least one segment or list'),
    z.superRefine((a, ctx) => {
      const both = (included: string[] | undefined, excluded: string[] | undefined, field: string) => (excluded ?? []).forEach((id, i) => {
        if (included?.includes(id)) ctx.issues.push({ code: 'custom', input: id, path: ['exclude', field, i], message: 'Both included and excluded' });
      });
      both(a.segmentIds, a.exclude?.segmentIds, 'segmentIds');
      both(a.listIds, a.exclude?.listIds, 'listIds');
    }),
  ));
const CampaignSender = once(() => z
  .strictObject({
    email: z.email().check(z.maxLength(254), z.meta({ description: 'The From address; its domain (or the address itself) must be one the deployment allows (SENDER_IDENTITIES, default the domain of SENDER_EMAIL) and, in AWS, a verified SES identity' })),
    name: z.optional(text(100).check(z.meta({ description: 'Display name, quoted per RFC 5322 in the From header' }))),
  })
  .check(z.meta({ description: 'Email campaigns: who the campaign comes from; default the deployment\'s SENDER_EMAIL' })));
const RunDate = once(() => CalendarDate().check(z.meta({ description: 'The campaign\'s run period (reporting and ROI); descriptive: it does not gate sending nor attribution' })));
/** startsOn ≤ endsOn when both are given. */
const datesInOrder = (v: { startsOn?: string | null; endsOn?: string | null }) => !v.startsOn || !v.endsOn || v.startsOn <= v.endsOn;
const ConsentPolicy = once(() => z.enum(['opted_in', 'not_opted_out']).check(z.meta({ description: '`opted_in` (default): only contacts who opted in; `not_opted_out`: also contacts whose consent is unknown (e.g. existing B2B customers). Opted-out contacts and suppressed addresses never receive anything.' })));
const SendRate = once(() => z.number().check(z.minimum(0.1), z.maximum(1000), z.meta({ description: 'At most this many emails per second (never above the SES account\'s rate)' })));

export const CampaignCreate = once(() => z
  .strictObject({
    name: text(200),
    goal: z.optional(text(500)),
    budget: z.optional(MoneyInput()),
    channel: z.enum(['email', 'sms']).check(z.meta({ description: '`email`: the template as an email to the contacts\' addresses; `sms`: the template\'s text part (plus "Reply STOP to opt out") as an SMS to their phone numbers, through AWS End User Messaging SMS, honouring SMS consent' })),
    templateId: Id('tpl'),
    audience: CampaignAudience(),
    consentPolicy: z.optional(ConsentPolicy()),
    sendRatePerSecond: z.optional(SendRate()),
    sender: z.optional(CampaignSender()),
    startsOn: z.optional(RunDate()),
    endsOn: z.optional(RunDate()),
  })
  .check(z.refine(datesInOrder, { message: 'endsOn is before startsOn', path: ['endsOn'] }), z.meta({ id: 'CampaignCreate' })));

/**
 * `PATCH /v1/campaigns/{id}` (draft, scheduled, or paused before it started): a field left out
 * stays; `null` clears `goal`, `budget`, `sendRatePerSecond`, `sender`, `startsOn` or `endsOn`; `audience` replaces the whole
 * audience. `channel` is fixed at creation (the template and consent were chosen for it).
 */
export const CampaignPatch = once(() => z
  .strictObject({
    name: z.optional(text(200)),
    goal: z.optional(z.nullable(text(500))),
    budget: z.optional(z.nullable(MoneyInput())),
    templateId: z.optional(Id('tpl')),
    audience: z.optional(CampaignAudience()),
    consentPolicy: z.optional(ConsentPolicy()),
    sendRatePerSecond: z.optional(z.nullable(SendRate())),
    sendAt: z.optional(Timestamp().check(z.meta({ description: 'A scheduled (or paused, not yet started) campaign only: when to start sending instead; moves its one-time schedule' }))),
    sender: z.optional(z.nullable(CampaignSender())),
    startsOn: z.optional(z.nullable(RunDate())),
    endsOn: z.optional(z.nullable(RunDate())),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.refine(datesInOrder, { message: 'endsOn is before startsOn', path: ['endsOn'] }),
    z.meta({ id: 'CampaignPatch' }),
  ));

export const CampaignSchedule = once(() => z
  .strictObject({ sendAt: z.optional(Timestamp().check(z.meta({ description: 'When to start sending; default now' }))) })
  .check(z.meta({ id: 'CampaignSchedule' })));

export const CampaignStats = once(() => z
  .object({
    recipients: z.int().check(z.meta({ description: 'Distinct addresses in the audience' })),
    excluded: z.int().check(z.meta({ description: 'Distinct addresses of the audience left out because an excluded segment or list reaches them (not in `recipients`)' })),
    sent: z.int(),
    skippedConsent: z.int(),
    skippedSuppressed: z.int(),
    failed: z.int(),
    unknown: z.int().check(z.meta({ description: 'Claimed for sending but never confirmed (a crash between claim and send): never sent again' })),
    pending: z.int(),
    delivered: z.int(),
    bounced: z.int(),
    complained: z.int(),
    opened: z.int(),
    clicked: z.int(),
    rejected: z.int().check(z.meta({ description: 'Accepted by SES, then not delivered because SES found a virus (SES Reject event)' })),
    unsubscribed: z.int(),
  })
  .check(z.meta({ id: 'CampaignStats' })));

export const Campaign = once(() => z
  .object({
    id: Id('cmp'),
    name: z.string(),
    goal: z.optional(z.string()),
    budget: z.optional(Money()),
    channel: z.enum(['email', 'sms']),
    templateId: z.string(),
    audience: z.object({ segmentIds: z.array(z.string()), listIds: z.array(z.string()), exclude: z.optional(z.object({ segmentIds: z.array(z.string()), listIds: z.array(z.string()) })) }),
    consentPolicy: z.enum(['opted_in', 'not_opted_out']),
    sendRatePerSecond: z.optional(z.number()),
    sender: z.optional(z.object({ email: z.string(), name: z.optional(z.string()) })),
    startsOn: z.optional(CalendarDate()),
    endsOn: z.optional(CalendarDate()),
    status: z.enum(CAMPAIGN_STATUSES),
    sendAt: z.optional(Timestamp()),
    audienceComplete: z.boolean(),
    startedAt: z.optional(Timestamp()),
    completedAt: z.optional(Timestamp()),
    pausedAt: z.optional(Timestamp()),
    autoPause: z.optional(z.object({
      reason: z.enum(['bounce-rate', 'complaint-rate']),
      rate: z.number(),
      threshold: z.number(),
      sent: z.int(),
      at: Timestamp(),
    }).check(z.meta({ description: 'Set when the SES feedback loop paused the campaign on its bounce or complaint rate (at most once per campaign)' }))),
    stats: z.optional(CampaignStats()),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Campaign' })));

export const CampaignPage = once(() => pageOf(Campaign(), 'CampaignPage'));
export const CampaignIdParam = IdParam('cmp', 'campaignId');

const Rate = once(() => z.nullable(z.number()).check(z.meta({ description: 'A fraction (0.05 = 5 %); null while its denominator is 0' })));

export const CampaignReport = once(() => z
  .object({
    campaignId: Id('cmp'),
    status: z.enum(CAMPAIGN_STATUSES),
    startsOn: z.optional(CalendarDate().check(z.meta({ description: 'The campaign\'s run period as given (descriptive: the attribution counters are not limited to it)' }))),
    endsOn: z.optional(CalendarDate()),
    recipients: z.int(),
    excluded: z.int().check(z.meta({ description: 'Addresses left out by the audience\'s exclusions' })),
    sent: z.int(),
    delivered: z.int(),
    opened: z.int().check(z.meta({ description: 'Recipients who opened at least once (SES open tracking; unique opens)' })),
    clicked: z.int().check(z.meta({ description: 'Recipients who clicked at least once (unique clicks)' })),
    bounced: z.int().check(z.meta({ description: 'Permanent bounces' })),
    complained: z.int(),
    rejected: z.int(),
    unsubscribed: z.int(),
    skipped: z.int().check(z.meta({ description: 'Not sent: no consent or a suppressed address at send time' })),
    failed: z.int(),
    unknown: z.int(),
    pending: z.int(),
    leads: z.int().check(z.meta({ description: 'Leads attributed to the campaign (attribution counters; 0 when none)' })),
    deals: z.int().check(z.meta({ description: 'Deals attributed to the campaign' })),
    wonDeals: z.int(),
    wonRevenue: z.array(Money()).check(z.meta({ description: 'Revenue of won attributed deals, per currency' })),
    budget: z.nullable(Money()),
    rates: z.object({
      delivery: Rate(), open: Rate(), click: Rate(), bounce: Rate(), complaint: Rate(), unsubscribe: Rate(),
    }).check(z.meta({ description: 'delivery, bounce, complaint and unsubscribe per sent email; open and click per delivered email' })),
    responses: z.int().check(z.meta({ description: 'Recipients who clicked plus attributed leads' })),
    costPerResponse: z.nullable(Money()).check(z.meta({ description: 'budget / responses (rounded to minor units); null without a budget or responses' })),
    returnOnBudget: z.nullable(z.number()).check(z.meta({ description: '(won revenue in the budget\'s currency − budget) / budget; null without a budget' })),
    autoPause: z.optional(Campaign().shape.autoPause),
  })
  .check(z.meta({ id: 'CampaignReport', description: 'A campaign\'s results, from counters maintained on write: no addresses, no content' })));

/**
 * A rate from 0 to 1 in steps a person would set (at least one in a million, or 0): DynamoDB stores
 * no number below 1e-130, and a threshold finer than that means nothing for a campaign.
 */
const rate = () => z.number().check(z.minimum(0), z.maximum(1), z.refine((n) => n === 0 || n >= 0.000001, 'A rate is 0 or at least 0.000001'));

export const MarketingSettingsInput = once(() => z
  .strictObject({
    maxBounceRate: rate().check(z.meta({ description: 'Auto-pause when bounced / sent exceeds this; default 0.05 (SES reviews accounts above 5 %)' })),
    maxComplaintRate: rate().check(z.meta({ description: 'Auto-pause when complained / sent exceeds this; default 0.001 (SES reviews accounts above 0.1 %)' })),
    minSends: z.int().check(z.minimum(1), z.maximum(1_000_000), z.meta({ description: 'Rates are judged once a campaign has sent this many emails; default 200' })),
    notifyUserIds: z.array(text(128)).check(z.maxLength(20), z.meta({ description: 'Users (ids) notified of an auto-pause, besides the campaign\'s creator and last editor' })),
  })
  .check(z.meta({ id: 'MarketingSettingsInput' })));

export const MarketingSettings = once(() => z
  .object({
    ...MarketingSettingsInput().shape,
    version: z.int().check(z.meta({ description: '0 while the defaults apply; send as If-Match to change' })),
    updatedAt: z.optional(Timestamp()),
    updatedBy: z.optional(z.string()),
  })
  .check(z.meta({ id: 'MarketingSettings' })));

export const Recipient = once(() => z
  .object({
    email: z.string().check(z.meta({ description: 'Empty for an SMS recipient' })),
    phone: z.optional(z.string().check(z.meta({ description: 'An SMS recipient\'s number (masked without pii:read)' }))),
    contactId: z.string(),
    status: z.enum(['pending', 'claimed', 'sent', 'skipped', 'failed']),
    skipReason: z.optional(z.string()),
    messageId: z.optional(z.string()),
    sentAt: z.optional(Timestamp()),
    unsubscribedAt: z.optional(Timestamp()),
    deliveredAt: z.optional(Timestamp()),
    openedAt: z.optional(Timestamp()),
    clickedAt: z.optional(Timestamp()),
    bouncedAt: z.optional(Timestamp()),
    complainedAt: z.optional(Timestamp()),
    masked: z.optional(z.array(z.string())),
  })
  .check(z.meta({ id: 'Recipient' })));

export const RecipientPage = once(() => pageOf(Recipient(), 'RecipientPage'));

// ---- unsubscribe (public) --------------------------------------------------------------------

export const UnsubscribeQuery = once(() => z.strictObject({
  token: z.string().check(z.minLength(1), z.maxLength(1024), z.meta({ description: 'The signed token from the email\'s unsubscribe link' })),
}));

export const ListQuery = once(() => z.strictObject({ ...PageQuery() }));
