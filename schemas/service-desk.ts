/**
 * Service desk extras (C5, functions/service-desk): satisfaction survey links, the service report
 * and ticket attachments.
 */
import * as z from './zod';
import { once } from './once';
import { Id, PageQuery, pageOf, Timestamp } from './common';
import { Period } from './shared';
import { text } from './text';

// ---- satisfaction (public survey link) --------------------------------------------------------

const Token = once(() => z.string().check(z.minLength(1), z.maxLength(1024), z.meta({ description: 'The signed token from the survey email\'s link' })));

export const CsatPageQuery = once(() => z.strictObject({
  token: Token(),
  rating: z.optional(z.pipe(z.coerce.number(), z.int().check(z.minimum(1), z.maximum(5), z.meta({ description: 'The rating the clicked link carries (1–5): preselected on the page' })))),
}));

export const CsatRecordQuery = once(() => z.strictObject({ token: Token() }));

// ---- service report ----------------------------------------------------------------------------

export const ServiceReportQuery = once(() => z.strictObject({ period: Period() }));

const Rate = once(() => z.nullable(z.number().check(z.meta({ description: '0–1, rounded to 4 places; null when nothing to divide by' }))));
const Minutes = once(() => z.nullable(z.number().check(z.meta({ description: 'Business minutes, estimated from the histogram (docs/service.md); null without data' }))));

const TimeFigures = once(() => z.object({
  count: z.int(),
  medianMinutes: Minutes(),
  p90Minutes: Minutes(),
  withinTarget: z.int(),
  compliance: Rate(),
}));

const CsatFigures = once(() => z.object({
  surveys: z.int().check(z.meta({ description: 'Survey emails sent' })),
  responses: z.int(),
  responseRate: Rate(),
  average: z.nullable(z.number().check(z.meta({ description: 'Mean rating 1–5, two decimals' }))),
}));

const CsatRow = once(() => z.object({ id: z.string().check(z.meta({ description: 'The agent, queue or category ("-" = none)' })), ...CsatFigures().shape }));

export const ServiceReport = once(() => z
  .object({
    period: z.string(),
    months: z.array(z.string()),
    backlog: z.object({
      total: z.int(),
      byStatus: z.record(z.string(), z.int()),
      byPriority: z.record(z.string(), z.int()),
      byStatusAndPriority: z.array(z.object({ status: z.string(), priority: z.string(), tickets: z.int() })),
      byQueue: z.array(z.object({ queueId: z.string(), tickets: z.int() })),
    }).check(z.meta({ description: 'Active tickets now (new, open, pending, on hold), whatever the period' })),
    flow: z.object({ opened: z.int(), resolved: z.int(), reopened: z.int() }).check(z.meta({ description: 'Tickets opened, resolutions and reopenings in the period' })),
    firstResponse: TimeFigures().check(z.meta({ description: 'First responses in the period: business minutes to the first public reply (pauses excluded); withinTarget = before the deadline' })),
    resolution: TimeFigures().check(z.meta({ description: 'Resolutions in the period: business minutes to resolution (pauses excluded); withinTarget = before the deadline' })),
    sla: z.object({
      resolved: z.int(),
      compliant: z.int().check(z.meta({ description: 'Resolutions with neither clock breached' })),
      compliance: Rate(),
      breaches: z.object({ firstResponse: z.int(), resolution: z.int(), total: z.int() }).check(z.meta({ description: 'Deadlines missed in the period, by clock' })),
      escalations: z.record(z.string(), z.int()).check(z.meta({ description: 'Escalations made in the period by level (`firstResponse.warning`, `resolution.breach`, …)' })),
    }),
    csat: z.object({
      ...CsatFigures().shape,
      distribution: z.record(z.string(), z.int()).check(z.meta({ description: 'Responses per rating "1"–"5"' })),
      byAgent: z.array(CsatRow()),
      byQueue: z.array(CsatRow()),
      byCategory: z.array(CsatRow()),
    }).check(z.meta({ description: 'Surveys of tickets resolved in the period and their answers (an answer counts in its survey\'s month)' })),
    histogramEdgesMinutes: z.array(z.int()).check(z.meta({ description: 'Upper edges of the time histogram\'s buckets (business minutes); one more bucket holds the rest' })),
  })
  .check(z.meta({ id: 'ServiceReport', description: 'Service desk figures, all from counters maintained on write: a bounded number of reads whatever the number of tickets.' })));

// ---- attachments -------------------------------------------------------------------------------

/** The file types a ticket may carry (no HTML, SVG or executables: nothing a browser would run). */
export const ATTACHMENT_TYPES = [
  'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain', 'text/csv',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
] as const;
/** 10 MiB. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

export const AttachmentParams = once(() => ({ id: Id('tkt'), attachmentId: Id('att') }));

/**
 * What a file to attach declares, checked before any URL is signed; the staff and the portal
 * routes (schemas/portal.ts) take the same fields with the same limits.
 */
export const AttachmentFileFields = once(() => ({
  fileName: text(200).check(z.minLength(1), z.meta({ description: 'Shown to the downloader (Content-Disposition)' })),
  contentType: z.enum(ATTACHMENT_TYPES).check(z.meta({ description: 'One of the allowed types; the upload must send exactly this Content-Type' })),
  size: z.int().check(z.minimum(1), z.maximum(MAX_ATTACHMENT_BYTES), z.meta({ description: `Bytes, 1–${MAX_ATTACHMENT_BYTES}; the upload must be exactly this long` })),
}));

/** The presigned upload returned once, by the POST that registers an attachment (staff or portal). */
export const AttachmentUpload = once(() => z.object({
  method: z.literal('PUT'),
  url: z.string(),
  headers: z.record(z.string(), z.string()).check(z.meta({ description: 'Send exactly these headers with the PUT (they are signed)' })),
  expiresAt: Timestamp(),
}).check(z.meta({ description: 'Only in the answer to the POST: where to PUT the file' })));

export const AttachmentCreate = once(() => z
  .strictObject({
    messageId: Id('msg').check(z.meta({ description: 'The message of this ticket the file belongs to; it inherits the message\'s visibility' })),
    ...AttachmentFileFields(),
  })
  .check(z.meta({ id: 'AttachmentCreate' })));

export const Attachment = once(() => z
  .object({
    id: z.string(),
    ticketId: z.string(),
    messageId: z.string(),
    visibility: z.enum(['public', 'internal']),
    fileName: z.string(),
    contentType: z.string(),
    size: z.int(),
    createdAt: Timestamp(),
    createdBy: z.string(),
    upload: z.optional(AttachmentUpload()),
  })
  .check(z.meta({ id: 'Attachment', description: 'A file of a ticket message, stored in a private bucket' })));

export const AttachmentPage = once(() => pageOf(Attachment(), 'AttachmentPage'));

export const AttachmentListQuery = once(() => z.strictObject({ ...PageQuery() }));

export const AttachmentDownload = once(() => z
  .object({
    id: z.string(),
    fileName: z.string(),
    contentType: z.string(),
    size: z.int(),
    url: z.string().check(z.meta({ description: 'Presigned GET, short-lived' })),
    expiresAt: Timestamp(),
  })
  .check(z.meta({ id: 'AttachmentDownload' })));
