import * as z from './zod';
import { once } from './once';
import { CustomValues, CustomValuesInput } from './customfields';
import { CalendarDate, Country, Id, MoneyInput, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { SOURCES } from './shared';
import { multilineText, text } from './text';

export const LEAD_STATUSES = ['new', 'working', 'qualified', 'disqualified', 'converted'] as const;
/** Statuses a client may set; `converted` is set only by POST /v1/leads/{id}/convert. */
export const SETTABLE_LEAD_STATUSES = ['new', 'working', 'qualified', 'disqualified'] as const;

const pii = { description: 'Personal data: masked for roles without the personal-data permission' };
const Phone = once(() => z.string().check(z.trim(), z.regex(/^\+?[0-9 ()./-]{5,30}$/, 'Expected a phone number such as +49 30 1234567'), z.meta(pii)));
const Email = once(() => z.email().check(z.maxLength(254), z.meta(pii)));

const leadFields = once(() => ({
  firstName: text(100),
  lastName: text(100),
  companyName: text(200),
  title: text(100),
  email: Email(),
  phone: Phone(),
  source: z.enum(SOURCES),
  campaignId: text(128).check(z.meta({ description: 'Campaign the lead came from (for attribution)' })),
  status: z.enum(SETTABLE_LEAD_STATUSES),
  disqualifiedReason: multilineText(500),
  ownerId: text(128),
  notes: multilineText(4000),
  country: Country(),
  region: text(100),
  industry: text(100),
}));

const reasonRule = (v: { status?: string | null; disqualifiedReason?: string | null }) => v.status !== 'disqualified' || typeof v.disqualifiedReason === 'string';

export const LeadCreate = once(() => z
  .strictObject({
    firstName: z.optional(leadFields().firstName),
    lastName: leadFields().lastName,
    companyName: z.optional(leadFields().companyName),
    title: z.optional(leadFields().title),
    email: z.optional(leadFields().email),
    phone: z.optional(leadFields().phone),
    source: z.optional(leadFields().source),
    campaignId: z.optional(leadFields().campaignId),
    status: z.optional(leadFields().status),
    disqualifiedReason: z.optional(leadFields().disqualifiedReason),
    ownerId: z.optional(leadFields().ownerId),
    notes: z.optional(leadFields().notes),
    custom: z.optional(CustomValuesInput()),
    country: z.optional(leadFields().country),
    region: z.optional(leadFields().region),
    industry: z.optional(leadFields().industry),
  })
  .check(
    z.refine(reasonRule, { message: 'A disqualified lead needs a disqualifiedReason', path: ['disqualifiedReason'] }),
    z.meta({ id: 'LeadCreate', description: 'Without ownerId, a caller who may assign (scope all) gets the owner from the territory rules; otherwise the caller owns it.' }),
  ));

export const LeadPatch = once(() => z
  .strictObject({
    firstName: z.optional(z.nullable(leadFields().firstName)),
    lastName: z.optional(leadFields().lastName),
    companyName: z.optional(z.nullable(leadFields().companyName)),
    title: z.optional(z.nullable(leadFields().title)),
    email: z.optional(z.nullable(leadFields().email)),
    phone: z.optional(z.nullable(leadFields().phone)),
    source: z.optional(z.nullable(leadFields().source)),
    campaignId: z.optional(z.nullable(leadFields().campaignId)),
    status: z.optional(leadFields().status),
    disqualifiedReason: z.optional(z.nullable(leadFields().disqualifiedReason)),
    ownerId: z.optional(leadFields().ownerId),
    notes: z.optional(z.nullable(leadFields().notes)),
    custom: z.optional(CustomValuesInput()),
    country: z.optional(z.nullable(leadFields().country)),
    region: z.optional(z.nullable(leadFields().region)),
    industry: z.optional(z.nullable(leadFields().industry)),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'LeadPatch', description: 'Fields to change; null clears an optional field. Setting status disqualified needs a disqualifiedReason (in the body or already on the lead).' }),
  ));

export const Lead = once(() => z
  .object({
    id: Id('led'),
    firstName: z.optional(z.string()),
    lastName: z.string(),
    companyName: z.optional(z.string()),
    title: z.optional(z.string()),
    email: z.optional(z.string()),
    phone: z.optional(z.string()),
    source: z.optional(z.string()),
    campaignId: z.optional(z.string()),
    status: z.enum(LEAD_STATUSES),
    disqualifiedReason: z.optional(z.string()),
    ownerId: z.string(),
    notes: z.optional(z.string()),
    custom: z.optional(CustomValues()),
    country: z.optional(z.string()),
    region: z.optional(z.string()),
    industry: z.optional(z.string()),
    convertedAt: z.optional(Timestamp()),
    convertedCustomerId: z.optional(z.string()),
    convertedContactId: z.optional(z.string()),
    convertedDealId: z.optional(z.string()),
    masked: z.optional(z.array(z.string())),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Lead' })));

export const LeadPage = once(() => pageOf(Lead(), 'LeadPage'));

export const LeadListQuery = once(() => z.strictObject({
  ...PageQuery(),
  ownerId: z.optional(text(128)),
  status: z.optional(z.enum(LEAD_STATUSES)),
  source: z.optional(z.enum(SOURCES)),
  q: z.optional(text(100).check(z.meta({ description: 'Name prefix (last name, then first name); case- and accent-insensitive' }))),
}));

export const LeadConvert = once(() => z
  .strictObject({
    customerId: z.optional(Id('cus').check(z.meta({ description: 'Link this existing customer instead of creating one' }))),
    createDeal: z.optional(
      z.strictObject({
        name: text(200),
        amount: MoneyInput(),
        pipelineId: z.optional(text(64)),
        stageId: z.optional(text(64)),
        expectedCloseDate: z.optional(CalendarDate()),
      }),
    ),
  })
  .check(z.meta({ id: 'LeadConvert' })));

export const LeadConversion = once(() => z
  .object({
    lead: Lead(),
    customerId: Id('cus'),
    contactId: Id('con'),
    dealId: z.optional(z.string()),
    customerCreated: z.boolean(),
  })
  .check(z.meta({ id: 'LeadConversion' })));
