import * as z from './zod';
import { once } from './once';
import { CustomValues, CustomValuesInput } from './customfields';
import { CalendarDate, Id, Money, MoneyInput, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { Period } from './shared';
import { multilineText, text } from './text';

const Probability = once(() => z.int().check(z.minimum(0), z.maximum(100), z.meta({ description: 'Win probability override in percent, 0–100' })));
export const DateOnly = CalendarDate;
export { Period } from './shared';
export const DEAL_STATUSES = ['open', 'won', 'lost'] as const;

export const LineItem = once(() => z
  .strictObject({ description: text(200), quantity: z.int().check(z.minimum(1), z.maximum(1_000_000)), unitPrice: MoneyInput() })
  .check(z.meta({ id: 'DealLineItem', description: 'A simple line; quotes carry the detailed pricing' })));
const CampaignRef = once(() => Id('cmp').check(z.meta({ description: 'The campaign the deal is attributed to (must exist); a converted lead passes its own on' })));
const LineItems = once(() => z.array(LineItem()).check(z.maxLength(50, 'At most 50 line items')));

export const DealCreate = once(() => z
  .strictObject({
    name: text(200),
    customerId: Id('cus'),
    contactId: z.optional(Id('con')),
    ownerId: z.optional(text(128).check(z.meta({ description: 'Defaults to the caller; sales may only own their deals' }))),
    pipelineId: z.optional(Id('pip').check(z.meta({ description: 'Defaults to the default pipeline' }))),
    stageId: z.optional(Id('stg').check(z.meta({ description: 'Defaults to the first active stage' }))),
    amount: MoneyInput(),
    expectedCloseDate: z.optional(DateOnly()),
    probability: z.optional(Probability()),
    lineItems: z.optional(LineItems()),
    campaignId: z.optional(CampaignRef()),
    custom: z.optional(CustomValuesInput()),
  })
  .check(z.meta({ id: 'DealCreate' })));

export const DealPatch = once(() => z
  .strictObject({
    name: z.optional(text(200)),
    contactId: z.optional(z.nullable(Id('con'))),
    ownerId: z.optional(text(128)),
    amount: z.optional(MoneyInput()),
    expectedCloseDate: z.optional(z.nullable(DateOnly())),
    probability: z.optional(z.nullable(Probability().check(z.meta({ description: 'null returns to the stage probability' })))),
    lineItems: z.optional(z.nullable(LineItems())),
    campaignId: z.optional(z.nullable(CampaignRef())),
    custom: z.optional(CustomValuesInput()),
  })
  .check(z.meta({ id: 'DealPatch', description: 'Stage, status and pipeline change through /stage, /won and /lost' })));

export const StageMove = once(() => z.strictObject({ stageId: Id('stg') }).check(z.meta({ id: 'StageMove' })));
export const DealWon = once(() => z.strictObject({ reason: z.optional(multilineText(1000)) }).check(z.meta({ id: 'DealWon' })));
export const DealLost = once(() => z.strictObject({ reason: multilineText(1000) }).check(z.meta({ id: 'DealLost' })));

export const Deal = once(() => z
  .object({
    id: z.string(),
    name: z.string(),
    customerId: z.string(),
    contactId: z.optional(z.string()),
    ownerId: z.string(),
    pipelineId: z.string(),
    stageId: z.string(),
    amount: Money(),
    probability: z.int(),
    probabilityOverride: z.optional(z.int()),
    expectedCloseDate: z.optional(z.string()),
    lineItems: z.optional(z.array(LineItem())),
    status: z.enum(DEAL_STATUSES),
    wonReason: z.optional(z.string()),
    lostReason: z.optional(z.string()),
    closedAt: z.optional(Timestamp()),
    source: z.optional(z.object({ kind: z.string(), id: z.string() })),
    campaignId: z.optional(z.string()),
    custom: z.optional(CustomValues()),
    stageEnteredAt: Timestamp(),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Deal' })));

export const DealPage = once(() => pageOf(Deal(), 'DealPage'));

export const StageHistoryEntry = once(() => z
  .object({
    n: z.int(), stageId: z.string(), stageName: z.string(), enteredAt: Timestamp(), enteredBy: z.string(),
    leftAt: z.optional(Timestamp()), leftBy: z.optional(z.string()), secondsInStage: z.int(), current: z.boolean(),
  })
  .check(z.meta({ id: 'StageHistoryEntry', description: 'One stay of a deal in a stage; secondsInStage runs to now for the current one' })));
export const DealHistory = once(() => z.object({ items: z.array(StageHistoryEntry()) }).check(z.meta({ id: 'DealHistory' })));

export const DealListQuery = once(() => z.strictObject({
  ownerId: z.optional(text(128)),
  status: z.optional(z.enum(DEAL_STATUSES)),
  pipelineId: z.optional(Id('pip')),
  stageId: z.optional(Id('stg')),
  closing: z.optional(Period().check(z.meta({ description: 'Expected close date in this quarter or month' }))),
  from: z.optional(DateOnly().check(z.meta({ description: 'Expected close date on or after' }))),
  to: z.optional(DateOnly().check(z.meta({ description: 'Expected close date on or before' }))),
  ...PageQuery(),
}));

export const BoardQuery = once(() => z.strictObject({ stage: z.optional(Id('stg')), ...PageQuery() }));
