/**
 * What a ticket's emails say and how they thread. Pure, so the wording and headers are unit-tested.
 *
 * Threading: every email of a ticket carries `References` starting with the ticket's root id
 * `<tkt_…@domain>` and `In-Reply-To` naming the previous email of the ticket (the root for the
 * first), so mail clients keep a ticket's replies in one conversation; the subject carries the
 * ticket token `[#tkt_…]`, which inbound mail (functions/tickets/inbound-mail.ts) uses to find the
 * ticket. Each email gets its own `Message-ID` `<msg_….tkt_…@domain>`: the ticket id in it lets a
 * reply that keeps only In-Reply-To find its ticket too. SES keeps In-Reply-To and References as sent;
 * in AWS it may replace Message-ID with its own (`<id@email.amazonses.com>`), which is why the
 * thread is anchored on the root id every email references rather than on the previous Message-ID
 * alone.
 */
import { escapeHtml } from '../notifications/email';

/** `[#tkt_01J…]` in a subject. */
export const TICKET_TOKEN = /\[#(tkt_[0-9A-HJKMNP-TV-Z]{26})\]/;

export const ticketToken = (ticketId: string) => `[#${ticketId}]`;

/** The domain of the sender address (ids in Message-ID headers live under it). */
export function mailDomain(sender: string): string {
  const at = sender.lastIndexOf('@');
  return at >= 0 ? sender.slice(at + 1) : 'crm.invalid';
}

export const rootMessageId = (ticketId: string, domain: string) => `<${ticketId}@${domain}>`;
export const messageIdOf = (messageId: string, domain: string) => `<${messageId}@${domain}>`;

/** At most this many ids in References (the root and the latest ones): headers stay short. */
const MAX_REFERENCES = 20;

export interface ReplyEmail {
  subject: string;
  text: string;
  html: string;
  headers: { name: string; value: string }[];
  messageId: string;
  inReplyTo: string;
  /** The ticket's references after this email (stored on the ticket for the next one). */
  references: string[];
}

export function replyEmail(input: {
  ticketId: string;
  subject: string;
  body: string;
  messageId: string;
  domain: string;
  previous: string | undefined;
  references: readonly string[] | undefined;
}): ReplyEmail {
  const root = rootMessageId(input.ticketId, input.domain);
  const messageId = messageIdOf(`${input.messageId}.${input.ticketId}`, input.domain);
  const inReplyTo = input.previous ?? root;
  const chain = [root, ...(input.references ?? []).filter((r) => r !== root)];
  if (!chain.includes(inReplyTo)) chain.push(inReplyTo);
  const references = [chain[0]!, ...chain.slice(1).slice(-(MAX_REFERENCES - 1))];
  const subject = `Re: ${input.subject} ${ticketToken(input.ticketId)}`;
  const footer = `Ticket ${input.ticketId} — reply to this email to answer; keep ${ticketToken(input.ticketId)} in the subject.`;
  return {
    subject,
    text: `${input.body}\n\n--\n${footer}`,
    html: `<div>${escapeHtml(input.body).replace(/\n/g, '<br>')}</div>\n<hr>\n<p style="color:#666">${escapeHtml(footer)}</p>`,
    headers: [
      { name: 'Message-ID', value: messageId },
      { name: 'In-Reply-To', value: inReplyTo },
      { name: 'References', value: references.join(' ') },
    ],
    messageId,
    inReplyTo,
    references: [...references.filter((r) => r !== root), messageId].slice(-(MAX_REFERENCES - 1)),
  };
}
