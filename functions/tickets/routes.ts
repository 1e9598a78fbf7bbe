/**
 * Route rows served by the `tickets` feature (service desk, C5), in table order: tickets, their
 * conversation, the deadline list, queues and the service-desk settings. functions/api/routes.ts
 * assembles every feature's rows into the one route table.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import {
  MessageCreate, Queue, QueueCreate, QueueListQuery, QueuePage, QueuePatch, ServiceDesk, ServiceDeskInput, Ticket, TicketCreate, TicketDeadlinePage,
  TicketDeadlineQuery, TicketListQuery, TicketMessage, TicketMessageListQuery, TicketMessagePage, TicketPage, TicketPatch,
} from '../../schemas/tickets';

const tkt = IdParam('tkt');
const que = IdParam('que', 'queueId');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_TICKET = 'only tickets of customers the caller owns; any other answers 404, exactly like an unknown id';

export const routes = [
  // tickets (C5): SLA escalations are run by the `sla` job (functions/tickets/escalation.ts)
  { method: 'POST', path: '/v1/tickets', feature: 'tickets', operation: 'createTicket', tag: 'Tickets', summary: 'Open a ticket (routed to a queue by the service-desk rules, round robin inside the queue)', permission: 'tickets:write', body: TicketCreate, response: { status: 201, schema: Ticket }, errors: [409, 422], idempotent: true },
  { method: 'GET', path: '/v1/tickets', feature: 'tickets', operation: 'listTickets', tag: 'Tickets', summary: 'List tickets of an assignee (`me`), a queue, a customer or all, by status and priority', permission: 'tickets:read', scope: 'lists one customer the caller owns at a time (`customerId` is required; another customer answers 404; assignee and queue filters answer 403)', query: TicketListQuery, response: { status: 200, schema: TicketPage }, errors: [404] },
  { method: 'GET', path: '/v1/tickets/{id}', feature: 'tickets', operation: 'getTicket', tag: 'Tickets', summary: 'Read a ticket with its SLA clocks, escalations and breaches', permission: 'tickets:read', scope: OWN_TICKET, params: tkt, response: { status: 200, schema: Ticket }, errors: [404] },
  { method: 'PATCH', path: '/v1/tickets/{id}', feature: 'tickets', operation: 'updateTicket', tag: 'Tickets', summary: 'Change, assign, move through the workflow, resolve, close or reopen a ticket', permission: 'tickets:write', params: tkt, body: TicketPatch, response: { status: 200, schema: Ticket }, errors: [404, 409, 412], conditional: true },
  { method: 'POST', path: '/v1/tickets/{id}/messages', feature: 'tickets', operation: 'addMessage', tag: 'Tickets', summary: 'Reply to the customer (emailed to the contact, threaded) or add an internal note (never sent)', permission: 'tickets:write', params: tkt, body: MessageCreate, response: { status: 201, schema: TicketMessage }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/tickets/{id}/messages', feature: 'tickets', operation: 'listMessages', tag: 'Tickets', summary: 'A ticket\'s conversation, oldest first (public replies and internal notes)', permission: 'tickets:read', scope: OWN_TICKET, params: tkt, query: TicketMessageListQuery, response: { status: 200, schema: TicketMessagePage }, errors: [404] },
  { method: 'GET', path: '/v1/ticket-deadlines', feature: 'tickets', operation: 'listDeadlines', tag: 'Tickets', summary: 'Breaching soon: tickets with a running SLA clock by next deadline, earliest (and breached) first', permission: 'tickets:read', scope: 'not available: the list spans every customer (403)', query: TicketDeadlineQuery, response: { status: 200, schema: TicketDeadlinePage } },
  // queues (service teams) and the service-desk settings
  { method: 'POST', path: '/v1/queues', feature: 'tickets', operation: 'createQueue', tag: 'Queues', summary: 'Define a queue (members, manager, round robin)', permission: 'queues:write', body: QueueCreate, response: { status: 201, schema: Queue }, errors: [422], idempotent: true },
  { method: 'GET', path: '/v1/queues', feature: 'tickets', operation: 'listQueues', tag: 'Queues', summary: 'Queues by name', permission: 'queues:read', query: QueueListQuery, response: { status: 200, schema: QueuePage } },
  { method: 'GET', path: '/v1/queues/{queueId}', feature: 'tickets', operation: 'getQueue', tag: 'Queues', summary: 'Read a queue', permission: 'queues:read', params: que, response: { status: 200, schema: Queue }, errors: [404] },
  { method: 'PATCH', path: '/v1/queues/{queueId}', feature: 'tickets', operation: 'updateQueue', tag: 'Queues', summary: 'Change a queue', permission: 'queues:write', params: que, body: QueuePatch, response: { status: 200, schema: Queue }, errors: [404, 409, 412], conditional: true },
  { method: 'GET', path: '/v1/settings/service-desk', feature: 'tickets', operation: 'getServiceDesk', tag: 'Queues', summary: 'Service-desk settings: SLA policies, business calendar, routing rules, reopen window', permission: 'settings:read', response: { status: 200, schema: ServiceDesk } },
  { method: 'PUT', path: '/v1/settings/service-desk', feature: 'tickets', operation: 'putServiceDesk', tag: 'Queues', summary: 'Replace the service-desk settings (If-Match with the current ETag)', permission: 'settings:write', body: ServiceDeskInput, response: { status: 200, schema: ServiceDesk }, errors: [409, 412], conditional: true },
] as const satisfies readonly RouteDef[];
