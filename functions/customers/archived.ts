/**
 * The one answer to a write that depends on an archived customer (a contact, activity, asset,
 * task, deal, quote or order for it): 409 naming the customer and how to restore it. Callers use it
 * only after the caller passed the customer's read check — to anyone else the customer stays a
 * 404 / "no such customer", so the message never reveals a record the caller may not see.
 *
 * The read before the write gives the clear message; the write itself carries `LIVE_CUSTOMER` as a
 * condition on the customer item in its transaction, so an archive that lands between the read and
 * the commit still stops it (the service maps that failed condition to the same 409).
 */
import { Conflict, type HttpError } from '../http/problem';
import { canAccess, type Principal } from '../security/principal';

export const customerArchived = (customerId: string): HttpError =>
  Conflict(`Customer ${customerId} is archived; restore it with POST /v1/customers/${customerId}/restore`);

/** Condition on the customer profile item: it exists and is not archived. */
export const LIVE_CUSTOMER = { expression: 'attribute_exists(pk) AND attribute_not_exists(archivedAt)' } as const;

/** Whether a failed condition's old item (ALL_OLD) shows the customer archived. */
export const wasArchived = (old: Record<string, unknown> | undefined): boolean => !!old?.archivedAt;

/**
 * The answer when a write reached the customer through another record (a quote through its deal)
 * and the customer's condition failed: "archived, restore it" to a caller who may read the
 * customer; to anyone else only that the customer takes no new business, without naming why.
 */
export function archivedFor(principal: Principal, customerId: string, old: Record<string, unknown> | undefined): HttpError {
  if (!old) return Conflict('The customer of this record no longer exists');
  if (canAccess(principal, 'customers:read', old.ownerId as string | undefined)) return customerArchived(customerId);
  return Conflict('The customer of this record accepts no new business right now; ask the customer\'s owner or an admin');
}
