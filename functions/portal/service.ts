/**
 * Portal rules. Who the caller is and what is theirs is decided by the shared security layer
 * (functions/security/customer-access.ts): the customer and contact come from the token, a record
 * is the caller's when its customer is theirs (anything else answers 404), and every answer is
 * cut to the portal's allow-listed fields. Tickets are opened and changed by the tickets modules'
 * own rules (routing, SLA clocks, the status workflow, the same transaction and report counters),
 * so a portal ticket is an ordinary ticket on the `portal` channel.
 */
import { decodeCursor, encodeCursor } from '../data/cursor';
import { newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { Conflict, Forbidden } from '../http/problem';
import { assertOwnCustomerRecord, isPublicMessage, portalCaller, portalView } from '../security/customer-access';
import type { Principal } from '../security/principal';
import * as csatSurveys from '../service-desk/csat';
import * as csatRating from '../service-desk/csat-rating';
import { DEFAULT_REOPEN_DAYS, type MessageItem, slaContext, type TicketItem, type TicketStatus, transitionProblem } from '../tickets/model';
import * as tickets from '../tickets/repository';
import { messageAudit, openTicket, planTicketList, ticketAudit } from '../tickets/service';
import { applyStatus } from '../tickets/sla';
import * as repo from './repository';

export const DEFAULT_LIMIT = 25;
const MAX_ATTEMPTS = 3;

export const toPortalTicket = (t: TicketItem) => portalView('ticket', t);
export const toPortalMessage = (m: MessageItem) => portalView('message', { ...m, from: m.direction === 'inbound' ? 'customer' : 'agent' });

export async function openPortalTicket(principal: Principal, body: { subject: string; description?: string; category?: string }, now: Date) {
  const me = portalCaller(principal);
  const { customer, settings } = await tickets.getCustomerAndSettings(me.customerId);
  if (!customer) throw Forbidden('Your portal account\'s customer no longer exists; ask the service desk');
  const ticket = await openTicket(principal, customer, settings, {
    subject: body.subject,
    ...(body.description ? { description: body.description } : {}),
    ...(body.category ? { category: body.category } : {}),
    channel: 'portal',
    customerId: me.customerId,
    contactId: me.contactId,
  }, now);
  return toPortalTicket(ticket);
}

/** The caller's customer's tickets: one Query per page of the customer's ticket partition (gsi3). */
export async function listTickets(principal: Principal, query: { status?: TicketStatus | 'active'; limit?: number; cursor?: string }) {
  const me = portalCaller(principal);
  const plan = planTicketList(principal, 'own', { customerId: me.customerId, status: query.status });
  const fingerprint = JSON.stringify(['portal-tickets', plan.index, plan.partition, plan.sort ?? null]);
  const page = await tickets.queryTickets(plan, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toPortalTicket), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

async function ownTicket(principal: Principal, id: string, action: 'portal:read' | 'portal:write') {
  return assertOwnCustomerRecord(principal, action, await tickets.getTicket(id), 'ticket');
}

export async function getTicket(principal: Principal, id: string) {
  return toPortalTicket(await ownTicket(principal, id, 'portal:read'));
}

export async function listMessages(principal: Principal, ticketId: string, query: { limit?: number; cursor?: string }) {
  await ownTicket(principal, ticketId, 'portal:read');
  const fingerprint = `portal-messages:${ticketId}`;
  const page = await repo.queryPublicMessages(ticketId, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  // The query filters notes out already; this keeps it so should the query ever change.
  return { items: page.items.filter(isPublicMessage).map(toPortalMessage), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/**
 * The status a customer's reply moves a ticket to, like an inbound email reply: a ticket waiting
 * on the customer (`pending`) goes back to the desk (`open`, its SLA clocks run again); a resolved
 * one reopens within the reopen window; anything else keeps its status. Undefined: no change.
 */
export function statusAfterCustomerReply(ticket: Pick<TicketItem, 'status' | 'resolvedAt'>, now: Date, reopenDays: number): TicketStatus | undefined {
  if (ticket.status === 'closed') throw Conflict('The ticket is closed; closed tickets take no more messages (open a new ticket instead)');
  if (ticket.status !== 'pending' && ticket.status !== 'resolved') return undefined;
  const problem = transitionProblem(ticket, 'open', now, reopenDays);
  if (problem) throw Conflict(problem);
  return 'open';
}

/** A public, inbound message from the caller, written with the ticket change in one transaction. */
export async function reply(principal: Principal, ticketId: string, body: { body: string }, now: Date) {
  const me = portalCaller(principal);
  for (let attempt = 1; ; attempt++) {
    const current = await ownTicket(principal, ticketId, 'portal:write');
    const settings = await tickets.getSettings();
    const to = statusAfterCustomerReply(current, now, settings.reopenDays ?? DEFAULT_REOPEN_DAYS);
    const ctx = slaContext(settings);
    const at = now.toISOString();
    const message: MessageItem = { id: newId('msg'), ticketId, visibility: 'public', direction: 'inbound', body: body.body, authorId: me.contactId, createdAt: at };
    const next: TicketItem = { ...current, rev: current.rev + 1, version: current.version + 1, updatedAt: at, updatedBy: principal.userId };
    const counters: tickets.CounterDelta[] = [];
    let action: 'updated' | 'reopened' = 'updated';
    if (to) {
      const change = applyStatus(next.sla, current.status, to, now, ctx);
      next.sla = change.sla;
      next.status = to;
      const add: Record<string, number> = {};
      if (current.status === 'resolved') {
        delete next.resolvedAt;
        action = 'reopened';
        add.reopened = 1;
      }
      if (change.newBreaches.length > 0) add.breaches = change.newBreaches.length;
      if (Object.keys(add).length > 0) counters.push({ at, queueId: next.queueId, priority: next.priority, add });
    }
    const audits = [messageAudit(message, current.customerId, principal, now), ...(to ? [ticketAudit(current, next, action, principal, now)] : [])];
    try {
      await tickets.saveTicket({ before: current, after: next, message, audits, counters, timeZone: ctx.calendar.timeZone });
      return toPortalMessage(message);
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.includes('ticket')) throw err;
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The ticket is being changed right now; retry');
    }
  }
}

// Rating ------------------------------------------------------------------------------------------

/**
 * The survey answer and its follow-up task are imported statically (loading them builds nothing):
 * an `import()` made esbuild wrap all they reach, the DynamoDB package index included, defeating
 * tree shaking (see portal/handler.ts). The attachments' S3 client loads on first use.
 */
const csat = async () => csatRating;
const surveys = async () => csatSurveys;

/**
 * Rates a resolved (or closed) ticket of the caller's customer: its satisfaction survey, through
 * the same `recordRating` as the emailed link (the first answer stands, with its counters and the
 * follow-up of a low rating). Another customer's ticket answers 404; a ticket not resolved yet, one
 * resolved without a contact (no survey) and one rated already answer 409.
 */
export async function rate(principal: Principal, ticketId: string, body: { rating: number; comment?: string }, now: Date) {
  const me = portalCaller(principal);
  const ticket = await ownTicket(principal, ticketId, 'portal:write');
  if (ticket.status !== 'resolved' && ticket.status !== 'closed') throw Conflict(`The ticket is ${ticket.status}; rate it once the service desk has resolved it`);
  if (!(await (await surveys()).getSurvey(ticketId))) throw Conflict('This ticket has no satisfaction survey (it was resolved without a contact to ask)');
  const result = await (await csat()).recordRating(ticketId, body.rating, body.comment, { via: 'portal', contactId: me.contactId, customerId: me.customerId }, now);
  if (!result.recorded) throw Conflict(`This ticket was rated already (${result.rating}/5); the first rating stands`);
  return { ticketId: result.ticketId, rating: result.rating, ...(result.comment ? { comment: result.comment } : {}), ratedAt: result.ratedAt };
}
