/**
 * Satisfaction surveys (CSAT, docs/service.md "Satisfaction"): one survey per ticket, with its
 * first resolution.
 *
 * 1. **Outbox in the resolution's transaction.** Resolving a ticket that has a contact and no
 *    survey yet writes the survey item `TKT#<id>` / `#CSAT` (`email.status = pending`) in the same
 *    transaction as the ticket (`surveyForResolution`), so a survey exists exactly when the
 *    resolution does. A reopened ticket resolved again gets no second survey.
 * 2. **Claim, send, record.** After the commit the resolving request delivers it
 *    (`deliverSurvey`): a conditional update `pending → sending` is the claim — of any number of
 *    callers exactly one wins, so the email goes out at most once —, then SES, then `sent` with
 *    the `surveys` counters (per agent, queue and category) in one transaction. A request that
 *    dies between the claim and the send leaves `sending`: that email is lost, never doubled
 *    (like the SLA job's emails).
 * 3. **Rating once** (functions/service-desk/csat-rating.ts). `recordRating` sets `rating` on condition that none is set, with the
 *    `responses`/`ratingSum`/`r<n>` counters in the same transaction: the first rating stands, a
 *    second click (or the portal after the link) changes nothing and is told so. A low rating
 *    (≤ the service-desk setting `csatLowRating`, default 2) marks the survey `followUp: pending`
 *    in that write, then opens one task for the queue's manager through createTaskFromRule with the
 *    source key `csat-low#<ticketId>` (a guard item in the task's transaction: never two tasks); a
 *    request that dies before the task leaves `pending`, and the next click or rating attempt on
 *    the survey creates it.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { localMonthOf } from '../calendar/business-calendar';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import { Transaction } from '../data/transaction';
import { escapeHtml, sendEmail } from '../notifications/email';
import type { TicketItem } from '../tickets/model';
import { csatToken, csatUrl, CSAT_LINK_DAYS } from './csat-token';
import { addReportUpdates, bump, type ReportDeltas } from './report-counters';

type Stored = Record<string, unknown>;
const table = () => config().tableName;


export interface SurveyItem {
  ticketId: string;
  subject: string;
  customerId: string;
  contactId: string;
  queueId?: string;
  assigneeId?: string;
  category?: string;
  /** Who resolved the ticket (the follow-up's assignee when the queue has no manager and nobody is assigned). */
  resolvedBy: string;
  /** Month of the resolution (business time zone): the survey and its response count there. */
  month: string;
  createdAt: string;
  email: { status: 'pending' | 'sending' | 'sent' | 'failed' | 'no-address'; at?: string };
  /** When the links stop working (set when the email is sent). */
  expiresAt?: string;
  rating?: number;
  comment?: string;
  ratedAt?: string;
  ratedVia?: 'link' | 'portal';
  /** The contact who rated in the portal. */
  ratedBy?: string;
  followUp?: { status: 'pending' | 'created'; taskId?: string };
}

export const surveyStored = (s: SurveyItem): Stored => ({ ...keys.ticket.survey(s.ticketId), kind: 'csat-survey', ...s });

export async function getSurvey(ticketId: string): Promise<SurveyItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.ticket.survey(ticketId), ConsistentRead: true }));
  return out.Item ? withoutKeys<SurveyItem>(out.Item) : undefined;
}

/**
 * The survey to write with a resolution, for the ticket's transaction (undefined: none is due —
 * no contact to ask, or the ticket already had one). Costs one GetItem, on resolutions only; the
 * ticket's own `rev` condition keeps two resolutions from both writing one.
 */
export async function surveyForResolution(after: TicketItem, resolvedBy: string, now: Date, timeZone: string): Promise<{ label: string; item: Stored; condition: { expression: string } } | undefined> {
  if (!after.contactId) return undefined;
  const existing = await ddb().send(new GetCommand({ TableName: table(), Key: keys.ticket.survey(after.id), ConsistentRead: true, ProjectionExpression: 'pk' }));
  if (existing.Item) return undefined;
  const survey: SurveyItem = {
    ticketId: after.id,
    subject: after.subject,
    customerId: after.customerId,
    contactId: after.contactId,
    ...(after.queueId ? { queueId: after.queueId } : {}),
    ...(after.assigneeId ? { assigneeId: after.assigneeId } : {}),
    ...(after.category ? { category: after.category } : {}),
    resolvedBy,
    month: localMonthOf(now, timeZone),
    createdAt: now.toISOString(),
    email: { status: 'pending' },
  };
  return { label: 'csat', item: surveyStored(survey), condition: { expression: 'attribute_not_exists(pk)' } };
}

/** The three CSAT counter items of a survey (agent, queue, category), in its month. */
export function csatDeltas(s: SurveyItem, add: Record<string, number>, deltas: ReportDeltas = new Map()): ReportDeltas {
  for (const [dimension, value] of [['agent', s.assigneeId], ['queue', s.queueId], ['category', s.category]] as const) {
    const key = keys.serviceReport.csat(s.month, dimension, value);
    for (const [field, n] of Object.entries(add)) bump(deltas, key, { month: s.month, dimension, value: value ?? '-' }, field, n);
  }
  return deltas;
}

// Email --------------------------------------------------------------------------------------------

/** Base of the links in emails: PUBLIC_API_URL (the API's URL in AWS), else APP_BASE_URL (locally the gateway). */
const publicBase = () => process.env.PUBLIC_API_URL || config().appBaseUrl;

export function surveyEmail(input: { ticketId: string; subject: string; token: string; base: string; expiresAt: Date }) {
  const links = [1, 2, 3, 4, 5].map((n) => ({ n, url: csatUrl(input.base, input.token, n) }));
  const label = (n: number) => ['', 'very poor', 'poor', 'okay', 'good', 'excellent'][n]!;
  const until = input.expiresAt.toISOString().slice(0, 10);
  const subject = `How did we do? ${input.subject} [#${input.ticketId}]`;
  const text = [
    `Your request "${input.subject}" has been resolved. How satisfied are you with our help?`,
    '',
    ...links.map((l) => `${l.n} – ${label(l.n)}: ${l.url}`),
    '',
    `One click opens a page where you can add a comment. The links work until ${until}.`,
  ].join('\n');
  const html = [
    `<p>Your request “${escapeHtml(input.subject)}” has been resolved. How satisfied are you with our help?</p>`,
    `<p>${links.map((l) => `<a href="${escapeHtml(l.url)}" style="display:inline-block;padding:6px 12px;margin:2px;border:1px solid #888;border-radius:4px;text-decoration:none">${l.n} – ${escapeHtml(label(l.n))}</a>`).join(' ')}</p>`,
    `<p style="color:#666">One click opens a page where you can add a comment. The links work until ${until}.</p>`,
  ].join('\n');
  return { subject, text, html };
}

/**
 * Sends a pending survey, at most once (the `pending → sending` claim). Never throws: the
 * resolution it follows is already committed; what happened stays on the survey's `email.status`.
 */
export async function deliverSurvey(ticketId: string, now: Date): Promise<SurveyItem['email']['status'] | 'not-pending'> {
  let survey: SurveyItem;
  try {
    const claimed = await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.ticket.survey(ticketId),
      UpdateExpression: 'SET #email = :sending',
      ConditionExpression: '#email.#status = :pending',
      ExpressionAttributeNames: { '#email': 'email', '#status': 'status' },
      ExpressionAttributeValues: { ':sending': { status: 'sending', at: now.toISOString() }, ':pending': 'pending' },
      ReturnValues: 'ALL_NEW',
    }));
    survey = withoutKeys<SurveyItem>(claimed.Attributes!);
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return 'not-pending';
    return 'pending';
  }
  const setEmail = async (status: SurveyItem['email']['status'], extra: Stored = {}) => {
    const tx = new Transaction();
    tx.update('survey', keys.ticket.survey(ticketId), {
      expression: `SET #email = :email${extra.expiresAt ? ', expiresAt = :exp' : ''}`,
      names: { '#email': 'email' },
      values: { ':email': { status, at: new Date().toISOString() }, ...(extra.expiresAt ? { ':exp': extra.expiresAt } : {}) },
    });
    if (status === 'sent') addReportUpdates(tx, csatDeltas(survey, { surveys: 1 }), 'csat');
    await tx.commit();
  };
  try {
    const contact = await ddb().send(new GetCommand({ TableName: table(), Key: keys.contact.primary(survey.contactId), ProjectionExpression: 'email' }));
    const stored = contact.Item?.email;
    const address = typeof stored === 'string' ? stored : undefined;
    if (!address) {
      await setEmail('no-address');
      return 'no-address';
    }
    const expiresAt = new Date(now.getTime() + CSAT_LINK_DAYS * 86_400_000);
    const token = await csatToken(ticketId, expiresAt);
    const email = surveyEmail({ ticketId, subject: survey.subject, token, base: publicBase(), expiresAt });
    try {
      await sendEmail({ to: address, ...email });
    } catch {
      await setEmail('failed');
      return 'failed';
    }
    await setEmail('sent', { expiresAt: expiresAt.toISOString() });
    return 'sent';
  } catch {
    // The status stays `sending`: at most once, never twice.
    return 'sending';
  }
}
