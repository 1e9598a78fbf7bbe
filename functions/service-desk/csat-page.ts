/**
 * The survey link's pages (public, no login): GET shows the rating the link carries with a comment
 * form and changes nothing (link scanners and prefetchers follow GET links); the form POSTs the
 * rating. No script at all; the one stylesheet is pinned by hash in a CSP that allows nothing else
 * — no CDN, no framing, forms only to this origin. Every value is HTML-escaped.
 */
import { createHash } from 'node:crypto';
import { BadRequest, HttpError } from '../http/problem';
import { escapeHtml } from '../notifications/email';
import { MAX_COMMENT } from './csat-rating';

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}fieldset{border:0;padding:0;margin:0 0 1rem}label.r{display:inline-block;margin-right:.75rem}textarea{width:100%;box-sizing:border-box;font:inherit}button{font:inherit;padding:.5rem 1.25rem;cursor:pointer}.muted{color:#666}';
const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

let headers: Record<string, string> | undefined;

/** Headers of the pages: nothing loads but the pinned stylesheet; no framing, no caching, no referrer (the URL holds the token). */
export function csatPageHeaders(): Record<string, string> {
  headers ??= {
    'content-security-policy': `default-src 'none'; style-src ${sha256(STYLE)}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  };
  return headers;
}

const LABELS = ['', 'Very poor', 'Poor', 'Okay', 'Good', 'Excellent'] as const;

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

/** The form: the five ratings (the clicked one preselected), an optional comment, one button. */
export function ratingFormPage(token: string, subject: string, preselected: number | undefined): string {
  const radios = [1, 2, 3, 4, 5].map((n) => `<label class="r"><input type="radio" name="rating" value="${n}" required${n === preselected ? ' checked' : ''}> ${n} – ${LABELS[n]}</label>`).join('');
  return page('How did we do?', `<p>Your request “${escapeHtml(subject)}”</p>`
    + `<form method="post" action="/v1/csat?token=${escapeHtml(encodeURIComponent(token))}">`
    + `<fieldset><legend>Your rating</legend>${radios}</fieldset>`
    + `<p><label for="comment">Anything you want to tell us? (optional)</label><br><textarea id="comment" name="comment" rows="5" maxlength="${MAX_COMMENT}"></textarea></p>`
    + '<button type="submit">Send rating</button></form>');
}

export function thanksPage(rating: number, recorded: boolean): string {
  if (recorded) return page('Thank you!', `<p>Your rating: ${rating} of 5 – ${LABELS[rating]}. It helps us get better.</p>`);
  return page('Already rated', `<p>Thank you – we already have your rating for this request (${rating} of 5). A survey takes one answer; it stays as it was given.</p>`);
}

/**
 * The rating from the POST body: the page's form (`application/x-www-form-urlencoded`, fields
 * `rating` and `comment`) or the same fields as JSON for API clients. 415 for any other type, 400
 * for a rating that is not 1–5 or a comment too long.
 */
export function readRatingForm(contentType: string | undefined, body: string | undefined): { rating: number; comment?: string } {
  const type = (contentType ?? '').trim();
  let rating: unknown;
  let comment: unknown;
  if (/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    const form = new URLSearchParams(body ?? '');
    rating = form.get('rating') ?? undefined;
    comment = form.get('comment') ?? undefined;
  } else if (/^application\/json\s*(;|$)/i.test(type)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body || '{}');
    } catch {
      throw BadRequest('The body is not valid JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw BadRequest('The body must be an object with `rating` and optionally `comment`');
    ({ rating, comment } = parsed as { rating?: unknown; comment?: unknown });
  } else {
    throw new HttpError(415, 'unsupported-media-type', 'Unsupported media type', 'Send the form as application/x-www-form-urlencoded (or application/json)');
  }
  const raw = typeof rating === 'number' ? String(rating) : rating;
  if (typeof raw !== 'string' || !/^[1-5]$/.test(raw)) throw BadRequest('Choose a rating from 1 to 5', [{ path: 'body.rating', message: 'Expected 1–5' }]);
  if (comment !== undefined && comment !== null && typeof comment !== 'string') throw BadRequest('The comment must be text', [{ path: 'body.comment', message: 'Expected a string' }]);
  // Browsers send a textarea's line breaks as CRLF.
  const text = typeof comment === 'string' ? comment.replace(/\r\n?/g, '\n') : undefined;
  if (text !== undefined && text.length > MAX_COMMENT) throw BadRequest(`The comment is longer than ${MAX_COMMENT} characters`, [{ path: 'body.comment', message: `At most ${MAX_COMMENT} characters` }]);
  return { rating: Number(raw), ...(text?.trim() ? { comment: text } : {}) };
}
