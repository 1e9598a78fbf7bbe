/**
 * What the `customer` role (a customer's contact in the self-service portal) may see: the
 * row-level rule — a record is theirs exactly when its `customerId` is the customer named in their
 * token — and the field-level rule — an allow-list per entity of the fields a portal answer may
 * carry. An allow-list rather than a list of internal fields: a field added to tickets later (an
 * SLA detail, a staff id) stays out of the portal until someone decides it belongs there.
 *
 * The customer comes from the token only (functions/security/principal.ts: the portal pool's
 * trigger resolved it from the contact), never from a path, query or body.
 */
import { Forbidden, NotFound } from '../http/problem';
import type { Action } from './permissions';
import { type Principal, scopeFor } from './principal';

export interface PortalCaller {
  userId: string;
  customerId: string;
  contactId: string;
}

/** The portal caller's customer and contact; 403 for anyone else (staff, API keys, an unlinked token). */
export function portalCaller(principal: Principal): PortalCaller {
  if (principal.role !== 'customer' || !principal.customerId || !principal.contactId) {
    throw Forbidden('Only a customer\'s contact signed in to the self-service portal may use the portal');
  }
  return { userId: principal.userId, customerId: principal.customerId, contactId: principal.contactId };
}

/** The row-level rule of the portal: the caller holds the action and the record is their customer's. */
export function isOwnCustomerRecord(principal: Principal, action: Action, record: { customerId?: string } | undefined): boolean {
  if (!record || scopeFor(principal, action) !== 'own') return false;
  return principal.role === 'customer' && principal.customerId !== undefined && record.customerId === principal.customerId;
}

/**
 * 404 unless the record is the caller's customer's — exactly like a record that does not exist, so
 * a portal user cannot probe other customers' ids.
 */
export function assertOwnCustomerRecord<T extends { customerId?: string }>(principal: Principal, action: Action, record: T | undefined, what: string): T {
  if (!record || !isOwnCustomerRecord(principal, action, record)) throw NotFound(`No such ${what}`);
  return record;
}

/** The fields a portal answer may carry, per entity. */
export const PORTAL_FIELDS = {
  ticket: ['id', 'subject', 'description', 'channel', 'category', 'priority', 'status', 'contactId', 'resolution', 'resolvedAt', 'closedAt', 'createdAt', 'updatedAt'],
  message: ['id', 'ticketId', 'from', 'body', 'createdAt'],
  article: ['id', 'title', 'body', 'bodyHtml', 'category', 'tags', 'publishedAt', 'updatedAt'],
  articleSummary: ['id', 'title', 'category', 'tags', 'publishedAt', 'updatedAt'],
} as const;

export type PortalEntity = keyof typeof PORTAL_FIELDS;
type FieldOf<E extends PortalEntity> = (typeof PORTAL_FIELDS)[E][number];

/** The record reduced to the entity's portal fields (absent ones stay absent). */
export function portalView<E extends PortalEntity, R extends object>(entity: E, record: R): Pick<R, Extract<keyof R, FieldOf<E>>> {
  const out: Record<string, unknown> = {};
  const source = record as Record<string, unknown>;
  for (const field of PORTAL_FIELDS[entity]) {
    if (source[field] !== undefined) out[field] = source[field];
  }
  return out as Pick<R, Extract<keyof R, FieldOf<E>>>;
}

/** Internal notes never reach a customer, whatever else is decided. */
export function isPublicMessage(message: { visibility: string }): boolean {
  return message.visibility === 'public';
}
