/**
 * The public sign-up form (no login) with double opt-in (C6).
 *
 * `POST /v1/signup` — rate-limited per client IP and per address (rate-limit.ts: DynamoDB
 * counters with TTL, 429 + Retry-After) — creates, in ONE transaction, a lead (source `web`, the
 * form's campaign for attribution) and its email consent `pending` (source `form`), then emails a
 * confirmation link. The link carries a sealed token (token.ts: the unsubscribe token's sealing,
 * its own purpose, an expiry): it names the lead and a hash of the address, never the address.
 *
 * The answer is the same 202 whatever the address is: a new lead, an open lead that already
 * signed up (its confirmation is sent again while still pending), a lead that already confirmed or
 * a customer's address (nothing is created or sent) — the form tells nobody who is in the CRM.
 *
 * `GET /v1/signup/confirm?token=…` shows a page with one button and changes nothing (mail
 * scanners follow GET links); `POST` with the same URL confirms: pending → opted_in (source
 * `form`, the time of the click), conditioned on the version read, with its history entry. A
 * repeat finds opted_in and changes nothing. A lead converted meanwhile passes the opt-in on to
 * its contact in the same transaction; a lead converted after confirming carries it over at
 * conversion (functions/leads/service.ts). A changed, cut or expired token answers a 400 problem (functions/signup/handler.ts).
 */
import { keys, newId, normalizeEmail } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import * as leadRepo from '../leads/repository';
import type { LeadItem } from '../leads/model';
import { leadAudit } from '../leads/service';
import { escapeHtml, sendEmail } from '../notifications/email';
import type { Principal } from '../security/principal';
import { assertCampaignExists } from './attribution';
import { type ConsentItem, consentWrite, maskedAddress, SIGNUP_USER_ID } from './consent';
import { take, type RateLimit } from './rate-limit';
import { getItem } from './store';
import { addressHash, readSignupToken, signupConfirmUrl, signupToken } from './token';
import { createHash } from 'node:crypto';

/** Who acts in the sign-up's audit and consent entries (nobody is logged in). */
export const SIGNUP_ACTOR: Principal = { userId: SIGNUP_USER_ID, role: 'admin', groups: [] };

/** Per client IP: 20 sign-ups in 10 minutes (a shared office NAT still fits). */
export const IP_LIMIT: RateLimit = { name: 'signup-ip', max: 20, windowSeconds: 600 };
/** Per address: 3 sign-ups an hour — a retry or two, never a mail bomb through our sender. */
export const ADDRESS_LIMIT: RateLimit = { name: 'signup-address', max: 3, windowSeconds: 3600 };
/** How long a confirmation link confirms. */
export const CONFIRM_TTL_SECONDS = 7 * 24 * 3600;

export interface SignupInput {
  email: string;
  firstName?: string;
  lastName: string;
  companyName?: string;
  campaignId?: string;
}

/** The owner of sign-up leads: SIGNUP_OWNER_ID, else `unassigned` (managers and admins see those). */
const signupOwner = () => process.env.SIGNUP_OWNER_ID || 'unassigned';

export async function signUp(input: SignupInput, clientIp: string, now: Date): Promise<{ status: 'pending' }> {
  const email = normalizeEmail(input.email);
  await take(IP_LIMIT, clientIp, now);
  await take(ADDRESS_LIMIT, email, now);
  await assertCampaignExists(input.campaignId, undefined);
  const at = now.toISOString();
  const lead: LeadItem = {
    id: newId('led'),
    ...(input.firstName ? { firstName: input.firstName } : {}),
    lastName: input.lastName,
    ...(input.companyName ? { companyName: input.companyName } : {}),
    email: input.email,
    source: 'web',
    ...(input.campaignId ? { campaignId: input.campaignId } : {}),
    status: 'new',
    ownerId: signupOwner(),
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: SIGNUP_ACTOR.userId,
    updatedBy: SIGNUP_ACTOR.userId,
  };
  const tx = new Transaction();
  leadRepo.addLeadPut(tx, undefined, lead);
  leadRepo.addLeadGuards(tx, undefined, lead, true);
  tx.put('audit', leadAudit(SIGNUP_ACTOR, undefined, lead, 'created', now));
  consentWrite(tx, { contactId: lead.id, channel: 'email', from: 'unknown', to: 'pending', source: 'form', by: SIGNUP_ACTOR.userId, at, expectedVersion: 0 });
  try {
    await tx.commit();
  } catch (err) {
    if (!(err instanceof ConditionsFailed)) throw err;
    // An open lead holds the address: send its confirmation again while it is still pending.
    const holder = err.items['lead-unique:email']?.leadId;
    if (err.labels.includes('lead-unique:email') && typeof holder === 'string') {
      const existing = await leadRepo.getLead(holder);
      const consent = await getItem<ConsentItem>(keys.consent.primary(holder, 'email'));
      if (existing?.email && consent?.status === 'pending') await sendConfirmation(existing, now);
      return { status: 'pending' };
    }
    // A customer holds it (or a closed lead): nothing to create, and nothing said about it.
    if (err.labels.some((l) => l.startsWith('customer-unique:') || l.startsWith('lead-unique:'))) return { status: 'pending' };
    throw err;
  }
  await sendConfirmation(lead, now);
  return { status: 'pending' };
}

async function sendConfirmation(lead: LeadItem, now: Date): Promise<void> {
  const token = await signupToken({ leadId: lead.id, addressHash: addressHash(lead.email!), expiresAt: Math.floor(now.getTime() / 1000) + CONFIRM_TTL_SECONDS });
  const url = signupConfirmUrl(token);
  const name = lead.firstName ? ` ${lead.firstName}` : '';
  await sendEmail({
    to: lead.email!,
    subject: 'Please confirm your subscription',
    text: `Hello${name},\n\nplease confirm that you want to receive our news at this address:\n${url}\n\nIf you did not sign up, ignore this email: without a confirmation we send you nothing.\n`,
    html: `<p>Hello${escapeHtml(name)},</p><p>please confirm that you want to receive our news at this address:</p><p><a href="${escapeHtml(url)}">Confirm my subscription</a></p><p>If you did not sign up, ignore this email: without a confirmation we send you nothing.</p>`,
  });
}

// ---- confirmation ----------------------------------------------------------------------------

export type ConfirmOutcome =
  | { kind: 'invalid' }
  | { kind: 'expired' }
  | { kind: 'gone' }
  | { kind: 'ready'; email: string }
  | { kind: 'confirmed'; email: string; changed: boolean };

async function leadOf(token: string, now: Date): Promise<{ kind: 'invalid' | 'expired' | 'gone' } | { kind: 'ok'; lead: LeadItem & { email: string } }> {
  const ref = await readSignupToken(token);
  if (!ref) return { kind: 'invalid' };
  if (ref.expiresAt * 1000 < now.getTime()) return { kind: 'expired' };
  const lead = await leadRepo.getLead(ref.leadId);
  // Deleted, or its address changed since: this link no longer speaks for it.
  if (!lead?.email || addressHash(lead.email) !== ref.addressHash) return { kind: 'gone' };
  return { kind: 'ok', lead: { ...lead, email: lead.email } };
}

/** What the GET page shows (changes nothing). */
export async function confirmationState(token: string, now: Date): Promise<ConfirmOutcome> {
  const found = await leadOf(token, now);
  if (found.kind !== 'ok') return found;
  const consent = await getItem<ConsentItem>(keys.consent.primary(found.lead.id, 'email'));
  return consent?.status === 'opted_in' ? { kind: 'confirmed', email: found.lead.email, changed: false } : { kind: 'ready', email: found.lead.email };
}

/** pending → opted_in for the lead (and its contact, once converted); a repeat changes nothing. */
export async function confirm(token: string, now: Date): Promise<ConfirmOutcome> {
  const found = await leadOf(token, now);
  if (found.kind !== 'ok') return found;
  const { lead } = found;
  const at = now.toISOString();
  for (let attempt = 1; ; attempt++) {
    const consent = await getItem<ConsentItem>(keys.consent.primary(lead.id, 'email'));
    // Opted in already (a repeat), or opted out since (a later decision wins over an old link).
    if (consent && consent.status !== 'pending') return { kind: 'confirmed', email: lead.email, changed: false };
    const tx = new Transaction();
    consentWrite(tx, { contactId: lead.id, channel: 'email', from: consent?.status ?? 'unknown', to: 'opted_in', source: 'form', note: 'double opt-in confirmed', by: SIGNUP_ACTOR.userId, at, expectedVersion: consent?.version ?? 0 });
    const current = await leadRepo.getLead(lead.id);
    if (current?.convertedContactId) {
      const contactConsent = await getItem<ConsentItem>(keys.consent.primary(current.convertedContactId, 'email'));
      if (!contactConsent) {
        consentWrite(tx, { contactId: current.convertedContactId, channel: 'email', from: 'unknown', to: 'opted_in', source: 'form', note: `double opt-in of lead ${lead.id}`, by: SIGNUP_ACTOR.userId, at, expectedVersion: 0 });
      }
    }
    try {
      await tx.commit();
      return { kind: 'confirmed', email: lead.email, changed: true };
    } catch (err) {
      // A double click, or the consent changed between the read and the write: read again.
      if (!(err instanceof ConditionsFailed) || attempt >= 3) throw err;
    }
  }
}

// ---- pages -----------------------------------------------------------------------------------

const PAGE_STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}';

/**
 * Strict CSP: nothing but this page's one inline style (by its hash), no script, no images, no
 * framing, forms only to ourselves, no <base>; no caching of a page that names an address.
 */
export const SIGNUP_PAGE_HEADERS = {
  'content-security-policy': `default-src 'none'; style-src 'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

/** The page for an outcome and its status: 200, or 400 for a link that cannot confirm. */
export function confirmPage(outcome: ConfirmOutcome, token: string): { status: number; html: string } {
  switch (outcome.kind) {
    case 'invalid':
      return { status: 400, html: page('This link is not valid', '<p>The confirmation link was changed or cut. Open it from the email exactly as it arrived, or sign up again.</p>') };
    case 'expired':
      return { status: 400, html: page('This link has expired', `<p>Confirmation links work for ${CONFIRM_TTL_SECONDS / 86400} days. Please sign up again to get a new one.</p>`) };
    case 'gone':
      return { status: 404, html: page('Nothing to confirm', '<p>This sign-up no longer exists. Please sign up again.</p>') };
    case 'ready':
      return { status: 200, html: page('Confirm your subscription', `<p>Receive our news at ${escapeHtml(maskedAddress(outcome.email))}?</p><form method="post" action="/v1/signup/confirm?token=${escapeHtml(encodeURIComponent(token))}"><button type="submit">Confirm</button></form>`) };
    case 'confirmed':
      return { status: 200, html: page('Subscription confirmed', `<p>Thank you: ${escapeHtml(maskedAddress(outcome.email))} will receive our news. Every email has a link to unsubscribe.</p>`) };
  }
}

/** The client's IP as API Gateway saw it (the TCP peer; never a header the client could forge). */
export const clientIpOf = (event: { requestContext?: { http?: { sourceIp?: string } } }) => event.requestContext?.http?.sourceIp ?? 'unknown';

