/**
 * Bulk writes (docs/custom-fields.md, "Bulk writes"): up to 100 creates or updates in one call, each
 * applied on its own (its own transaction, its own optional idempotency key) and answered on its
 * own, in a 207 Multi-Status body. The envelope is checked as a whole (a malformed envelope is one
 * 400); each item's `body` is checked against the entity's create or patch schema by itself, so an
 * invalid item is that item's 400, never the batch's.
 */
import * as z from './zod';
import { once } from './once';
import { Id, Problem } from './common';

export const MAX_BATCH_ITEMS = 100;

/** The envelope of `POST /v1/<entity>/batch`; `extra` adds item fields (a contact's `customerId`). */
export function batchOf<const Extra extends Record<string, z.ZodMiniType> = Record<never, z.ZodMiniType>>(prefix: string, id: string, extra?: Extra) {
  return z.strictObject({
    items: z.array(z.strictObject({
      op: z.enum(['create', 'update']).check(z.meta({ description: '`create` (body as in POST) or `update` (body as in PATCH, with `id`)' })),
      id: z.optional(Id(prefix).check(z.meta({ description: 'The record to update (op update only)' }))),
      ...(extra as Extra),
      ifMatch: z.optional(z.int().check(z.minimum(1), z.meta({ description: 'op update: the version read (as If-Match); a newer version answers this item 412' }))),
      idempotencyKey: z.optional(z.string().check(z.regex(/^[\x21-\x7e]{8,255}$/, 'Expected 8–255 visible ASCII characters'), z.meta({ description: 'Per item, as the Idempotency-Key header of the single-record call: a retry of the item with the same key and body replays its result' }))),
      body: z.record(z.string(), z.unknown()).check(z.meta({ description: 'The create or patch body, checked per item' })),
    })).check(z.minLength(1), z.maxLength(MAX_BATCH_ITEMS)),
  }).check(z.meta({ id, description: `Up to ${MAX_BATCH_ITEMS} creates or updates, applied in order, each on its own.` }));
}

export const BatchResult = once(() => z.object({
  results: z.array(z.object({
    index: z.int().check(z.meta({ description: 'Position of the item in the request' })),
    status: z.int().check(z.meta({ description: 'The status the single-record call would have answered (201, 200, 400, 404, 409, 412, …)' })),
    id: z.optional(z.string()),
    body: z.optional(z.unknown().check(z.meta({ description: 'The record, as the single-record call returns it (2xx)' }))),
    problem: z.optional(Problem()),
    replayed: z.optional(z.boolean().check(z.meta({ description: 'The result of an earlier attempt with the same idempotency key' }))),
  })),
  succeeded: z.int(),
  failed: z.int(),
}).check(z.meta({ id: 'BatchResult', description: '207 Multi-Status: one result per item, in request order.' })));

export const CustomerBatch = once(() => batchOf('cus', 'CustomerBatch'));
export const ContactBatch = once(() => batchOf('con', 'ContactBatch', { customerId: z.optional(Id('cus').check(z.meta({ description: 'op create: the customer of the new contact' }))) }));
export const LeadBatch = once(() => batchOf('led', 'LeadBatch'));
