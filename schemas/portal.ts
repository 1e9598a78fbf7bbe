/**
 * The self-service portal's request and view schemas. Views are allow-lists of what a customer's
 * contact may see (functions/security/customer-access.ts holds the same lists for the code path):
 * no assignee, queue, SLA clocks, internal ids of staff, or internal notes.
 */
import * as z from './zod';
import { once } from './once';
import { Id, PageQuery, Timestamp, pageOf } from './common';
import { Category } from './shared';
import { multilineText, text } from './text';
import { AttachmentFileFields, AttachmentUpload } from './service-desk';
import { TICKET_CHANNELS, TICKET_PRIORITIES, TICKET_STATUSES } from './tickets';

export const PortalTicketCreate = once(() => z
  .strictObject({
    subject: text(200),
    description: z.optional(multilineText(10_000)),
    category: z.optional(Category()),
  })
  .check(z.meta({
    id: 'PortalTicketCreate',
    description: 'A ticket for your own customer, opened on the portal channel by you (the contact in your token); the service desk sets priority, queue and assignee.',
  })));

export const PortalTicket = once(() => z
  .object({
    id: Id('tkt'),
    subject: z.string(),
    description: z.optional(z.string()),
    channel: z.enum(TICKET_CHANNELS),
    category: z.optional(z.string()),
    priority: z.enum(TICKET_PRIORITIES),
    status: z.enum(TICKET_STATUSES),
    contactId: z.optional(z.string().check(z.meta({ description: 'The contact who opened it or whom replies go to' }))),
    resolution: z.optional(z.string()),
    resolvedAt: z.optional(Timestamp()),
    closedAt: z.optional(Timestamp()),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
  })
  .check(z.meta({ id: 'PortalTicket', description: 'A ticket as its customer sees it: no assignee, queue, SLA clocks or staff ids.' })));

export const PortalTicketPage = once(() => pageOf(PortalTicket(), 'PortalTicketPage'));

export const PortalTicketListQuery = once(() => z.strictObject({
  ...PageQuery(),
  status: z.optional(z.enum([...TICKET_STATUSES, 'active'] as const).check(z.meta({ description: '`active` = new, open, pending or on_hold' }))),
}));

export const PortalMessageCreate = once(() => z
  .strictObject({ body: multilineText(20_000) })
  .check(z.meta({ id: 'PortalMessageCreate', description: 'Your reply; a ticket waiting on you (pending) goes back to the service desk (open).' })));

export const PortalMessage = once(() => z
  .object({
    id: Id('msg'),
    ticketId: Id('tkt'),
    from: z.enum(['customer', 'agent']).check(z.meta({ description: '`customer`: written by your side (portal or email); `agent`: a reply of the service desk' })),
    body: z.string(),
    createdAt: Timestamp(),
  })
  .check(z.meta({ id: 'PortalMessage', description: 'A public message of a ticket. Internal notes of the service desk are never listed.' })));

export const PortalMessagePage = once(() => pageOf(PortalMessage(), 'PortalMessagePage'));
export const PortalMessageListQuery = once(() => z.strictObject({ ...PageQuery() }));

export const PortalArticleSummary = once(() => z
  .object({
    id: Id('kba'),
    title: z.string(),
    category: z.string(),
    tags: z.array(z.string()),
    publishedAt: z.optional(Timestamp()),
    updatedAt: Timestamp(),
  })
  .check(z.meta({ id: 'PortalArticleSummary' })));

export const PortalArticle = once(() => z
  .object({
    id: Id('kba'),
    title: z.string(),
    body: z.string().check(z.meta({ description: 'Markdown source' })),
    bodyHtml: z.string().check(z.meta({ description: 'The body rendered to safe HTML (see the Article schema)' })),
    category: z.string(),
    tags: z.array(z.string()),
    publishedAt: z.optional(Timestamp()),
    updatedAt: Timestamp(),
  })
  .check(z.meta({ id: 'PortalArticle', description: 'A published knowledge-base article; drafts answer 404.' })));

export const PortalArticlePage = once(() => pageOf(PortalArticleSummary(), 'PortalArticlePage'));

export const PortalArticleListQuery = once(() => z.strictObject({
  ...PageQuery(),
  q: z.optional(text(100).check(z.meta({ description: 'Title prefix; case- and accent-insensitive' }))),
  category: z.optional(Category()),
}));

// ---- rating a resolved ticket (the satisfaction survey, from the portal) ----------------------

export const PortalRatingCreate = once(() => z
  .strictObject({
    rating: z.int().check(z.minimum(1), z.maximum(5), z.meta({ description: '1 (poor) to 5 (excellent)' })),
    comment: z.optional(multilineText(2000)),
  })
  .check(z.meta({ id: 'PortalRatingCreate', description: 'Your rating of a resolved ticket; the first rating stands (a second one is a 409).' })));

export const PortalRating = once(() => z
  .object({
    ticketId: Id('tkt'),
    rating: z.int(),
    comment: z.optional(z.string()),
    ratedAt: Timestamp(),
  })
  .check(z.meta({ id: 'PortalRating', description: 'The rating recorded for the ticket\'s satisfaction survey.' })));

// ---- attachments of the public conversation --------------------------------------------------

export const PortalAttachmentCreate = once(() => z
  .strictObject({
    messageId: Id('msg').check(z.meta({ description: 'One of your own messages of this ticket (from: customer)' })),
    ...AttachmentFileFields(),
  })
  .check(z.meta({ id: 'PortalAttachmentCreate' })));

export const PortalAttachment = once(() => z
  .object({
    id: Id('att'),
    messageId: Id('msg'),
    fileName: z.string(),
    contentType: z.string(),
    size: z.int(),
    createdAt: Timestamp(),
    upload: z.optional(AttachmentUpload()),
  })
  .check(z.meta({ id: 'PortalAttachment', description: 'A file of a public message of your ticket (files of the service desk\'s internal notes are never listed).' })));

export const PortalAttachmentPage = once(() => pageOf(PortalAttachment(), 'PortalAttachmentPage'));
export const PortalAttachmentListQuery = once(() => z.strictObject({ ...PageQuery() }));
