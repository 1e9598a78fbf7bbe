/**
 * Unsubscribe tokens: the campaign and the recipient's ledger entry, sealed with the cursor
 * machinery (functions/data/cursor.ts: AES-256-GCM under a key derived from the cursor secret,
 * bound to its own purpose string), so a token can be neither read nor forged nor changed, and a
 * cursor can never pass as a token or the other way round. A token verifies with the current and
 * the previous secret, like a cursor: links survive one rotation of the cursor secret
 * (docs/marketing.md, "Unsubscribe links and key rotation").
 */
import { createHash } from 'node:crypto';
import { config } from '../config';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { normalizeEmail } from '../data/keys';
import { BadRequest, HttpError } from '../http/problem';
import { senderAddress } from '../notifications/email';

const PURPOSE = 'crm-unsubscribe/v1';

/** The ledger key of an address: a hash, so keys, indexes and tokens never hold the address itself. */
export function addressHash(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('base64url').slice(0, 32);
}

export interface UnsubscribeRef {
  campaignId: string;
  addressHash: string;
}

export async function unsubscribeToken(ref: UnsubscribeRef): Promise<string> {
  return (await encodeCursor({ k: ref.campaignId, r: ref.addressHash }, PURPOSE))!;
}

/** The token's reference, or a 400 naming `query.token` for anything we did not seal. */
export async function readUnsubscribeToken(token: string): Promise<UnsubscribeRef> {
  const invalid = () => BadRequest('This unsubscribe link is not valid (changed, cut or too old). Use the link of a newer email, or reply to it with "unsubscribe"', [{ path: 'query.token', message: 'Invalid token' }]);
  let payload: Record<string, unknown> | undefined;
  try {
    payload = await decodeCursor(token, PURPOSE);
  } catch (err) {
    if (err instanceof HttpError && err.status === 400) throw invalid();
    throw err;
  }
  if (typeof payload?.k !== 'string' || typeof payload.r !== 'string') throw invalid();
  return { campaignId: payload.k, addressHash: payload.r };
}

/** The public base of the unsubscribe link: PUBLIC_API_URL, else the app's base URL (locally the gateway). */
export function unsubscribeUrl(token: string): string {
  const base = (process.env.PUBLIC_API_URL || config().appBaseUrl).replace(/\/+$/, '');
  return `${base}/v1/unsubscribe?token=${token}`;
}

/** The mailto alternative of List-Unsubscribe: UNSUBSCRIBE_MAILTO, else unsubscribe@<sender's domain>. */
export function unsubscribeMailto(token: string): string {
  const address = process.env.UNSUBSCRIBE_MAILTO || `unsubscribe@${senderAddress().split('@')[1]}`;
  return `mailto:${address}?subject=unsubscribe%20${token}`;
}
