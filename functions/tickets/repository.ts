/**
 * DynamoDB access for tickets, their deadline items and messages, queues and the service-desk
 * settings. Keys come from data/keys.ts. A ticket and everything that must agree with it (deadline
 * item, message, reference checks, audit/outbox entries, report counters) is written in one
 * labelled transaction; the service maps failed labels to answers.
 */
import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { queryIndexPage, type IndexQuery } from '../data/query';
import { withoutKeys } from '../data/records';
import { type Condition, Transaction } from '../data/transaction';
import { localMonthOf } from '../calendar/business-calendar';
import { DEFAULT_SETTINGS, type MessageItem, PRIORITY_RANK, type ServiceDeskSettings, STATUS_RANK, type TicketItem } from './model';
import { nextCheckAt, nextDeadline } from './sla';
import { addTicketReportUpdates } from '../service-desk/report-counters';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

export interface QueueItem {
  id: string;
  name: string;
  description?: string;
  memberIds: string[];
  managerId?: string;
  autoAssign: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

/** The customer attributes tickets decide on. */
export interface CustomerRef {
  id: string;
  ownerId: string;
  tier?: string;
  archivedAt?: string;
}

export function ticketStored(t: TicketItem): Stored {
  return {
    ...keys.ticket.primary(t.id),
    ...keys.ticket.indexes({ ...t, statusRank: STATUS_RANK[t.status], priorityRank: PRIORITY_RANK[t.priority] }),
    kind: 'ticket',
    ...t,
  };
}

/**
 * The deadline item: what the "breaching soon" list shows, plus the SLA job's due-index key. It
 * carries index keys only while a clock runs (and, for the due index, a level is still to come),
 * so both partitions hold exactly the tickets that matter to them.
 */
export function deadlineStored(t: TicketItem): Stored {
  const check = nextCheckAt(t.sla);
  const deadline = nextDeadline(t.sla);
  return {
    ...keys.ticket.deadline(t.id),
    ...(check ? keys.ticket.due(check, t.id) : {}),
    ...(deadline ? keys.ticket.nextDeadline(deadline.at, t.id) : {}),
    kind: 'ticket-deadline',
    ticketId: t.id,
    subject: t.subject,
    status: t.status,
    priority: t.priority,
    customerId: t.customerId,
    ...(t.queueId ? { queueId: t.queueId } : {}),
    ...(t.assigneeId ? { assigneeId: t.assigneeId } : {}),
    ...(deadline ? { nextDeadline: deadline.at, deadlineKind: deadline.kind } : {}),
    ...(check ? { nextCheckAt: check } : {}),
  };
}

/** A reply whose email is `failed` (not confirmed sent) and not yet taken for its resend sits in the unsent index. */
export function messageStored(m: MessageItem): Stored {
  const unsent = m.email?.status === 'failed' && !m.resendAt ? keys.ticket.unsentEmail(m.createdAt, m.ticketId, m.id) : {};
  return { ...keys.ticket.message(m.ticketId, m.id), ...unsent, kind: 'ticket-message', ...m };
}

export async function getTicket(id: string): Promise<TicketItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.ticket.primary(id), ConsistentRead: true }));
  return out.Item ? withoutKeys<TicketItem>(out.Item) : undefined;
}

const customerRef = (item: Stored | undefined): CustomerRef | undefined =>
  item ? { id: item.id as string, ownerId: item.ownerId as string, tier: item.tier as string | undefined, archivedAt: item.archivedAt as string | undefined } : undefined;

export async function getCustomer(id: string): Promise<CustomerRef | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.customer.primary(id), ConsistentRead: true, ProjectionExpression: 'id, ownerId, tier, archivedAt' }));
  return customerRef(out.Item);
}

export function settingsFrom(item: Stored | undefined): ServiceDeskSettings {
  if (!item) return { ...DEFAULT_SETTINGS };
  return withoutKeys<ServiceDeskSettings>(item);
}

export async function getSettings(): Promise<ServiceDeskSettings> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.serviceDesk.current(), ConsistentRead: true }));
  return settingsFrom(out.Item);
}

/** The customer and the service-desk settings in one request (BatchGetItem, strongly consistent). */
export async function getCustomerAndSettings(customerId: string): Promise<{ customer?: CustomerRef; settings: ServiceDeskSettings }> {
  const wanted = [keys.customer.primary(customerId), keys.serviceDesk.current()];
  const out = await ddb().send(new BatchGetCommand({ RequestItems: { [table()]: { Keys: wanted, ConsistentRead: true } } }));
  const items = [...(out.Responses?.[table()] ?? [])];
  for (const key of (out.UnprocessedKeys?.[table()]?.Keys ?? []) as Stored[]) {
    const one = await ddb().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }));
    if (one.Item) items.push(one.Item);
  }
  return {
    customer: customerRef(items.find((i) => String(i.pk).startsWith('CUS#'))),
    settings: settingsFrom(items.find((i) => i.pk === keys.serviceDesk.current().pk)),
  };
}

export async function getContactEmail(contactId: string): Promise<string | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.contact.primary(contactId), ProjectionExpression: 'email' }));
  return out.Item?.email as string | undefined;
}

/** Where a public reply goes: the ticket's contact, else the sender of the mail that opened it (unknown senders). */
export async function replyAddress(t: Pick<TicketItem, 'contactId' | 'requester'>): Promise<string | undefined> {
  if (t.contactId) return getContactEmail(t.contactId);
  return t.requester?.email;
}

export async function getQueue(id: string): Promise<QueueItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.queue.primary(id), ConsistentRead: true }));
  return out.Item ? withoutKeys<QueueItem>(out.Item) : undefined;
}

/** Advances a queue's round-robin counter atomically (ADD, UPDATED_NEW): concurrent tickets get distinct turns. */
export async function nextTurn(queueId: string): Promise<number> {
  const out = await ddb().send(new UpdateCommand({
    TableName: table(),
    Key: keys.queue.roundRobin(queueId),
    UpdateExpression: 'ADD turns :one SET kind = :kind',
    ExpressionAttributeValues: { ':one': 1, ':kind': 'queue-counter' },
    ReturnValues: 'UPDATED_NEW',
  }));
  return Number(out.Attributes?.turns ?? 1);
}

/** A reference the write must prove (contact/asset/order of the customer, a queue that exists). */
export interface Check {
  label: string;
  key: Record<string, string>;
  condition: Condition;
}

export interface CounterDelta {
  at: string;
  queueId?: string;
  priority: string;
  /** Counter name → increment. */
  add: Record<string, number>;
}

export interface TicketWrite {
  before?: TicketItem;
  after: TicketItem;
  audits: Stored[];
  checks?: Check[];
  /** A new message of the ticket. */
  message?: MessageItem;
  /** Items that must not exist yet, put in the same transaction (labels `record:<n>`): the inbound-mail record. */
  records?: Stored[];
  counters?: CounterDelta[];
  timeZone: string;
  /** More items that must be written with the ticket (the satisfaction survey of a resolution). */
  puts?: { label: string; item: Stored; condition?: Condition }[];
}

/**
 * Writes a ticket with its deadline item and whatever must agree with it. Condition labels:
 * `ticket` (new, or `rev` unchanged since the read — the SLA job bumps rev too), each check's
 * label (e.g. `customer:<id>`, `contact`, `queue`).
 */
export async function saveTicket(write: TicketWrite): Promise<void> {
  const tx = new Transaction();
  const { before, after } = write;
  tx.put('ticket', ticketStored(after), before ? { expression: 'rev = :rev', values: { ':rev': before.rev } } : { expression: 'attribute_not_exists(pk)' });
  tx.put('deadline', deadlineStored(after));
  if (write.message) tx.put('message', messageStored(write.message), { expression: 'attribute_not_exists(pk)' });
  for (const [i, record] of (write.records ?? []).entries()) tx.put(`record:${i}`, record, { expression: 'attribute_not_exists(pk)' });
  for (const check of write.checks ?? []) tx.check(check.label, check.key, check.condition);
  for (const [i, audit] of write.audits.entries()) tx.put(`audit:${i}`, audit);
  for (const [i, c] of (write.counters ?? []).entries()) addCounters(tx, `counter:${i}`, c, write.timeZone);
  // Backlog, times, compliance and breaches of the service report, from the change itself.
  addTicketReportUpdates(tx, before, after, write.timeZone);
  for (const extra of write.puts ?? []) tx.put(extra.label, extra.item, extra.condition);
  await tx.commit();
}

/** Report counters (`SVCRPT#<yyyy>`), ADD deltas in the caller's transaction. */
export function addCounters(tx: Transaction, label: string, c: CounterDelta, timeZone: string): void {
  const month = localMonthOf(c.at, timeZone);
  const names: Record<string, string> = { '#kind': 'kind', '#month': 'month', '#queue': 'queueId', '#priority': 'priority' };
  const values: Record<string, unknown> = { ':kind': 'service-report', ':month': month, ':queue': c.queueId ?? '-', ':priority': c.priority };
  const adds = Object.entries(c.add).map(([name, n], i) => {
    names[`#c${i}`] = name;
    values[`:c${i}`] = n;
    return `#c${i} :c${i}`;
  });
  tx.update(label, keys.serviceReport.item(month, c.queueId, c.priority), {
    expression: `SET #kind = :kind, #month = :month, #queue = :queue, #priority = :priority ADD ${adds.join(', ')}`,
    names,
    values,
  });
}

/** A message on a ticket that exists (ConditionCheck), without changing the ticket: internal notes. */
export async function saveNote(message: MessageItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  tx.put('message', messageStored(message), { expression: 'attribute_not_exists(pk)' });
  tx.check('ticket', keys.ticket.primary(message.ticketId), { expression: 'attribute_exists(pk) AND #status <> :closed', names: { '#status': 'status' }, values: { ':closed': 'closed' } });
  tx.put('audit', audit);
  await tx.commit();
}

/** Records what happened to a reply's email on its message (one UpdateItem after the send); a sent email leaves the unsent index. */
export async function setMessageEmail(m: MessageItem, email: NonNullable<MessageItem['email']>): Promise<void> {
  await ddb().send(new UpdateCommand({
    TableName: table(),
    Key: keys.ticket.message(m.ticketId, m.id),
    UpdateExpression: email.status === 'sent' ? 'SET email = :email REMOVE gsi1pk, gsi1sk' : 'SET email = :email',
    ExpressionAttributeValues: { ':email': email },
  }));
}

/** One page of replies whose email is unsent, created before `before` (oldest first; keys only). */
export async function queryUnsentEmails(before: string, limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :before',
    ExpressionAttributeValues: { ':pk': keys.ticket.unsentEmailPartition, ':before': before },
    ProjectionExpression: 'ticketId, id',
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => ({ ticketId: i.ticketId as string, id: i.id as string })), lastKey: out.LastEvaluatedKey };
}

/**
 * Takes an unsent reply for its one resend: out of the unsent index, `resendAt` set, on condition
 * that it is still in the index with status `failed`. Of two concurrent runs exactly one gets it;
 * undefined for the other (and for a reply sent or taken meanwhile).
 */
export async function claimResend(ticketId: string, messageId: string, at: string): Promise<MessageItem | undefined> {
  try {
    const out = await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.ticket.message(ticketId, messageId),
      UpdateExpression: 'SET resendAt = :at REMOVE gsi1pk, gsi1sk',
      ConditionExpression: 'attribute_exists(gsi1pk) AND email.#status = :failed',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':at': at, ':failed': 'failed' },
      ReturnValues: 'ALL_NEW',
    }));
    return out.Attributes ? withoutKeys<MessageItem>(out.Attributes) : undefined;
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return undefined;
    throw err;
  }
}

export async function queryMessages(ticketId: string, limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.ticket.partition(ticketId), ':prefix': keys.ticket.messagePrefix },
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<MessageItem>(i)), lastKey: out.LastEvaluatedKey };
}

export async function queryTickets(plan: IndexQuery, limit: number, startKey: Stored | undefined) {
  return queryIndexPage<TicketItem>(plan, limit, startKey);
}

/** A deadline item as the "breaching soon" list reads it (deadlineStored). */
export interface DeadlineEntry {
  ticketId: string;
  subject: string;
  status: TicketItem['status'];
  priority: TicketItem['priority'];
  customerId: string;
  queueId?: string;
  assigneeId?: string;
  nextDeadline: string;
  deadlineKind: 'firstResponse' | 'resolution';
}

/** One page of deadline items (gsi2 `TICKETS#DEADLINE`). */
export async function queryDeadlines(plan: IndexQuery, limit: number, startKey: Stored | undefined) {
  return queryIndexPage<DeadlineEntry>(plan, limit, startKey);
}

// Queues ---------------------------------------------------------------------------------------

export function queueStored(q: QueueItem): Stored {
  return { ...keys.queue.primary(q.id), ...keys.queue.list(q.name, q.id), kind: 'queue', ...q };
}

export async function saveQueue(before: QueueItem | undefined, after: QueueItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  tx.put('queue', queueStored(after), before ? { expression: 'version = :v', values: { ':v': before.version } } : { expression: 'attribute_not_exists(pk)' });
  tx.put('audit', audit);
  await tx.commit();
}

export async function queryQueues(limit: number, startKey: Stored | undefined) {
  return queryIndexPage<QueueItem>({ index: 'gsi1', partition: keys.queue.listPartition }, limit, startKey);
}

// Settings -------------------------------------------------------------------------------------

export async function saveSettings(beforeVersion: number, next: ServiceDeskSettings, audit: Stored): Promise<void> {
  const tx = new Transaction();
  tx.put('settings', { ...keys.serviceDesk.current(), kind: 'service-desk', ...next },
    beforeVersion === 0 ? { expression: 'attribute_not_exists(pk)' } : { expression: 'version = :v', values: { ':v': beforeVersion } });
  tx.put('audit', audit);
  await tx.commit();
}
