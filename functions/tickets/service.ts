/**
 * Ticket rules: references proven in the write's transaction, routing and round robin, the status
 * workflow with its reopen window, SLA clocks moved by every change, the conversation (public
 * replies emailed with threading headers, internal notes never sent), lists that read one index
 * partition per page. DynamoDB access is in repository.ts; decisions in model.ts and sla.ts.
 */
import { auditItem, diff, type FieldChange } from '../audit/audit';
import { config } from '../config';
import { customerArchived, LIVE_CUSTOMER } from '../customers/archived';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import type { IndexQuery } from '../data/query';
import { ConditionsFailed } from '../data/transaction';
import { BadRequest, Conflict, type FieldError, Forbidden, NotFound, PreconditionFailed } from '../http/problem';
import { sendEmail, senderAddress } from '../notifications/email';
import type { Scope } from '../security/permissions';
import { canAccess, NO_SUCH_ID, type Principal, scopeFor } from '../security/principal';
import { contractOfCustomer } from '../contracts/repository';
import { deliverSurvey, surveyForResolution } from '../service-desk/csat';
import { mailDomain, replyEmail } from './messages';
import {
  calendarOf, DEFAULT_REOPEN_DAYS, type MessageItem, patchField, PRIORITY_RANK, routeTicket, type ServiceDeskSettings, slaContext, STATUS_RANK, TICKET_FIELDS, TICKET_SENSITIVE,
  type TicketItem, type TicketPriority, type TicketStatus, targetsFor, toMessage, toTicket, transitionProblem,
} from './model';
import * as repo from './repository';
import { applyStatus, firstResponse, retarget, startSla } from './sla';

export const DEFAULT_LIMIT = 25;
const MAX_ATTEMPTS = 3;

type Reference = 'contactId' | 'assetId' | 'orderId';

/** How the transaction proves a linked record belongs to the ticket's customer. */
const REFERENCE_KEYS: Record<Reference, (id: string) => Record<string, string>> = {
  contactId: (id) => keys.contact.primary(id),
  assetId: (id) => keys.asset.primary(id),
  orderId: (id) => keys.order.primary(id),
};
const REFERENCE_NAMES: Record<Reference, string> = { contactId: 'contact', assetId: 'asset', orderId: 'order' };

function referenceChecks(customerId: string, refs: Partial<Record<Reference | 'queueId' | 'contractId', string | undefined>>): repo.Check[] {
  const checks: repo.Check[] = [];
  for (const field of ['contactId', 'assetId', 'orderId'] as const) {
    const id = refs[field];
    if (id) checks.push({ label: field, key: REFERENCE_KEYS[field](id), condition: { expression: 'attribute_exists(pk) AND customerId = :cus', values: { ':cus': customerId } } });
  }
  // The contracts feature's own check: the contract exists and is this customer's.
  if (refs.contractId) checks.push({ label: 'contractId', ...contractOfCustomer(refs.contractId, customerId) });
  if (refs.queueId) checks.push({ label: 'queueId', key: keys.queue.primary(refs.queueId), condition: { expression: 'attribute_exists(pk)' } });
  return checks;
}

/** A failed reference check → the 400 naming the field (a record of another customer is "no such" too). */
function referenceError(err: ConditionsFailed): Error | undefined {
  const errors: FieldError[] = [];
  for (const field of ['contactId', 'assetId', 'orderId'] as const) {
    if (err.labels.includes(field)) errors.push({ path: field, message: `No such ${REFERENCE_NAMES[field]} of this customer` });
  }
  if (err.labels.includes('contractId')) errors.push({ path: 'contractId', message: 'No such contract of this customer' });
  if (err.labels.includes('queueId')) errors.push({ path: 'queueId', message: 'No such queue' });
  return errors.length ? BadRequest('The ticket refers to records that do not exist or belong to another customer', errors) : undefined;
}

const unknownCustomer = () => BadRequest('The ticket refers to a customer that does not exist or that you may not see', [{ path: 'customerId', message: 'No such customer' }]);

export function ticketAudit(before: TicketItem | undefined, after: TicketItem, action: 'created' | 'updated' | 'reopened' | 'resolved' | 'closed', actor: Principal, now: Date) {
  const changes = diff(before, after, TICKET_FIELDS, TICKET_SENSITIVE);
  // Creation and status milestones are key events on the customer's timeline; field edits stay in its history.
  return auditItem({ customerId: after.customerId, entityType: 'ticket', entityId: after.id, action, actor, at: now, version: after.version, changes, timeline: action !== 'updated' });
}

export function messageAudit(m: MessageItem, customerId: string, actor: Principal, now: Date) {
  const changes: FieldChange[] = [{ field: 'ticketId', to: m.ticketId }, { field: 'visibility', to: m.visibility }, { field: 'body', redacted: true }];
  return auditItem({ customerId, entityType: 'ticket-message', entityId: m.id, action: 'created', actor, at: now, version: 1, changes, timeline: true });
}

/** The caller's view needs the customer's owner only for a role whose pii:read is `own`. */
const piiOwner = (principal: Principal, customerOwnerId: string | undefined) => (scopeFor(principal, 'pii:read') === 'own' ? customerOwnerId : undefined);

/**
 * Reads a ticket the caller may see, else 404. Scope `own` (sales: tickets:read) is judged on the
 * customer's current owner, which takes a second read — made for a missing ticket too, so the two
 * 404s cost the same.
 */
async function loadVisible(principal: Principal, id: string, action: 'tickets:read' | 'tickets:write') {
  const ticket = await repo.getTicket(id);
  let ownerId: string | undefined;
  if (scopeFor(principal, action) === 'own') {
    const customer = await repo.getCustomer(ticket?.customerId ?? NO_SUCH_ID);
    if (!ticket || !customer) throw NotFound('No such ticket');
    ownerId = customer.ownerId;
  }
  if (!ticket || !canAccess(principal, action, ownerId)) throw NotFound('No such ticket');
  return { ticket, ownerId };
}

// Create ----------------------------------------------------------------------------------------

export interface TicketCreateInput {
  subject: string;
  description?: string;
  channel: TicketItem['channel'];
  category?: string;
  priority?: TicketPriority;
  customerId: string;
  contactId?: string;
  assetId?: string;
  contractId?: string;
  orderId?: string;
  queueId?: string;
  assigneeId?: string;
}

export async function createTicket(principal: Principal, body: TicketCreateInput, now: Date) {
  const { customer, settings } = await repo.getCustomerAndSettings(body.customerId);
  if (!customer || !canAccess(principal, 'customers:read', customer.ownerId)) throw unknownCustomer();
  const ticket = await openTicket(principal, customer, settings, body, now);
  return toTicket(ticket, principal, piiOwner(principal, customer.ownerId));
}

/** What inbound mail adds to a ticket it opens (functions/tickets/inbound.ts). */
export interface OpenExtra {
  /** An item written in the ticket's transaction, on condition that it does not exist yet (the inbound record, naming the ticket). */
  record?: (ticketId: string) => Record<string, unknown>;
  /** The sender of a mail from an unknown address (replies go there). */
  requester?: TicketItem['requester'];
  /** The Message-ID of the mail that opened the ticket: the first reply answers it. */
  emailMessageId?: string;
}

/**
 * Round robin inside a queue with `autoAssign`: an atomic counter per queue, so concurrent tickets
 * take turns and never share one. Undefined when the queue assigns nobody.
 */
async function roundRobin(queue: repo.QueueItem): Promise<string | undefined> {
  if (!queue.autoAssign || queue.memberIds.length === 0) return undefined;
  const turn = await repo.nextTurn(queue.id);
  return queue.memberIds[(((turn - 1) % queue.memberIds.length) + queue.memberIds.length) % queue.memberIds.length];
}

/**
 * Opens a ticket for `customer` (read with the settings by repo.getCustomerAndSettings): routing,
 * round robin, SLA clocks, the write with its reference checks. Whether the caller may open a
 * ticket for this customer is decided before: createTicket above (customers:read), the
 * self-service portal (functions/portal: the customer in the caller's token).
 */
export async function openTicket(principal: Principal, customer: repo.CustomerRef, settings: ServiceDeskSettings, body: TicketCreateInput, now: Date, extra: OpenExtra = {}): Promise<TicketItem> {
  if (customer.archivedAt) throw customerArchived(customer.id);
  const priority = body.priority ?? 'normal';
  const queueId = body.queueId ?? routeTicket(settings.routing, { category: body.category, priority, tier: customer.tier })?.queueId;
  let assigneeId = body.assigneeId;
  if (!assigneeId && queueId) {
    const queue = await repo.getQueue(queueId);
    if (!queue) throw BadRequest('The ticket refers to a queue that does not exist', [{ path: body.queueId ? 'queueId' : '(body)', message: 'No such queue' }]);
    assigneeId = await roundRobin(queue);
  }
  const at = now.toISOString();
  const ctx = slaContext(settings);
  const ticket: TicketItem = {
    id: newId('tkt'),
    subject: body.subject,
    ...(body.description ? { description: body.description } : {}),
    channel: body.channel,
    ...(body.category ? { category: body.category } : {}),
    priority,
    status: 'new',
    customerId: customer.id,
    ...(body.contactId ? { contactId: body.contactId } : {}),
    ...(body.assetId ? { assetId: body.assetId } : {}),
    ...(body.contractId ? { contractId: body.contractId } : {}),
    ...(body.orderId ? { orderId: body.orderId } : {}),
    ...(queueId ? { queueId } : {}),
    ...(assigneeId ? { assigneeId } : {}),
    ...(extra.requester ? { requester: extra.requester } : {}),
    ...(extra.emailMessageId ? { lastEmailMessageId: extra.emailMessageId, emailReferences: [extra.emailMessageId] } : {}),
    sla: startSla(targetsFor(settings, priority, customer.tier), now, ctx),
    rev: 1,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  const checks = [
    { label: `customer:${customer.id}`, key: keys.customer.primary(customer.id), condition: LIVE_CUSTOMER },
    ...referenceChecks(customer.id, { ...body, queueId }),
  ];
  try {
    await repo.saveTicket({
      after: ticket,
      audits: [ticketAudit(undefined, ticket, 'created', principal, now)],
      checks,
      counters: [{ at, queueId, priority, add: { opened: 1 } }],
      timeZone: ctx.calendar.timeZone,
      ...(extra.record ? { records: [extra.record(ticket.id)] } : {}),
    });
  } catch (err) {
    if (!(err instanceof ConditionsFailed)) throw err;
    if (err.labels.includes(`customer:${customer.id}`)) throw err.items[`customer:${customer.id}`] ? customerArchived(customer.id) : unknownCustomer();
    throw referenceError(err) ?? err;
  }
  return ticket;
}

// Read ---------------------------------------------------------------------------------------------

export async function getTicket(principal: Principal, id: string) {
  const { ticket, ownerId } = await loadVisible(principal, id, 'tickets:read');
  return toTicket(ticket, principal, piiOwner(principal, ownerId));
}

// Update -------------------------------------------------------------------------------------------

export interface TicketPatchInput {
  subject?: string;
  description?: string | null;
  category?: string | null;
  priority?: TicketPriority;
  status?: TicketStatus;
  contactId?: string | null;
  assetId?: string | null;
  contractId?: string | null;
  orderId?: string | null;
  queueId?: string | null;
  assigneeId?: string | null;
  resolution?: string | null;
}

/** The next member of a queue a ticket moves to (400 for a queue that does not exist). */
async function queueAssignee(queueId: string): Promise<{ assigneeId?: string }> {
  const queue = await repo.getQueue(queueId);
  if (!queue) throw BadRequest('The ticket refers to a queue that does not exist', [{ path: 'queueId', message: 'No such queue' }]);
  const assigneeId = await roundRobin(queue);
  return assigneeId ? { assigneeId } : {};
}

const PATCHABLE = ['subject', 'description', 'category', 'priority', 'contactId', 'assetId', 'contractId', 'orderId', 'queueId', 'assigneeId', 'resolution'] as const;

export async function updateTicket(principal: Principal, id: string, patch: TicketPatchInput, expectedVersion: number | undefined, now: Date) {
  let assignedByQueue: { assigneeId?: string } | undefined;
  for (let attempt = 1; ; attempt++) {
    const { ticket: current, ownerId } = await loadVisible(principal, id, 'tickets:write');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const next: TicketItem = { ...current };
    for (const field of PATCHABLE) patchField(next, field, patch[field]);
    if (patch.queueId && patch.queueId !== current.queueId && patch.assigneeId === undefined) {
      // A move to another queue hands the ticket to that queue's next member (round robin), as
      // opening it there would; a queue without autoAssign keeps the current assignee. Once per
      // request: a retry of the write below keeps the member already picked.
      assignedByQueue ??= await queueAssignee(patch.queueId);
      if (assignedByQueue.assigneeId) next.assigneeId = assignedByQueue.assigneeId;
    }
    const to = patch.status ?? current.status;
    const movesClocks = to !== current.status || next.priority !== current.priority;
    const { customer, settings } = movesClocks ? await repo.getCustomerAndSettings(current.customerId) : { customer: undefined, settings: undefined };
    let action: 'updated' | 'reopened' | 'resolved' | 'closed' = 'updated';
    let newBreaches = 0;
    if (settings) {
      const problem = transitionProblem(current, to, now, settings.reopenDays ?? DEFAULT_REOPEN_DAYS);
      if (problem) throw Conflict(problem);
      const ctx = slaContext(settings);
      if (next.priority !== current.priority) next.sla = retarget(next.sla, targetsFor(settings, next.priority, customer?.tier), now, ctx);
      if (to !== current.status) {
        const change = applyStatus(next.sla, current.status, to, now, ctx);
        next.sla = change.sla;
        newBreaches = change.newBreaches.length;
        next.status = to;
        if (to === 'resolved') {
          next.resolvedAt = now.toISOString();
          action = 'resolved';
        } else if (to === 'closed') {
          next.closedAt = now.toISOString();
          action = 'closed';
        } else if (current.status === 'resolved') {
          delete next.resolvedAt;
          action = 'reopened';
        }
      }
    }
    const changes = diff(current, next, TICKET_FIELDS, TICKET_SENSITIVE);
    if (changes.length === 0) return toTicket(current, principal, piiOwner(principal, ownerId));
    next.version = current.version + 1;
    next.rev = current.rev + 1;
    next.updatedAt = now.toISOString();
    next.updatedBy = principal.userId;
    const changed = (field: 'contactId' | 'assetId' | 'orderId' | 'queueId' | 'contractId') => (next[field] !== current[field] ? next[field] : undefined);
    const counters: repo.CounterDelta[] = [];
    const add: Record<string, number> = {};
    if (action === 'resolved') add.resolved = 1;
    if (action === 'reopened') add.reopened = 1;
    if (newBreaches > 0) add.breaches = newBreaches;
    if (Object.keys(add).length > 0) counters.push({ at: now.toISOString(), queueId: next.queueId, priority: next.priority, add });
    const timeZone = settings ? calendarOf(settings).timeZone : config().businessTimeZone;
    // The first resolution writes the satisfaction survey with it (an outbox item), sent below.
    const survey = action === 'resolved' ? await surveyForResolution(next, principal.userId, now, timeZone) : undefined;
    try {
      await repo.saveTicket({
        before: current,
        after: next,
        audits: [ticketAudit(current, next, action, principal, now)],
        checks: referenceChecks(current.customerId, { contactId: changed('contactId'), assetId: changed('assetId'), orderId: changed('orderId'), queueId: changed('queueId'), contractId: changed('contractId') }),
        counters,
        timeZone,
        ...(survey ? { puts: [survey] } : {}),
      });
      if (survey) await deliverSurvey(next.id, now);
      return toTicket(next, principal, piiOwner(principal, ownerId));
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      const refError = referenceError(err);
      if (refError) throw refError;
      if (!err.labels.includes('ticket')) throw err;
      if (expectedVersion !== undefined && err.items.ticket?.version !== current.version) throw PreconditionFailed();
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The ticket is being changed right now (or its SLA is being escalated); retry');
    }
  }
}

// Conversation ------------------------------------------------------------------------------------

export async function addMessage(principal: Principal, ticketId: string, body: { visibility: 'public' | 'internal'; body: string }, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const { ticket: current, ownerId } = await loadVisible(principal, ticketId, 'tickets:write');
    if (current.status === 'closed') throw Conflict('The ticket is closed; closed tickets take no more messages (open a new ticket instead)');
    const message: MessageItem = {
      id: newId('msg'),
      ticketId,
      visibility: body.visibility,
      direction: 'outbound',
      body: body.body,
      authorId: principal.userId,
      createdAt: now.toISOString(),
    };
    const audit = messageAudit(message, current.customerId, principal, now);
    if (body.visibility === 'internal') {
      // Never emailed, never shown to the customer; the ticket itself does not change.
      try {
        await repo.saveNote(message, audit);
      } catch (err) {
        if (err instanceof ConditionsFailed && err.labels.includes('ticket')) throw Conflict('The ticket was closed meanwhile; it takes no more messages');
        throw err;
      }
      return toMessage(message, principal, piiOwner(principal, ownerId));
    }

    const settings = await repo.getSettings();
    const ctx = slaContext(settings);
    const address = await repo.replyAddress(current);
    const domain = mailDomain(senderAddress());
    const email = replyEmail({ ticketId, subject: current.subject, body: body.body, messageId: message.id, domain, previous: current.lastEmailMessageId, references: current.emailReferences });
    message.email = !current.contactId && !current.requester ? { status: 'no-contact' } : !address ? { status: 'no-address' } : { status: 'failed', messageId: email.messageId, inReplyTo: email.inReplyTo };
    // Until the send is confirmed the reply sits in the unsent index; the `ticket-emails` job
    // resends it once if this request never confirms it (functions/tickets/email-retry.ts).
    if (address) message.emailReferences = email.headers.find((h) => h.name === 'References')?.value;

    const next: TicketItem = { ...current, rev: current.rev + 1, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    let newBreaches = 0;
    if (!current.firstRespondedAt) {
      next.firstRespondedAt = now.toISOString();
      const change = firstResponse(next.sla, now, ctx);
      next.sla = change.sla;
      newBreaches = change.newBreaches.length;
    }
    if (current.status === 'new') next.status = 'open';
    if (address) {
      next.lastEmailMessageId = email.messageId;
      next.emailReferences = email.references;
    }
    const audits = [audit, ...(next.status !== current.status ? [ticketAudit(current, next, 'updated', principal, now)] : [])];
    try {
      await repo.saveTicket({
        before: current,
        after: next,
        message,
        audits,
        counters: newBreaches > 0 ? [{ at: now.toISOString(), queueId: next.queueId, priority: next.priority, add: { breaches: newBreaches } }] : [],
        timeZone: ctx.calendar.timeZone,
      });
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.includes('ticket')) throw err;
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The ticket is being changed right now (or its SLA is being escalated); retry');
      continue;
    }
    if (address) {
      // Sent after the message is recorded: a failed send leaves the message with email status
      // `failed` (shown to the agent), never an email without its message.
      try {
        await sendEmail({ to: address, subject: email.subject, text: email.text, html: email.html, headers: email.headers });
        message.email = { status: 'sent', messageId: email.messageId, inReplyTo: email.inReplyTo };
        await repo.setMessageEmail(message, message.email);
      } catch {
        // The message stays with email status `failed`, in the unsent index: resent once by the job.
      }
    }
    return toMessage(message, principal, piiOwner(principal, ownerId));
  }
}

export async function listMessages(principal: Principal, ticketId: string, query: { limit?: number; cursor?: string }) {
  const { ownerId } = await loadVisible(principal, ticketId, 'tickets:read');
  const fingerprint = `ticket-messages:${ticketId}`;
  const page = await repo.queryMessages(ticketId, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map((m) => toMessage(m, principal, piiOwner(principal, ownerId))), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

// Lists ----------------------------------------------------------------------------------------------

export interface TicketListInput {
  assigneeId?: string;
  queueId?: string;
  customerId?: string;
  status?: TicketStatus | 'active';
  priority?: TicketPriority;
  limit?: number;
  cursor?: string;
}

/**
 * The one index partition a list reads: an assignee's (gsi1), a queue's (gsi2), a customer's
 * (gsi3) or all tickets (gsi4), in that order of preference; status (and status + priority) are a
 * sort-key prefix, `active` a range; the other filters a FilterExpression. A caller with scope
 * `own` (sales) lists one customer they own at a time.
 */
export function planTicketList(principal: Principal, scope: Scope, q: TicketListInput): IndexQuery {
  const assignee = q.assigneeId === 'me' ? principal.userId : q.assigneeId;
  if (scope !== 'all') {
    if (!q.customerId) throw Forbidden('Your role lists tickets one customer at a time: add customerId (a customer you own)');
    if (assignee || q.queueId) throw Forbidden('Your role lists tickets one customer at a time, without assignee or queue filters');
  }
  const equals: Record<string, string> = {};
  let index: IndexQuery['index'];
  let partition: string;
  if (assignee) {
    index = 'gsi1';
    partition = keys.ticket.assigneePartition(assignee);
    if (q.queueId) equals.queueId = q.queueId;
    if (q.customerId) equals.customerId = q.customerId;
  } else if (q.queueId) {
    index = 'gsi2';
    partition = keys.ticket.queuePartition(q.queueId);
    if (q.customerId) equals.customerId = q.customerId;
  } else if (q.customerId) {
    index = 'gsi3';
    partition = keys.ticket.customerPartition(q.customerId);
  } else {
    index = 'gsi4';
    partition = keys.ticket.allPartition;
  }
  let sort: IndexQuery['sort'];
  if (q.status === 'active') {
    sort = { between: [`${STATUS_RANK.new}#`, `${STATUS_RANK.on_hold}#~`] };
    if (q.priority) equals.priority = q.priority;
  } else if (q.status) {
    sort = { prefix: q.priority ? `${STATUS_RANK[q.status]}#${PRIORITY_RANK[q.priority]}#` : `${STATUS_RANK[q.status]}#` };
  } else if (q.priority) {
    equals.priority = q.priority;
  }
  return { index, partition, sort, equals };
}

export async function listTickets(principal: Principal, scope: Scope, query: TicketListInput) {
  const plan = planTicketList(principal, scope, query);
  let ownerId: string | undefined;
  if (scope !== 'all') {
    const customer = await repo.getCustomer(query.customerId!);
    if (!customer || !canAccess(principal, 'tickets:read', customer.ownerId)) throw NotFound('No such customer');
    ownerId = customer.ownerId;
  }
  const fingerprint = JSON.stringify(['tickets', plan.index, plan.partition, plan.sort ?? null, plan.equals ?? {}]);
  const page = await repo.queryTickets(plan, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map((t) => toTicket(t, principal, piiOwner(principal, ownerId))), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** "Breaching soon": running deadlines, earliest first (breached ones first of all). Scope all only. */
export async function listDeadlines(principal: Principal, scope: Scope, query: { queueId?: string; before?: string; limit?: number; cursor?: string }) {
  if (scope !== 'all') throw Forbidden('Only roles that see every ticket read the deadline list');
  const plan: IndexQuery = {
    index: 'gsi2',
    partition: keys.ticket.deadlinePartition,
    ...(query.before ? { sort: { lt: query.before } } : {}),
    equals: query.queueId ? { queueId: query.queueId } : {},
  };
  const fingerprint = JSON.stringify(['ticket-deadlines', query.queueId ?? '', query.before ?? '']);
  const page = await repo.queryDeadlines(plan, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  const items = page.items.map((d) => ({
    ticketId: d.ticketId, subject: d.subject, status: d.status, priority: d.priority, customerId: d.customerId,
    ...(d.queueId ? { queueId: d.queueId } : {}), ...(d.assigneeId ? { assigneeId: d.assigneeId } : {}),
    nextDeadline: d.nextDeadline, deadlineKind: d.deadlineKind,
  }));
  return { items, nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}
