/** Merging a duplicate customer into a survivor (functions/merge; docs/custom-fields.md, "Merging duplicates"). */
import * as z from './zod';
import { once } from './once';
import { Id } from './common';
import { Customer } from './customers';

/** In this order: quotes after deals (a moved deal's quotes are found through the deal). */
export const MERGED_KINDS = ['contacts', 'activities', 'assets', 'orders', 'contracts', 'tickets', 'tasks', 'deals', 'quotes'] as const;

export const MergeRequest = once(() => z.strictObject({
  duplicateId: Id('cus').check(z.meta({ description: 'The duplicate: its records move to the customer in the path (the survivor), and it is archived with `mergedInto`' })),
}).check(z.meta({ id: 'MergeRequest' })));

export const MergeResult = once(() => z.object({
  survivor: Customer(),
  duplicateId: z.string(),
  state: z.enum(['done']),
  moved: z.object({ contacts: z.int(), activities: z.int(), assets: z.int(), orders: z.int(), contracts: z.int(), tickets: z.int(), tasks: z.int(), deals: z.int(), quotes: z.int() }).check(z.meta({ description: 'How many records of each kind moved to the survivor' })),
}).check(z.meta({ id: 'MergeResult' })));
