/** Self-service portal feature: adapts the portal's routes to its service. Parameter plumbing only. */
import { createHttpHandler, created, ok, type OperationsFor } from '../http/chain';
import { portalView } from '../security/customer-access';
import { routes } from './routes';
import * as service from './service';

/**
 * The knowledge base (with its Markdown renderer) is loaded on the first article request, not at
 * cold start: most portal requests are about tickets.
 */
const kb = () => import('../kb/service');

const operations: OperationsFor<typeof routes> = {
  portalOpenTicket: async ({ principal, body, now }) => {
    const ticket = await service.openPortalTicket(principal, body, now);
    return created(ticket, `/v1/portal/tickets/${ticket.id}`);
  },
  portalListTickets: async ({ principal, query }) => ok(await service.listTickets(principal, query)),
  portalGetTicket: async ({ principal, params }) => ok(await service.getTicket(principal, params.id)),
  portalListMessages: async ({ principal, params, query }) => ok(await service.listMessages(principal, params.id, query)),
  portalReply: async ({ principal, params, body, now }) => {
    const message = await service.reply(principal, params.id, body, now);
    return created(message, `/v1/portal/tickets/${params.id}/messages`);
  },
  // The knowledge base's scope `own`: published articles only, drafts answer 404 — whatever the caller.
  portalListArticles: async ({ query }) => {
    const page = await (await kb()).listArticles('own', query);
    return ok({ items: page.items.map((a) => portalView('articleSummary', a)), nextCursor: page.nextCursor });
  },
  portalGetArticle: async ({ params }) => ok(portalView('article', await (await kb()).getArticle('own', params.articleId))),
};

export const handler = createHttpHandler('portal', routes, operations);
