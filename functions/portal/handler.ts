/** Self-service portal feature: adapts the portal's routes to its service. Parameter plumbing only. */
import { createHttpHandler, created, ok, type OperationsFor } from '../http/chain';
import * as kbService from '../kb/service';
import { portalCaller, portalView } from '../security/customer-access';
import * as attachments from '../service-desk/attachments';
import { routes } from './routes';
import * as service from './service';

/**
 * The knowledge base is imported statically: loading it builds nothing (its Markdown renderer
 * loads on first use, functions/kb/markdown.ts). An `import()` here made esbuild wrap everything
 * it reaches — the DynamoDB client's package index included, whose `export *` then keeps every
 * DynamoDB command in the bundle (+66 KB, ≈ 0.2 of the cold-start ratio; docs/performance.md).
 */
const kb = async () => kbService;

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
  portalRate: async ({ principal, params, body, now }) => created(await service.rate(principal, params.id, body, now), `/v1/portal/tickets/${params.id}/rating`),
  portalAttach: async ({ principal, params, body, now }) => {
    const me = portalCaller(principal);
    const file = await attachments.publicAttachmentCreate(params.id, me.customerId, me.contactId, body, now);
    return created(file, `/v1/portal/tickets/${params.id}/attachments/${file.id}`);
  },
  portalListAttachments: async ({ principal, params, query }) => ok(await attachments.publicAttachments(params.id, portalCaller(principal).customerId, query)),
  portalDownloadAttachment: async ({ principal, params, now }) => ok(await attachments.publicAttachmentDownload(params.id, params.attachmentId, portalCaller(principal).customerId, now)),
  // The knowledge base's scope `own`: published articles only, drafts answer 404 — whatever the caller.
  portalListArticles: async ({ query }) => {
    const page = await (await kb()).listArticles('own', query);
    return ok({ items: page.items.map((a) => portalView('articleSummary', a)), nextCursor: page.nextCursor });
  },
  portalGetArticle: async ({ params }) => ok(portalView('article', await (await kb()).getArticle('own', params.articleId))),
};

export const handler = createHttpHandler('portal', routes, operations);
