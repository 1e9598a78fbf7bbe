/**
 * What an inbound email is, decided without AWS: parsed by postal-mime into the few fields the
 * service desk uses, judged as malformed (quarantined), automatic (loop protection: never opens a
 * ticket, never appends) or a customer's mail, and matched to a ticket by the ticket token in the
 * subject or a ticket id in In-Reply-To / References. Unit-tested (test/unit/inbound-mail.test.ts).
 */
import type { Email } from 'postal-mime';
import { normalizeEmail } from '../data/keys';
import { TICKET_TOKEN } from './messages';

/** Mail larger than this is not parsed (SES accepts up to 40 MB; a ticket needs the text only). */
export const MAX_RAW_BYTES = 10 * 1024 * 1024;
/** The longest body kept on a ticket or message (the API's own limit for messages). */
export const MAX_BODY_CHARS = 20_000;
const MAX_SUBJECT_CHARS = 200;

export interface InboundMail {
  from: { address: string; name?: string };
  subject: string;
  /** Plain text: the text part, else the HTML part reduced to text; trimmed and cut to MAX_BODY_CHARS. */
  body: string;
  messageId?: string;
  inReplyTo: string[];
  references: string[];
  /** Lower-cased header name → values (what the loop rules read). */
  headers: Map<string, string[]>;
  /** The top-level content type, lower-cased, without parameters. */
  contentType: string;
}

export type Parsed = { ok: true; mail: InboundMail } | { ok: false; reason: string };

/** Message ids in a header value: `<a@b> <c@d>` → ['<a@b>', '<c@d>']. */
export function messageIds(value: string | undefined): string[] {
  return value ? [...value.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]) : [];
}

const ADDRESS = /^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$/;

/**
 * Parses raw MIME. Malformed (→ quarantine, with a reason free of personal data): too large, no
 * header block, a parser error, or no usable From address.
 */
export async function parseMail(raw: Uint8Array): Promise<Parsed> {
  if (raw.byteLength === 0) return { ok: false, reason: 'empty object' };
  if (raw.byteLength > MAX_RAW_BYTES) return { ok: false, reason: `larger than ${MAX_RAW_BYTES} bytes` };
  // A message starts with a header field ("Name: value"); anything else is not mail.
  const head = new TextDecoder('latin1').decode(raw.subarray(0, 1000));
  if (!/^[\x21-\x39\x3b-\x7e]+:/.test(head)) return { ok: false, reason: 'no header block' };
  let email: Email;
  try {
    // Loaded on first use: the parser is not evaluated during the cold start (test/budget/bundles.test.ts).
    const { default: PostalMime } = await import('postal-mime');
    email = await PostalMime.parse(raw, { maxNestingDepth: 50, maxHeadersSize: 256 * 1024 });
  } catch {
    return { ok: false, reason: 'MIME parser error' };
  }
  const from = email.from && !email.from.group ? email.from : undefined;
  const address = from?.address?.trim();
  if (!address || !ADDRESS.test(address)) return { ok: false, reason: 'no valid From address' };
  const headers = new Map<string, string[]>();
  for (const h of email.headers) headers.set(h.key, [...(headers.get(h.key) ?? []), h.value]);
  const contentType = (headers.get('content-type')?.[0] ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
  const text = email.text?.trim() ? email.text : email.html ? htmlToText(email.html) : '';
  return {
    ok: true,
    mail: {
      from: { address: normalizeEmail(address), ...(from?.name ? { name: from.name.slice(0, 100) } : {}) },
      subject: (email.subject ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_SUBJECT_CHARS),
      body: text.replace(/\r\n/g, '\n').trim().slice(0, MAX_BODY_CHARS),
      ...(messageIds(email.messageId)[0] ? { messageId: messageIds(email.messageId)[0] } : {}),
      inReplyTo: messageIds(email.inReplyTo),
      references: messageIds(email.references),
      headers,
      contentType,
    },
  };
}

/** Just enough HTML → text for a ticket body (tags dropped, common entities and breaks kept). */
function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, '')
    .replace(/<br\s*\/?>|<\/(p|div|li|tr|h[1-6])>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n');
}

/** Addresses and domains whose mail is our own (the sender of replies, the support address). */
export interface OwnAddresses {
  addresses: readonly string[];
  /** A support *domain* (configured without a local part): every sender there is us. */
  domains: readonly string[];
}

/**
 * Why this mail must not open a ticket or append to one, or undefined for a person's mail:
 * RFC 3834 `Auto-Submitted` other than `no`, bounces and delivery/read reports (multipart/report,
 * message/delivery-status, a null or mailer-daemon sender), `Precedence: bulk|junk|list`,
 * `X-Autoreply`/`X-Autorespond`, and mail from our own addresses (our replies looping back).
 */
export function loopReason(mail: InboundMail, own: OwnAddresses): string | undefined {
  const header = (name: string) => mail.headers.get(name)?.[0]?.trim().toLowerCase();
  const autoSubmitted = header('auto-submitted');
  if (autoSubmitted && autoSubmitted.split(';')[0]!.trim() !== 'no') return 'auto-submitted';
  if (mail.contentType === 'multipart/report' || mail.contentType === 'message/delivery-status' || mail.contentType === 'message/disposition-notification') return 'delivery report';
  const returnPath = header('return-path');
  if (returnPath !== undefined && /^<\s*>$/.test(returnPath)) return 'bounce (null sender)';
  if (/^(mailer-daemon|postmaster)@/.test(mail.from.address)) return 'bounce (mailer daemon)';
  const precedence = header('precedence');
  if (precedence && ['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return `precedence ${precedence}`;
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond') || header('x-auto-response-suppress')?.includes('all')) return 'auto-reply';
  if (own.addresses.includes(mail.from.address)) return 'from our own address';
  const domain = mail.from.address.slice(mail.from.address.lastIndexOf('@') + 1);
  if (own.domains.includes(domain)) return 'from our own domain';
  return undefined;
}

const ID_TICKET = /^<(?:[^<>@]*\.)?(tkt_[0-9A-HJKMNP-TV-Z]{26})@/;

/**
 * The ticket the mail answers: the token `[#tkt_…]` in the subject first, then a ticket id in
 * In-Reply-To, then in References (newest first). Our emails carry the ticket in every id they
 * set: the root `<tkt_…@domain>` and each reply's `<msg_….tkt_…@domain>` (functions/tickets/messages.ts).
 */
export function ticketIdOf(mail: Pick<InboundMail, 'subject' | 'inReplyTo' | 'references'>): { ticketId: string; by: 'subject' | 'in-reply-to' | 'references' } | undefined {
  const token = TICKET_TOKEN.exec(mail.subject)?.[1];
  if (token) return { ticketId: token, by: 'subject' };
  for (const id of mail.inReplyTo) {
    const found = ID_TICKET.exec(id)?.[1];
    if (found) return { ticketId: found, by: 'in-reply-to' };
  }
  for (const id of [...mail.references].reverse()) {
    const found = ID_TICKET.exec(id)?.[1];
    if (found) return { ticketId: found, by: 'references' };
  }
  return undefined;
}

/** The subject of a new ticket: without reply prefixes; "(no subject)" when empty. */
export function ticketSubject(subject: string): string {
  const stripped = subject.replace(/^(\s*(re|aw|fwd?|wg|sv|antw)\s*:\s*)+/i, '').trim();
  return stripped || '(no subject)';
}
