/** Tickets feature (service desk): adapts routes to the services. Nothing but parameter plumbing lives here. */
import { createHttpHandler, created, ok, type OperationsFor } from '../http/chain';
import { routes } from './routes';
import * as queues from './queues';
import * as service from './service';

const operations: OperationsFor<typeof routes> = {
  createTicket: async ({ principal, body, now }) => {
    const ticket = await service.createTicket(principal, body, now);
    return created(ticket, `/v1/tickets/${ticket.id}`);
  },
  listTickets: async ({ principal, scope, query }) => ok(await service.listTickets(principal, scope, query)),
  getTicket: async ({ principal, params }) => ok(await service.getTicket(principal, params.id)),
  updateTicket: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updateTicket(principal, params.id, body, expectedVersion, now)),
  addMessage: async ({ principal, params, body, now }) => {
    const message = await service.addMessage(principal, params.id, body, now);
    return created(message, `/v1/tickets/${params.id}/messages`);
  },
  listMessages: async ({ principal, params, query }) => ok(await service.listMessages(principal, params.id, query)),
  listDeadlines: async ({ principal, scope, query }) => ok(await service.listDeadlines(principal, scope, query)),
  createQueue: async ({ principal, body, now }) => {
    const queue = await queues.createQueue(principal, body, now);
    return created(queue, `/v1/queues/${queue.id}`);
  },
  listQueues: async ({ query }) => ok(await queues.listQueues(query)),
  getQueue: async ({ params }) => ok(await queues.getQueue(params.queueId)),
  updateQueue: async ({ principal, params, body, expectedVersion, now }) => ok(await queues.updateQueue(principal, params.queueId, body, expectedVersion, now)),
  getServiceDesk: async () => ok(await queues.getSettings()),
  putServiceDesk: async ({ principal, body, expectedVersion, now }) => ok(await queues.putSettings(principal, body, expectedVersion, now)),
};

// No profile copy here: only tasks and notifications write users' profiles (where emails go); an
// agent's escalation emails use the profile those features keep (in-app notifications need none).
export const handler = createHttpHandler('tickets', routes, operations);
