/**
 * Unsubscribe tokens: the campaign and the recipient's ledger entry, sealed with the cursor
 * machinery (functions/data/cursor.ts: AES-256-GCM under a key derived from the cursor secret,
 * bound to its own purpose string), so a token can be neither read nor forged nor changed, and a
 * cursor can never pass as a token or the other way round. A token verifies with the current and
 * the previous secret, like a cursor: links survive one rotation of the cursor secret
 * (docs/marketing.md, "Unsubscribe links and key rotation").
 */
import { config } from '../config';
import { openSealedLink, sealLink } from '../data/cursor';
import { BadRequest } from '../http/problem';
import { senderAddress } from '../notifications/email';

const PURPOSE = 'crm-unsubscribe/v1';

/** The ledger key of an address: a hash, so keys, indexes and tokens never hold the address itself. */
export { addressHash } from './address-hash';

export interface UnsubscribeRef {
  campaignId: string;
  addressHash: string;
}

export async function unsubscribeToken(ref: UnsubscribeRef): Promise<string> {
  return sealLink({ k: ref.campaignId, r: ref.addressHash }, PURPOSE);
}

/** The token's reference, or a 400 naming `query.token` for anything we did not seal. */
export async function readUnsubscribeToken(token: string): Promise<UnsubscribeRef> {
  const invalid = () => BadRequest('This unsubscribe link is not valid (changed, cut or too old). Use the link of a newer email, or reply to it with "unsubscribe"', [{ path: 'query.token', message: 'Invalid token' }]);
  const payload = await openSealedLink(token, PURPOSE);
  if (typeof payload?.k !== 'string' || typeof payload.r !== 'string') throw invalid();
  return { campaignId: payload.k, addressHash: payload.r };
}

/** The public base of links in emails: PUBLIC_API_URL, else the app's base URL (locally the gateway). */
export function publicApiBase(): string {
  return (process.env.PUBLIC_API_URL || config().appBaseUrl).replace(/\/+$/, '');
}

export function unsubscribeUrl(token: string): string {
  return `${publicApiBase()}/v1/unsubscribe?token=${token}`;
}

// ---- double opt-in confirmation (functions/marketing/signup.ts) -------------------------------

const SIGNUP_PURPOSE = 'crm-signup-confirm/v1';

export interface SignupRef {
  leadId: string;
  addressHash: string;
  /** Epoch seconds after which the link no longer confirms. */
  expiresAt: number;
}

/** The sealed confirmation token of a sign-up: same sealing as the unsubscribe token, its own purpose. */
export async function signupToken(ref: SignupRef): Promise<string> {
  return sealLink({ l: ref.leadId, r: ref.addressHash, e: ref.expiresAt }, SIGNUP_PURPOSE);
}

/** The token's reference, or undefined for anything we did not seal for this purpose (changed, cut, a cursor, an unsubscribe token). */
export async function readSignupToken(token: string): Promise<SignupRef | undefined> {
  const payload = await openSealedLink(token, SIGNUP_PURPOSE);
  if (typeof payload?.l !== 'string' || typeof payload.r !== 'string' || typeof payload.e !== 'number') return undefined;
  return { leadId: payload.l, addressHash: payload.r, expiresAt: payload.e };
}

export const signupConfirmUrl = (token: string) => `${publicApiBase()}/v1/signup/confirm?token=${token}`;

/** The mailto alternative of List-Unsubscribe: UNSUBSCRIBE_MAILTO, else unsubscribe@<sender's domain>. */
export function unsubscribeMailto(token: string): string {
  const address = process.env.UNSUBSCRIBE_MAILTO || `unsubscribe@${senderAddress().split('@')[1]}`;
  return `mailto:${address}?subject=unsubscribe%20${token}`;
}
