/**
 * Survey link tokens: the ticket id and an expiry, sealed exactly like unsubscribe tokens
 * (functions/marketing/token.ts → functions/data/cursor.ts: AES-256-GCM under a key derived from
 * the cursor secret, bound to its own purpose string), so a token can be neither read, forged nor
 * changed, and neither a cursor nor an unsubscribe token passes as one. The rating is not in the
 * token: the five links of an email share one token and differ in `rating=`. Verifying needs no
 * database request, so a forged or changed token costs nothing but the decryption.
 */
import { openSealedLink, sealLink } from '../data/cursor';
import { BadRequest } from '../http/problem';

const PURPOSE = 'crm-csat/v1';

/** How long a survey link works after the email was sent. */
export const CSAT_LINK_DAYS = 30;

export async function csatToken(ticketId: string, expiresAt: Date): Promise<string> {
  return sealLink({ t: ticketId, e: Math.floor(expiresAt.getTime() / 1000) }, PURPOSE);
}

/**
 * The ticket a token names, or a 400 naming `query.token`: for anything we did not seal (changed,
 * cut, another purpose) and, with its own message, for a token past its expiry.
 */
export async function readCsatToken(token: string, now: Date): Promise<{ ticketId: string; expiresAt: Date }> {
  const invalid = () => BadRequest('This survey link is not valid (changed or cut). Use the link in the email exactly as it came', [{ path: 'query.token', message: 'Invalid token' }]);
  const payload = await openSealedLink(token, PURPOSE);
  if (typeof payload?.t !== 'string' || typeof payload.e !== 'number') throw invalid();
  const expiresAt = new Date(payload.e * 1000);
  if (expiresAt.getTime() <= now.getTime()) {
    throw BadRequest(`This survey link expired on ${expiresAt.toISOString().slice(0, 10)}; thank you all the same`, [{ path: 'query.token', message: 'Expired token' }]);
  }
  return { ticketId: payload.t, expiresAt };
}

/** The public base of survey links: PUBLIC_API_URL, else the app's base URL (locally the gateway). */
export function csatUrl(base: string, token: string, rating?: number): string {
  return `${base.replace(/\/+$/, '')}/v1/csat?token=${token}${rating ? `&rating=${rating}` : ''}`;
}
