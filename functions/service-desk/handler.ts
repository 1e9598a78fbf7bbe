/** Service-desk extras: survey link pages, the service report, attachments. Parameter plumbing only. */
import { createHttpHandler, created, ok, type OperationResult } from '../http/chain';
import { header, rawBody } from '../http/request';
import * as attachments from './attachments';
import { csatPageHeaders, ratingFormPage, readRatingForm, thanksPage } from './csat-page';
import { recordRating, surveyForPage } from './csat-rating';
import { readCsatToken } from './csat-token';
import { serviceReport } from './report';
import { routes } from './routes';

const html = (body: string): OperationResult => ({ status: 200, contentType: 'text/html; charset=utf-8', body, headers: csatPageHeaders() });

export const handler = createHttpHandler('service-desk', routes, {
  csatPage: async ({ query, now }) => {
    const { ticketId } = await readCsatToken(query.token, now);
    const survey = await surveyForPage(ticketId, now);
    return html(survey.rating !== undefined ? thanksPage(survey.rating, false) : ratingFormPage(query.token, survey.subject, query.rating));
  },
  csatRecord: async ({ query, event, now }) => {
    const { ticketId } = await readCsatToken(query.token, now);
    const form = readRatingForm(header(event, 'content-type'), rawBody(event));
    const result = await recordRating(ticketId, form.rating, form.comment, { via: 'link' }, now);
    return html(thanksPage(result.rating, result.recorded));
  },
  serviceReport: async ({ query }) => ok(await serviceReport(query)),
  createAttachment: async ({ principal, params, body, now }) => {
    const attachment = await attachments.createAttachment(principal, params.id, body, now);
    return created(attachment, `/v1/tickets/${params.id}/attachments/${attachment.id}`);
  },
  listAttachments: async ({ principal, params, query }) => ok(await attachments.listAttachments(principal, params.id, query)),
  downloadAttachment: async ({ principal, params, now }) => ok(await attachments.downloadAttachment(principal, params.id, params.attachmentId, now)),
});
