/**
 * The `ticket-emails` job (schedule row, every 5 minutes; docs/service.md "Conversation"): public
 * replies whose email was never confirmed sent — SES refused or timed out, or the function ended
 * between recording the reply and sending it — are resent exactly once.
 *
 * 1. A reply is written with email status `failed` and a key in the sparse gsi1 partition
 *    `TICKETS#EMAIL#UNSENT` (by creation time); the request's own send, when it succeeds, sets
 *    `sent` and removes the key in one UpdateItem. So the partition holds exactly the unconfirmed
 *    replies, and a run costs one Query when there are none.
 * 2. The job reads replies older than GRACE_MS (the request that wrote one has certainly ended:
 *    the tickets function times out after 15 s), and claims each with one conditional UpdateItem
 *    (still in the index, still `failed` → out of the index, `resendAt` set). Of two concurrent
 *    runs one claim wins; a repeated run no longer sees the reply.
 * 3. Then the one resend, with the reply's original Message-ID, In-Reply-To and References (the
 *    thread stays intact), to the address the ticket has now. Success → `sent`; another failure
 *    leaves `failed` for good, shown to the agent on the message (at most one resend, never two:
 *    a run that dies between its claim and the send loses the resend, it never repeats it).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import type { Budget } from '../jobs/budget';
import { workThroughPages } from '../jobs/pages';
import { escapeHtml, sendEmail } from '../notifications/email';
import { ticketToken } from './messages';
import type { TicketItem } from './model';
import { claimResend, queryUnsentEmails, replyAddress, setMessageEmail } from './repository';

/** Replies younger than this are left to the request that wrote them. */
export const GRACE_MS = 2 * 60_000;

export interface EmailRetryResult {
  [count: string]: unknown;
  due: number;
  processed: number;
  failed: number;
  more: boolean;
  resent: number;
  /** The resend failed too: the reply stays `failed`. */
  resendFailed: number;
  /** Another run took it, or it was sent meanwhile. */
  skipped: number;
}

async function getTicket(id: string): Promise<TicketItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: keys.ticket.primary(id), ConsistentRead: true }));
  return out.Item ? withoutKeys<TicketItem>(out.Item) : undefined;
}

export async function runTicketEmailRetries(now: Date, options: { budget: Budget; onItemError: (id: string, error: unknown) => void }): Promise<EmailRetryResult> {
  const before = new Date(now.getTime() - GRACE_MS).toISOString();
  const counts = { resent: 0, resendFailed: 0, skipped: 0 };
  const result = await workThroughPages<{ ticketId: string; id: string }, undefined, 'resent' | 'resendFailed' | 'skipped'>({
    budget: options.budget,
    query: (startKey, limit) => queryUnsentEmails(before, limit, startKey),
    load: async () => undefined,
    onError: (item, error) => options.onItemError(item.id, error),
    handle: async (item) => {
      const message = await claimResend(item.ticketId, item.id, now.toISOString());
      const ticket = message ? await getTicket(item.ticketId) : undefined;
      const address = ticket ? await replyAddress(ticket) : undefined;
      if (!message || !ticket || !address || !message.email?.messageId) {
        counts.skipped += 1;
        return 'skipped';
      }
      const footer = `Ticket ${ticket.id} — reply to this email to answer; keep ${ticketToken(ticket.id)} in the subject.`;
      try {
        await sendEmail({
          to: address,
          subject: `Re: ${ticket.subject} ${ticketToken(ticket.id)}`,
          text: `${message.body}\n\n--\n${footer}`,
          html: `<div>${escapeHtml(message.body).replace(/\n/g, '<br>')}</div>\n<hr>\n<p style="color:#666">${escapeHtml(footer)}</p>`,
          headers: [
            { name: 'Message-ID', value: message.email.messageId },
            ...(message.email.inReplyTo ? [{ name: 'In-Reply-To', value: message.email.inReplyTo }] : []),
            ...(message.emailReferences ? [{ name: 'References', value: message.emailReferences }] : []),
          ],
        });
      } catch {
        counts.resendFailed += 1;
        return 'resendFailed';
      }
      await setMessageEmail(message, { ...message.email, status: 'sent' });
      counts.resent += 1;
      return 'resent';
    },
  });
  return { due: result.due, processed: result.processed, failed: result.failed, more: result.more, ...counts };
}
