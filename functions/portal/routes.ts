/**
 * Route rows of the self-service portal (`portal` feature): a customer's contact, signed in through
 * the portal's own user pool, opens and follows their customer's tickets and reads published
 * knowledge-base articles. Every row needs `portal:read` or `portal:write`, which only the
 * `customer` role holds; in AWS these routes carry the portal pool's JWT authorizer and every other
 * route the staff pool's (lib/constructs/http-api.ts), so a token of one pool is refused (401) on
 * the other's routes before any function runs. functions/api/routes.ts assembles the rows.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { ArticleIdParam } from '../../schemas/kb';
import {
  PortalArticle, PortalArticleListQuery, PortalArticlePage, PortalAttachment, PortalAttachmentCreate, PortalAttachmentListQuery, PortalAttachmentPage,
  PortalMessage, PortalMessageCreate, PortalMessageListQuery, PortalMessagePage, PortalRating, PortalRatingCreate,
  PortalTicket, PortalTicketCreate, PortalTicketListQuery, PortalTicketPage,
} from '../../schemas/portal';
import { AttachmentDownload, AttachmentParams } from '../../schemas/service-desk';

const tkt = IdParam('tkt');

/** What scope `own` means on the portal's ticket routes (shown in the API docs). */
const OWN_TICKETS = 'only tickets of the customer named in your token; any other answers 404, exactly like an unknown id';

export const routes = [
  { method: 'POST', path: '/v1/portal/tickets', feature: 'portal', operation: 'portalOpenTicket', tag: 'Portal', summary: 'Open a ticket for your customer (channel portal, you as its contact)', permission: 'portal:write', scope: 'your own customer only: the customer and contact come from your token, never from the request', body: PortalTicketCreate, response: { status: 201, schema: PortalTicket }, errors: [409], idempotent: true },
  { method: 'GET', path: '/v1/portal/tickets', feature: 'portal', operation: 'portalListTickets', tag: 'Portal', summary: 'Your customer\'s tickets, by status', permission: 'portal:read', scope: 'the tickets of the customer named in your token', query: PortalTicketListQuery, response: { status: 200, schema: PortalTicketPage } },
  { method: 'GET', path: '/v1/portal/tickets/{id}', feature: 'portal', operation: 'portalGetTicket', tag: 'Portal', summary: 'Read one of your customer\'s tickets', permission: 'portal:read', scope: OWN_TICKETS, params: tkt, response: { status: 200, schema: PortalTicket }, errors: [404] },
  { method: 'GET', path: '/v1/portal/tickets/{id}/messages', feature: 'portal', operation: 'portalListMessages', tag: 'Portal', summary: 'A ticket\'s public conversation, oldest first (never internal notes)', permission: 'portal:read', scope: OWN_TICKETS, params: tkt, query: PortalMessageListQuery, response: { status: 200, schema: PortalMessagePage }, errors: [404] },
  { method: 'POST', path: '/v1/portal/tickets/{id}/messages', feature: 'portal', operation: 'portalReply', tag: 'Portal', summary: 'Reply on a ticket; a ticket waiting on you (pending) goes back to the service desk', permission: 'portal:write', scope: OWN_TICKETS, params: tkt, body: PortalMessageCreate, response: { status: 201, schema: PortalMessage }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/portal/tickets/{id}/rating', feature: 'portal', operation: 'portalRate', tag: 'Portal', summary: 'Rate a resolved ticket (1–5, optional comment): its satisfaction survey, once — a second rating is a 409 and the first stands', permission: 'portal:write', scope: OWN_TICKETS, params: tkt, body: PortalRatingCreate, response: { status: 201, schema: PortalRating }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/portal/tickets/{id}/attachments', feature: 'portal', operation: 'portalAttach', tag: 'Portal', summary: 'Attach a file to one of your messages of the ticket: answers a presigned PUT (allowed types, ≤ 10 MiB, signed type and length)', permission: 'portal:write', scope: OWN_TICKETS, params: tkt, body: PortalAttachmentCreate, response: { status: 201, schema: PortalAttachment }, errors: [404, 409] },
  { method: 'GET', path: '/v1/portal/tickets/{id}/attachments', feature: 'portal', operation: 'portalListAttachments', tag: 'Portal', summary: 'The files of a ticket\'s public conversation, oldest first (never files of internal notes)', permission: 'portal:read', scope: OWN_TICKETS, params: tkt, query: PortalAttachmentListQuery, response: { status: 200, schema: PortalAttachmentPage }, errors: [404] },
  { method: 'GET', path: '/v1/portal/tickets/{id}/attachments/{attachmentId}', feature: 'portal', operation: 'portalDownloadAttachment', tag: 'Portal', summary: 'A short-lived presigned download URL of a file of the public conversation', permission: 'portal:read', scope: `${OWN_TICKETS}; a file of an internal note answers 404 too`, params: AttachmentParams, response: { status: 200, schema: AttachmentDownload }, errors: [404, 409] },
  { method: 'GET', path: '/v1/portal/kb/articles', feature: 'portal', operation: 'portalListArticles', tag: 'Portal', summary: 'Published knowledge-base articles by title; q (title prefix), category', permission: 'portal:read', scope: 'published articles only', query: PortalArticleListQuery, response: { status: 200, schema: PortalArticlePage } },
  { method: 'GET', path: '/v1/portal/kb/articles/{articleId}', feature: 'portal', operation: 'portalGetArticle', tag: 'Portal', summary: 'Read a published article with its body rendered to safe HTML', permission: 'portal:read', scope: 'published articles only; a draft answers 404, exactly like an unknown id', params: ArticleIdParam, response: { status: 200, schema: PortalArticle }, errors: [404] },
] as const satisfies readonly RouteDef[];
