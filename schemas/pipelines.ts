import * as z from './zod';
import { once } from './once';
import { Id, PageQuery, RecordMeta, pageOf } from './common';
import { text } from './text';

const Probability = once(() => z.int().check(z.minimum(0), z.maximum(100), z.meta({ description: 'Win probability in percent, 0–100' })));
const Currency = once(() => z.string().check(z.regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code, e.g. "EUR"')));

export const StageInput = once(() => z
  .strictObject({
    id: z.optional(Id('stg').check(z.meta({ description: 'An existing stage (omit for a new one)' }))),
    name: text(100),
    probability: Probability(),
    retired: z.optional(z.boolean().check(z.meta({ description: 'Retired stages keep their deals; no deal can move into them' }))),
  })
  .check(z.meta({ id: 'StageInput' })));

const Stages = once(() => z.array(StageInput()).check(z.minLength(1), z.maxLength(30, 'At most 30 stages')));

export const PipelineCreate = once(() => z
  .strictObject({ name: text(100), currency: z.optional(Currency()), stages: Stages() })
  .check(z.meta({ id: 'PipelineCreate', description: 'Stages in order. Won and lost are deal statuses, not stages.' })));

export const PipelinePatch = once(() => z
  .strictObject({
    name: z.optional(text(100)),
    currency: z.optional(z.nullable(Currency())),
    stages: z.optional(Stages().check(z.meta({
      description: 'The full ordered stage list: existing stages by id (renamed, reordered, retired), new ones without id. Existing stages cannot be dropped, only retired.',
    }))),
  })
  .check(z.meta({ id: 'PipelinePatch' })));

export const Stage = once(() => z
  .object({ id: z.string(), name: z.string(), probability: z.int(), position: z.int(), retired: z.boolean(), retiredAt: z.optional(z.string()) })
  .check(z.meta({ id: 'Stage' })));

export const Pipeline = once(() => z
  .object({ id: z.string(), name: z.string(), currency: z.optional(z.string()), isDefault: z.boolean(), stages: z.array(Stage()), ...RecordMeta() })
  .check(z.meta({ id: 'Pipeline' })));

export const PipelinePage = once(() => pageOf(Pipeline(), 'PipelinePage'));
export const PipelineListQuery = once(() => z.strictObject({ ...PageQuery() }));
