/**
 * Ticket attachments (docs/service.md, "Attachments"): a file belongs to one message of a ticket
 * and inherits its visibility — a file on an internal note is never shown to the customer.
 *
 * `POST /v1/tickets/{id}/attachments` declares the file (message, name, allowed type, size ≤ 10 MiB)
 * and answers with a presigned PUT; one transaction writes the attachment item `TKT#<id>` /
 * `ATT#<attId>` and counts it on its message (at most MAX_PER_MESSAGE, a condition of the write),
 * on condition that the ticket is not closed. `GET …/attachments` lists a ticket's files (one
 * Query per page); `GET …/attachments/{attachmentId}` checks the uploaded object against what was
 * declared and answers a short-lived presigned GET.
 *
 * Who: writers of tickets attach; readers of tickets list (file names masked without pii:read, as
 * message bodies are) and download — downloading needs pii:read too (an analyst's 403: files are
 * the customer's content). The self-service portal uses `publicAttachments` and
 * `publicAttachmentDownload`: public messages' files of the caller's own customer only.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { ddb } from '../data/client';
import { keys, newId } from '../data/keys';
import { withoutKeys } from '../data/records';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { BadRequest, Conflict, Forbidden, NotFound } from '../http/problem';
import { canAccess, NO_SUCH_ID, type Principal, scopeFor } from '../security/principal';
import type { TicketItem } from '../tickets/model';

/**
 * The S3 client and presigner load on the first attachment request, not at cold start: the
 * survey pages and the report, served by the same function, never need them.
 */
const storage = () => import('./attachment-storage');

type Stored = Record<string, unknown>;
const table = () => config().tableName;

/** Files per message. */
export const MAX_PER_MESSAGE = 10;
const DEFAULT_LIMIT = 25;

export interface AttachmentItem {
  id: string;
  ticketId: string;
  messageId: string;
  visibility: 'public' | 'internal';
  fileName: string;
  contentType: string;
  size: number;
  createdAt: string;
  createdBy: string;
}

async function getItem<T>(key: { pk: string; sk: string }, projection?: string, names?: Record<string, string>): Promise<T | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true, ...(projection ? { ProjectionExpression: projection } : {}), ...(names ? { ExpressionAttributeNames: names } : {}) }));
  return out.Item ? withoutKeys<T>(out.Item) : undefined;
}

/**
 * The ticket if the caller may see it with `action`, else 404. Scope `own` (sales reading) is
 * judged on the customer's owner, read for a missing ticket too so both 404s cost the same.
 */
async function visibleTicket(principal: Principal, ticketId: string, action: 'tickets:read' | 'tickets:write') {
  const ticket = await getItem<Pick<TicketItem, 'id' | 'customerId' | 'status'>>(keys.ticket.primary(ticketId), 'id, customerId, #status', { '#status': 'status' });
  let ownerId: string | undefined;
  if (scopeFor(principal, action) === 'own') {
    const customer = await getItem<{ ownerId: string }>(keys.customer.primary(ticket?.customerId ?? NO_SUCH_ID), 'ownerId');
    if (!ticket || !customer) throw NotFound('No such ticket');
    ownerId = customer.ownerId;
  }
  if (!ticket || !canAccess(principal, action, ownerId)) throw NotFound('No such ticket');
  return { ticket, ownerId };
}

function view(a: AttachmentItem, principal: Principal | undefined, ownerId: string | undefined) {
  if (principal && !canAccess(principal, 'pii:read', ownerId)) return { ...a, fileName: '(masked)', masked: ['fileName'] };
  return { ...a };
}

export interface AttachmentInput {
  messageId: string;
  fileName: string;
  contentType: string;
  size: number;
}

export async function createAttachment(principal: Principal, ticketId: string, body: AttachmentInput, now: Date) {
  const { ticket, ownerId } = await visibleTicket(principal, ticketId, 'tickets:write');
  if (ticket.status === 'closed') throw Conflict('The ticket is closed; closed tickets take no more files');
  const message = await getItem<{ visibility: 'public' | 'internal' }>(keys.ticket.message(ticketId, body.messageId), 'visibility');
  if (!message) throw BadRequest('The attachment refers to a message that is not one of this ticket\'s', [{ path: 'messageId', message: 'No such message on this ticket' }]);
  return declare(ticketId, body, message.visibility, principal.userId, now, (item) => view(item, principal, ownerId));
}

/**
 * Writes the attachment item with its message's file count (at most MAX_PER_MESSAGE, on condition
 * that the ticket is not closed) in one transaction and answers the item, as `present` shows it,
 * with its presigned PUT.
 */
async function declare<V>(ticketId: string, body: AttachmentInput, visibility: AttachmentItem['visibility'], createdBy: string, now: Date, present: (item: AttachmentItem) => V) {
  const item: AttachmentItem = {
    id: newId('att'),
    ticketId,
    messageId: body.messageId,
    visibility,
    fileName: body.fileName,
    contentType: body.contentType,
    size: body.size,
    createdAt: now.toISOString(),
    createdBy,
  };
  const tx = new Transaction();
  tx.put('attachment', { ...keys.ticket.attachment(ticketId, item.id), kind: 'ticket-attachment', ...item }, { expression: 'attribute_not_exists(pk)' });
  tx.update('message', keys.ticket.message(ticketId, body.messageId), { expression: 'ADD attachmentCount :one', values: { ':one': 1 } }, {
    expression: 'attribute_exists(pk) AND (attribute_not_exists(attachmentCount) OR attachmentCount < :max)',
    values: { ':max': MAX_PER_MESSAGE },
  });
  tx.check('ticket', keys.ticket.primary(ticketId), { expression: 'attribute_exists(pk) AND #status <> :closed', names: { '#status': 'status' }, values: { ':closed': 'closed' } });
  try {
    await tx.commit();
  } catch (err) {
    if (!(err instanceof ConditionsFailed)) throw err;
    if (err.labels.includes('ticket')) throw Conflict('The ticket was closed meanwhile; it takes no more files');
    if (err.labels.includes('message')) throw Conflict(`The message already has ${MAX_PER_MESSAGE} files, the most it may have`);
    throw err;
  }
  const s3 = await storage();
  const upload = await s3.presignUpload(s3.objectKey(ticketId, item.id), item.contentType, item.size);
  return { ...present(item), upload: { method: 'PUT' as const, ...upload, expiresAt: new Date(now.getTime() + s3.PRESIGN_PUT_SECONDS * 1000).toISOString() } };
}

async function queryAttachments(ticketId: string, limit: number, startKey: Stored | undefined, publicOnly: boolean) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ...(publicOnly ? { FilterExpression: '#vis = :public', ExpressionAttributeNames: { '#vis': 'visibility' } } : {}),
    ExpressionAttributeValues: { ':pk': keys.ticket.partition(ticketId), ':prefix': 'ATT#', ...(publicOnly ? { ':public': 'public' } : {}) },
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<AttachmentItem>(i)), lastKey: out.LastEvaluatedKey };
}

export async function listAttachments(principal: Principal, ticketId: string, query: { limit?: number; cursor?: string }) {
  const { ownerId } = await visibleTicket(principal, ticketId, 'tickets:read');
  const fingerprint = `ticket-attachments:${ticketId}`;
  const page = await queryAttachments(ticketId, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint), false);
  return { items: page.items.map((a) => view(a, principal, ownerId)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** A presigned download of an uploaded file that matches what was declared (409 otherwise). */
async function download(a: AttachmentItem, now: Date) {
  const s3 = await storage();
  const stored = await s3.storedObject(s3.objectKey(a.ticketId, a.id));
  if (!stored) throw Conflict('The file has not been uploaded yet (PUT it to the upload URL first)');
  if (stored.size !== a.size || (stored.contentType ?? '').split(';')[0]!.trim().toLowerCase() !== a.contentType) {
    throw Conflict('The uploaded file does not match its declaration (size or content type differ); attach it again');
  }
  return {
    id: a.id,
    fileName: a.fileName,
    contentType: a.contentType,
    size: a.size,
    url: await s3.presignDownload(s3.objectKey(a.ticketId, a.id), a.fileName, a.contentType),
    expiresAt: new Date(now.getTime() + s3.PRESIGN_GET_SECONDS * 1000).toISOString(),
  };
}

export async function downloadAttachment(principal: Principal, ticketId: string, attachmentId: string, now: Date) {
  const { ownerId } = await visibleTicket(principal, ticketId, 'tickets:read');
  const a = await getItem<AttachmentItem>(keys.ticket.attachment(ticketId, attachmentId));
  if (!a) throw NotFound('No such attachment on this ticket');
  if (!canAccess(principal, 'pii:read', ownerId)) throw Forbidden('Files of tickets are the customer\'s content: downloading them needs the personal-data permission');
  return download(a, now);
}

// Self-service portal ------------------------------------------------------------------------------

/** The public messages' files of a ticket of `customerId` (another customer's ticket: 404). One Query per page (after the ticket's GetItem). */
export async function publicAttachments(ticketId: string, customerId: string, query: { limit?: number; cursor?: string } = {}) {
  const ticket = await getItem<{ customerId: string }>(keys.ticket.primary(ticketId), 'customerId');
  if (!ticket || ticket.customerId !== customerId) throw NotFound('No such ticket');
  const fingerprint = `portal-attachments:${ticketId}`;
  const page = await queryAttachments(ticketId, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint), true);
  return { items: page.items.filter((a) => a.visibility === 'public').map(portalAttachment), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** A download for the portal: a public message's file of a ticket of `customerId`; anything else is 404. */
export async function publicAttachmentDownload(ticketId: string, attachmentId: string, customerId: string, now: Date = new Date()) {
  const [ticket, a] = await Promise.all([
    getItem<{ customerId: string }>(keys.ticket.primary(ticketId), 'customerId'),
    getItem<AttachmentItem>(keys.ticket.attachment(ticketId, attachmentId)),
  ]);
  if (!ticket || ticket.customerId !== customerId || !a || a.visibility !== 'public') throw NotFound('No such attachment');
  return download(a, now);
}

/**
 * A file from the portal: on one of the customer's own public messages (`direction = inbound`) of a
 * ticket of `customerId` — any other ticket is a 404, a message that is not one of theirs a 400
 * naming `messageId`, a closed ticket a 409. The same limits and transaction as the staff's.
 */
export async function publicAttachmentCreate(ticketId: string, customerId: string, contactId: string, body: AttachmentInput, now: Date = new Date()) {
  const [ticket, message] = await Promise.all([
    getItem<Pick<TicketItem, 'customerId' | 'status'>>(keys.ticket.primary(ticketId), 'customerId, #status', { '#status': 'status' }),
    getItem<{ visibility: string; direction: string }>(keys.ticket.message(ticketId, body.messageId), 'visibility, direction'),
  ]);
  if (!ticket || ticket.customerId !== customerId) throw NotFound('No such ticket');
  if (ticket.status === 'closed') throw Conflict('The ticket is closed; closed tickets take no more files');
  if (!message || message.visibility !== 'public' || message.direction !== 'inbound') {
    throw BadRequest('Files go on one of your own messages of this ticket', [{ path: 'messageId', message: 'Not one of your messages on this ticket' }]);
  }
  return declare(ticketId, body, 'public', contactId, now, portalAttachment);
}

/** What the portal shows of a file: no visibility, ticket or staff ids. */
export function portalAttachment(a: AttachmentItem) {
  return { id: a.id, messageId: a.messageId, fileName: a.fileName, contentType: a.contentType, size: a.size, createdAt: a.createdAt };
}
