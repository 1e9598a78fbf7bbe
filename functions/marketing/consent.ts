/**
 * Consent per contact and channel, with its history, and the address-level suppression list.
 *
 * Consent (`CONSENT#<contactId>` / `#<channel>`) is the contact's decision: opted in, opted out, or
 * unknown (never recorded — no item). Each change writes the new state and one history entry in
 * one transaction, conditioned on the version read (If-Match, or a retry on a concurrent change).
 * Suppression (`SUPP#<address>`) is about an address whoever holds it: bounces, complaints,
 * unsubscribes and manual entries. The send job checks both for every recipient right before
 * sending (functions/marketing/send.ts); an opted-out contact or a suppressed address gets nothing.
 */
import { keys, newId, normalizeEmail } from '../data/keys';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { batchGetItems } from '../jobs/batch-get';
import { withoutKeys } from '../data/records';
import { Conflict, NotFound, PreconditionFailed } from '../http/problem';
import { maskEmail } from '../security/masking';
import { canAccess, type Principal } from '../security/principal';
import type { Action } from '../security/permissions';
import { consentAudit, suppressionAudit } from './audit';
import { getContact, getItem, queryPage, type ContactRecord, type Stored } from './store';

export type Channel = 'email' | 'sms';
export type ConsentStatus = 'opted_in' | 'opted_out' | 'unknown';
/**
 * What a consent item may hold: a decision, or `pending` — a sign-up waiting for its double
 * opt-in confirmation (functions/marketing/signup.ts), which only ever sits on a lead's consent
 * and counts as no consent at all.
 */
export type StoredConsentStatus = Exclude<ConsentStatus, 'unknown'> | 'pending';
export const CHANNELS: readonly Channel[] = ['email', 'sms'];

export interface ConsentItem {
  contactId: string;
  channel: Channel;
  status: StoredConsentStatus;
  source: string;
  at: string;
  by: string;
  version: number;
}

export interface SuppressionItem {
  email: string;
  reason: 'bounce' | 'complaint' | 'unsubscribe' | 'manual';
  at: string;
  by?: string;
  campaignId?: string;
}

const toChannel = (channel: Channel, item: ConsentItem | undefined) => item
  ? { channel, status: item.status, source: item.source, at: item.at, by: item.by, version: item.version }
  : { channel, status: 'unknown' as const, version: 0 };

/** The contact, if the caller may act on it with `action` (404 otherwise, as for a missing one). */
async function visibleContact(principal: Principal, action: Action, contactId: string): Promise<ContactRecord> {
  const contact = await getContact(contactId);
  if (!contact || !canAccess(principal, action, contact.ownerId)) throw NotFound('No such contact');
  return contact;
}

export async function getConsent(principal: Principal, contactId: string) {
  await visibleContact(principal, 'consent:read', contactId);
  const page = await queryPage({ partition: keys.consent.partition(contactId), prefix: keys.consent.currentPrefix, limit: 10, consistent: true });
  const byChannel = new Map(page.items.map((i) => withoutKeys<ConsentItem>(i)).map((c) => [c.channel, c]));
  return { contactId, channels: CHANNELS.map((c) => toChannel(c, byChannel.get(c))) };
}

/** The consent items of many contacts for one channel (BatchGet; consistent: the send job's check). */
export async function consentOf(contactIds: readonly string[], channel: Channel): Promise<Map<string, ConsentStatus>> {
  const found = new Map<string, ConsentStatus>();
  for (const item of await batchGetItems(contactIds.map((id) => keys.consent.primary(id, channel)), { consistent: true })) {
    const consent = withoutKeys<ConsentItem>(item);
    found.set(consent.contactId, consent.status === 'pending' ? 'unknown' : consent.status);
  }
  return found;
}

/** The consent change as transaction items: the new state and its history entry. */
export function consentWrite(tx: Transaction, input: { contactId: string; channel: Channel; from: ConsentStatus | 'pending'; to: StoredConsentStatus; source: string; note?: string; by: string; at: string; expectedVersion?: number }): ConsentItem {
  const version = (input.expectedVersion ?? 0) + 1;
  const item: ConsentItem = { contactId: input.contactId, channel: input.channel, status: input.to, source: input.source, at: input.at, by: input.by, version };
  tx.put('consent', { ...keys.consent.primary(input.contactId, input.channel), kind: 'consent', ...item }, input.expectedVersion === undefined
    ? undefined
    : input.expectedVersion === 0 ? { expression: 'attribute_not_exists(pk)' } : { expression: 'version = :v', values: { ':v': input.expectedVersion } });
  const id = newId('cns');
  tx.put('consent-history', {
    ...keys.consent.history(input.contactId, input.at, id), kind: 'consent-change',
    id, channel: input.channel, from: input.from, to: input.to, source: input.source, ...(input.note ? { note: input.note } : {}), at: input.at, by: input.by,
  });
  tx.put('consent-audit', consentAudit({ ...input, version }));
  return item;
}

export async function setConsent(
  principal: Principal,
  contactId: string,
  channel: Channel,
  body: { status: 'opted_in' | 'opted_out'; source: string; note?: string },
  expectedVersion: number | undefined,
  now: Date,
) {
  await visibleContact(principal, 'consent:write', contactId);
  for (let attempt = 1; ; attempt++) {
    const current = await getItem<ConsentItem>(keys.consent.primary(contactId, channel));
    const version = current?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== version) throw PreconditionFailed();
    // Recording the same decision again changes nothing (a retried request, a second form post).
    if (current?.status === body.status) return toChannel(channel, current);
    const tx = new Transaction();
    const item = consentWrite(tx, {
      contactId, channel, from: current?.status ?? 'unknown', to: body.status, source: body.source, note: body.note,
      by: principal.userId, at: now.toISOString(), expectedVersion: version,
    });
    try {
      await tx.commit();
      return toChannel(channel, item);
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.includes('consent')) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt >= 3) throw Conflict('The consent is being changed by someone else right now; retry');
    }
  }
}

export async function consentHistory(principal: Principal, contactId: string, query: { limit?: number; cursor?: string }) {
  await visibleContact(principal, 'consent:read', contactId);
  const fingerprint = JSON.stringify(['consent-history', contactId]);
  const startKey = await decodeCursor(query.cursor, fingerprint);
  const page = await queryPage({ partition: keys.consent.partition(contactId), prefix: keys.consent.historyPrefix, limit: query.limit ?? 25, startKey, descending: true });
  const items = page.items.map((i) => {
    const { contactId: _c, ...change } = withoutKeys<Stored>(i);
    return change;
  });
  return { items, nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

// ---- suppression -----------------------------------------------------------------------------

/** An address masked for a reader without pii:read. */
export const maskedAddress = (email: string): string => String(maskEmail(email));

export function suppressionItem(s: SuppressionItem): Stored {
  return { ...keys.suppression.primary(s.email), ...keys.suppression.list(s.at, s.email), kind: 'suppression', ...s, email: normalizeEmail(s.email) };
}

/** Puts the suppression unless the address is already suppressed (the first reason stays), with its audit entry. */
export function suppressionWrite(tx: Transaction, s: SuppressionItem): void {
  tx.put('suppression-audit', suppressionAudit(s));
  tx.update('suppression', keys.suppression.primary(s.email), {
    expression: 'SET #kind = if_not_exists(#kind, :kind), email = if_not_exists(email, :email), reason = if_not_exists(reason, :reason), #at = if_not_exists(#at, :at), gsi1pk = if_not_exists(gsi1pk, :gpk), gsi1sk = if_not_exists(gsi1sk, :gsk)'
      + `${s.by ? ', #by = if_not_exists(#by, :by)' : ''}${s.campaignId ? ', campaignId = if_not_exists(campaignId, :cmp)' : ''}`,
    names: { '#kind': 'kind', '#at': 'at', ...(s.by ? { '#by': 'by' } : {}) },
    values: {
      ':kind': 'suppression', ':email': normalizeEmail(s.email), ':reason': s.reason, ':at': s.at,
      ':gpk': keys.suppression.list(s.at, s.email).gsi1pk, ':gsk': keys.suppression.list(s.at, s.email).gsi1sk,
      ...(s.by ? { ':by': s.by } : {}), ...(s.campaignId ? { ':cmp': s.campaignId } : {}),
    },
  });
}

const showSuppression = (principal: Principal, s: SuppressionItem) => {
  const { email, reason, at, by, campaignId } = s;
  const out = { email, reason, at, ...(by ? { by } : {}), ...(campaignId ? { campaignId } : {}) };
  return canAccess(principal, 'pii:read', undefined) ? out : { ...out, email: maskedAddress(email), masked: ['email'] };
};

export async function addSuppression(principal: Principal, email: string, now: Date) {
  const tx = new Transaction();
  suppressionWrite(tx, { email, reason: 'manual', at: now.toISOString(), by: principal.userId });
  await tx.commit();
  return showSuppression(principal, (await getItem<SuppressionItem>(keys.suppression.primary(email)))!);
}

export async function listSuppressions(principal: Principal, query: { limit?: number; cursor?: string }) {
  const fingerprint = JSON.stringify(['suppressions']);
  const startKey = await decodeCursor(query.cursor, fingerprint);
  const page = await queryPage({ index: 'gsi1', partition: keys.suppression.listPartition, limit: query.limit ?? 25, startKey, descending: true });
  return { items: page.items.map((i) => showSuppression(principal, withoutKeys<SuppressionItem>(i))), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** Which of these addresses are suppressed (BatchGet, consistent: the send job's check). */
export async function suppressedAmong(addresses: readonly string[]): Promise<Set<string>> {
  const items = await batchGetItems(addresses.map((a) => keys.suppression.primary(a)), { consistent: true });
  return new Set(items.map((i) => String(i.email)));
}

/** The user id the public sign-up form acts as (functions/marketing/signup.ts): its leads' creator. */
export const SIGNUP_USER_ID = 'signup-form';
