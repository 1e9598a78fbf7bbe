/**
 * The public unsubscribe endpoint (no login): `GET /v1/unsubscribe?token=…` shows a small
 * confirmation page with one button; `POST` with the same URL unsubscribes — the one-click POST a
 * mailbox provider sends for `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058: body
 * `List-Unsubscribe=One-Click`, no cookies, no login), or the page's button. GET never changes
 * anything: link scanners and prefetchers follow GET links.
 *
 * Unsubscribing writes, in one transaction: the recipient's `unsubscribedAt` (conditioned on not
 * being set, which makes a repeat a no-op), the campaign's `unsubscribed` counter, the address on
 * the suppression list (reason `unsubscribe`) and the contact's email consent `opted_out` with its
 * history entry. A token that was changed, cut or sealed for something else is a 400.
 */
import { keys } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { NotFound } from '../http/problem';
import { escapeHtml } from '../notifications/email';
import { type RecipientItem, statsShard } from './campaigns';
import { type ConsentItem, consentWrite, maskedAddress, suppressionWrite } from './consent';
import { getItem } from './store';
import { readUnsubscribeToken } from './token';

/** Who unsubscribed, in consent history entries made through the link (no user is logged in). */
export const UNSUBSCRIBE_ACTOR = 'unsubscribe-link';

async function recipientOf(token: string): Promise<RecipientItem> {
  const ref = await readUnsubscribeToken(token);
  const recipient = await getItem<RecipientItem>(keys.campaign.recipient(ref.campaignId, ref.addressHash));
  if (!recipient) throw NotFound('This unsubscribe link belongs to no email we sent');
  return recipient;
}

/** Unsubscribes the token's address; `changed: false` when it had already been done. */
export async function unsubscribe(token: string, now: Date): Promise<{ changed: boolean; email: string }> {
  const r = await recipientOf(token);
  const at = now.toISOString();
  for (let attempt = 1; ; attempt++) {
    if (r.unsubscribedAt) return { changed: false, email: r.email };
    const consent = await getItem<ConsentItem>(keys.consent.primary(r.contactId, 'email'));
    const tx = new Transaction();
    tx.update('recipient', keys.campaign.recipient(r.campaignId, r.addressHash), { expression: 'SET unsubscribedAt = :at', values: { ':at': at } }, { expression: 'attribute_exists(pk) AND attribute_not_exists(unsubscribedAt)' });
    tx.update('stats', keys.campaign.stats(r.campaignId, statsShard(r.addressHash)), { expression: 'SET #kind = :kind ADD unsubscribed :one', names: { '#kind': 'kind' }, values: { ':kind': 'campaign-stats', ':one': 1 } });
    suppressionWrite(tx, { email: r.email, reason: 'unsubscribe', at, campaignId: r.campaignId });
    if (consent?.status !== 'opted_out') {
      consentWrite(tx, { contactId: r.contactId, channel: 'email', from: consent?.status ?? 'unknown', to: 'opted_out', source: 'unsubscribe_link', by: UNSUBSCRIBE_ACTOR, at, expectedVersion: consent?.version ?? 0 });
    }
    try {
      await tx.commit();
      return { changed: true, email: r.email };
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      // Unsubscribed meanwhile (a double click, the provider's POST and the user's): done.
      if (err.labels.includes('recipient')) return { changed: false, email: r.email };
      // The consent changed between the read and the write: read it again.
      if (attempt >= 3) throw err;
    }
  }
}

const PAGE_STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}';

/** Headers of the pages: no script, no framing, no caching of a page that names an address. */
export const PAGE_HEADERS = {
  'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'`,
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

/** The GET page: the masked address and one button that POSTs to the same URL. */
export async function confirmationPage(token: string): Promise<string> {
  const r = await recipientOf(token);
  const address = escapeHtml(maskedAddress(r.email));
  if (r.unsubscribedAt) return page('You are unsubscribed', `<p>${address} receives no more marketing email from us.</p>`);
  return page('Unsubscribe?', `<p>Stop marketing email to ${address}?</p><form method="post" action="/v1/unsubscribe?token=${escapeHtml(encodeURIComponent(token))}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`);
}

export function donePage(email: string): string {
  return page('You are unsubscribed', `<p>${escapeHtml(maskedAddress(email))} receives no more marketing email from us. It may take a moment for a campaign that is being sent right now to notice.</p>`);
}
