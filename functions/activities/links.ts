/**
 * Links from an activity to other records, one entry per kind. Each kind says how the database
 * proves the linked record belongs to the activity's customer, as a condition checked in the same
 * transaction that writes the activity (no extra read, no race). Adding a kind (a quote, a
 * contract) is one schema line (schemas/activities.ts) and one entry here.
 */
import { keys } from '../data/keys';
import type { Condition } from '../data/transaction';
import type { Action } from '../security/permissions';
import { NO_SUCH_ID } from '../security/principal';
import type { ActivityLinks } from './model';

export interface LinkKind {
  /**
   * Key and condition proving `id` is a record of `customerId` that the caller may read;
   * undefined = format check only. `ownedBy`: the caller's id when their read scope of the kind
   * is `own` (the record must be theirs), else undefined.
   */
  belongsTo?: (customerId: string, id: string, ownedBy?: string) => { key: Record<string, string>; condition: Condition };
  /** The permission reading a linked record takes (its row-level scope decides `ownedBy`). */
  readAction?: Action;
}

export const LINK_KINDS: Record<keyof ActivityLinks, LinkKind> = {
  contactId: {
    belongsTo: (customerId, id) => ({
      key: keys.contact.primary(id),
      condition: { expression: 'attribute_exists(pk) AND customerId = :cus', values: { ':cus': customerId } },
    }),
  },
  // A deal of the same customer that the caller may read: a deal of another customer, or for a
  // sales rep another rep's deal, is "no such record" — linking cannot confirm a hidden deal exists.
  dealId: {
    readAction: 'deals:read',
    belongsTo: (customerId, id, ownedBy) => ({
      key: keys.deal.primary(id),
      condition: ownedBy === undefined
        ? { expression: 'attribute_exists(pk) AND customerId = :cus', values: { ':cus': customerId } }
        : { expression: 'attribute_exists(pk) AND customerId = :cus AND ownerId = :me', values: { ':cus': customerId, ':me': ownedBy } },
    }),
  },
  // A ticket of the same customer that the caller may read (tickets:read; for a sales rep, tickets
  // of customers they own, which the customer check of the activity already proves).
  ticketId: {
    readAction: 'tickets:read',
    belongsTo: (customerId, id, ownedBy) => ({
      key: keys.ticket.primary(id),
      // A caller who may not read tickets at all gets the answer for a ticket that does not exist.
      condition: ownedBy === NO_SUCH_ID
        ? { expression: 'attribute_exists(pk) AND attribute_not_exists(pk)' }
        : { expression: 'attribute_exists(pk) AND customerId = :cus', values: { ':cus': customerId } },
    }),
  },
};
