/**
 * Links from an activity to other records, one entry per kind. Each kind says how the database
 * proves the linked record belongs to the activity's customer, as a condition checked in the same
 * transaction that writes the activity (no extra read, no race). Adding a kind (a quote, a
 * contract) is one schema line (schemas/activities.ts) and one entry here.
 */
import { keys } from '../data/keys';
import type { Condition } from '../data/transaction';
import type { ActivityLinks } from './model';

export interface LinkKind {
  /** Key and condition proving `id` is a record of `customerId`; undefined = format check only. */
  belongsTo?: (customerId: string, id: string) => { key: Record<string, string>; condition: Condition };
}

export const LINK_KINDS: Record<keyof ActivityLinks, LinkKind> = {
  contactId: {
    belongsTo: (customerId, id) => ({
      key: keys.contact.primary(id),
      condition: { expression: 'attribute_exists(pk) AND customerId = :cus', values: { ':cus': customerId } },
    }),
  },
  // A deal of the same customer (a deal of another customer, or another rep's, is "no such record").
  dealId: {
    belongsTo: (customerId, id) => ({
      key: keys.deal.primary(id),
      condition: { expression: 'attribute_exists(pk) AND customerId = :cus', values: { ':cus': customerId } },
    }),
  },
  // Tickets have no records yet (their feature comes later); until it registers a check here,
  // their ids are validated by format only.
  ticketId: {},
};
