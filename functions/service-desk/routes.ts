/**
 * Route rows served by the `service-desk` feature (C5 extras): the public satisfaction-survey
 * link, the service report and ticket attachments. functions/api/routes.ts assembles every
 * feature's rows into the one route table.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import {
  Attachment, AttachmentCreate, AttachmentDownload, AttachmentListQuery, AttachmentPage, AttachmentParams, CsatPageQuery, CsatRecordQuery,
  ServiceReport, ServiceReportQuery,
} from '../../schemas/service-desk';

const tkt = IdParam('tkt');
const OWN_TICKET = 'only tickets of customers the caller owns; any other answers 404, exactly like an unknown id';

export const routes = [
  // satisfaction survey link (public: a sealed, expiring token in the URL, no login)
  { method: 'GET', path: '/v1/csat', feature: 'service-desk', operation: 'csatPage', tag: 'Tickets', summary: 'The rating link of a satisfaction-survey email: a page with the clicked rating and a comment form (changes nothing)', permission: 'public', query: CsatPageQuery, response: { status: 200, contentType: 'text/html' }, errors: [404] },
  { method: 'POST', path: '/v1/csat', feature: 'service-desk', operation: 'csatRecord', tag: 'Tickets', summary: 'Record the rating (form fields `rating` 1–5 and `comment`); the first answer stands, a repeat changes nothing', permission: 'public', query: CsatRecordQuery, response: { status: 200, contentType: 'text/html' }, errors: [404] },
  // service report (C5/C7)
  { method: 'GET', path: '/v1/reports/service', feature: 'service-desk', operation: 'serviceReport', tag: 'Reports', summary: 'Service report: backlog by status and priority, first-response and resolution times (median, p90, business minutes), SLA compliance, breaches by level, CSAT by agent, queue and category (from counters kept on write)', permission: 'service-reports:read', query: ServiceReportQuery, response: { status: 200, schema: ServiceReport } },
  // attachments of ticket messages (presigned S3 URLs, private bucket)
  { method: 'POST', path: '/v1/tickets/{id}/attachments', feature: 'service-desk', operation: 'createAttachment', tag: 'Tickets', summary: 'Attach a file to a message of the ticket: answers a presigned PUT (allowed types, ≤ 10 MiB, signed type and length)', permission: 'tickets:write', params: tkt, body: AttachmentCreate, response: { status: 201, schema: Attachment }, errors: [404, 409] },
  { method: 'GET', path: '/v1/tickets/{id}/attachments', feature: 'service-desk', operation: 'listAttachments', tag: 'Tickets', summary: 'A ticket\'s files, oldest first (file names masked without the personal-data permission)', permission: 'tickets:read', scope: OWN_TICKET, params: tkt, query: AttachmentListQuery, response: { status: 200, schema: AttachmentPage }, errors: [404] },
  { method: 'GET', path: '/v1/tickets/{id}/attachments/{attachmentId}', feature: 'service-desk', operation: 'downloadAttachment', tag: 'Tickets', summary: 'A short-lived presigned download URL of an uploaded file (needs the personal-data permission too)', permission: 'tickets:read', scope: OWN_TICKET, params: AttachmentParams, response: { status: 200, schema: AttachmentDownload }, errors: [404, 409] },
] as const satisfies readonly RouteDef[];
