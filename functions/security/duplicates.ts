/**
 * What a duplicate answer may tell. A 409 on an email or phone that another record already holds
 * says which record holds it — and with that, whose address it is. So the holder is named
 * (`existingId`, its kind) only to a caller who may read that record AND see its personal data in
 * clear: a marketing user sees every email masked, and learning that an address belongs to a
 * given customer or lead would unmask it. Anyone else gets the same 409 without the id or the
 * kind: a record they cannot see holds the value, and whom to ask. That a value is taken cannot
 * be hidden while the database enforces uniqueness (docs/conventions.md, "Duplicates").
 */
import { HttpError } from '../http/problem';
import type { Action } from './permissions';
import { canAccess, type Principal } from './principal';

export interface DuplicateHolder {
  kind: 'customer' | 'lead';
  id: string;
  ownerId: string | undefined;
}

const READ: Record<DuplicateHolder['kind'], Action> = { customer: 'customers:read', lead: 'leads:read' };
const WHAT: Record<DuplicateHolder['kind'], string> = { customer: 'A live customer', lead: 'An open lead' };

/** Whether the caller may be told which record holds the value. */
export function mayNameHolder(principal: Principal, holder: DuplicateHolder): boolean {
  return canAccess(principal, READ[holder.kind], holder.ownerId) && canAccess(principal, 'pii:read', holder.ownerId);
}

/**
 * The 409 `duplicate` for a value `holder` already has (undefined: the holder could not be read,
 * e.g. it changed meanwhile — answered like a hidden one). `hint` is appended when the holder is
 * named (what to do with it, e.g. "convert with customerId to link it").
 */
export function duplicateConflict(principal: Principal, field: 'email' | 'phone', holder: DuplicateHolder | undefined, hint?: string): HttpError {
  if (holder && mayNameHolder(principal, holder)) {
    return new HttpError(409, 'duplicate', 'Duplicate', `${WHAT[holder.kind]} with this ${field} already exists (${holder.id})${hint ? `; ${hint}` : ''}`, { existingId: holder.id });
  }
  return new HttpError(
    409,
    'duplicate',
    'Duplicate',
    `A record that you cannot see already has this ${field}, so it cannot be used again; ask a manager or an admin, who see every record, to find it and resolve the duplicate`,
  );
}
