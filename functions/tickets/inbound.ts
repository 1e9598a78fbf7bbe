/**
 * Inbound email → tickets (docs/service.md "Inbound email"). One received object (raw MIME in the
 * inbound bucket under `inbound/`) is, in this order:
 *
 * 1. already handled — its record `INMAIL#<key>` exists: nothing happens again;
 * 2. malformed — copied to `quarantine/` for inspection, recorded, logged with the key and the
 *    reason only; the invocation succeeds, so nothing retries it forever;
 * 3. automatic (auto-replies, bounces, bulk mail, our own mail looping back) — recorded, ignored;
 * 4. an answer — the ticket named by its token or threading headers, when the sender is the
 *    ticket's requester or a contact (or the email) of its customer: a public inbound message,
 *    and a pending ticket (or a resolved one within the reopen window) opens again;
 * 5. otherwise a new ticket (channel email) for the sender's contact (sparse index on contact
 *    emails), else for the customer whose email it is, else for the placeholder customer of
 *    unknown senders with the sender as the ticket's requester.
 *
 * The record is written in the same transaction as the ticket or message it produced, so the
 * same object processed twice (an S3/SES redelivery, a Lambda retry) creates one of each.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { auditItem, diff } from '../audit/audit';
import { clientOptions } from '../aws/client-options';
import { loadS3, type S3Sdk } from '../aws/sdk';
import { config } from '../config';
import { CUSTOMER_FIELDS, CUSTOMER_SENSITIVE, type CustomerItem } from '../customers/model';
import { addCustomerWrites } from '../customers/repository';
import { ddb } from '../data/client';
import { keys, newId, normalizeEmail } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { senderAddress } from '../notifications/email';
import type { Principal } from '../security/principal';
import { INBOUND_PREFIX, QUARANTINE_PREFIX } from './inbound-paths';
import { type InboundMail, loopReason, type OwnAddresses, parseMail, ticketIdOf, ticketSubject } from './inbound-mail';
import { DEFAULT_REOPEN_DAYS, type MessageItem, slaContext, type TicketItem, transitionProblem } from './model';
import * as repo from './repository';
import { messageAudit, openTicket, ticketAudit } from './service';
import { applyStatus } from './sla';

/** The actor of everything inbound mail writes (audit entries, `createdBy`). */
export const INBOUND_PRINCIPAL: Principal = { userId: 'inbound-mail', role: 'admin', groups: [] };
const MAX_ATTEMPTS = 3;
const MAX_REFERENCES = 20;

export type Outcome = 'created' | 'appended' | 'ignored' | 'quarantined' | 'duplicate' | 'missing';

export interface InboundResult {
  outcome: Outcome;
  key: string;
  ticketId?: string;
  messageId?: string;
  /** Why mail was ignored or quarantined (no personal data). */
  reason?: string;
  /** How an answer found its ticket. */
  threadedBy?: string;
  /** A new ticket's sender: a known contact, a customer's email, or unknown (placeholder customer). */
  sender?: 'contact' | 'customer' | 'unknown';
}

const table = () => config().tableName;

// The S3 SDK is loaded on first use, not at cold start (functions/aws/sdk.ts).
let s3: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
const s3Client = () => (s3 ??= loadS3().then((sdk) => ({ sdk, client: new sdk.S3Client({ ...clientOptions('s3'), forcePathStyle: config().s3ForcePathStyle }) })));

let own: OwnAddresses | undefined;
/** Our own addresses, read once: the reply sender and the support address (or domain, SUPPORT_EMAIL). */
function ownAddresses(): OwnAddresses {
  if (!own) {
    const support = (process.env.SUPPORT_EMAIL ?? '').split(',').map((s) => normalizeEmail(s)).filter(Boolean);
    own = {
      addresses: [normalizeEmail(senderAddress()), ...support.filter((s) => s.includes('@'))],
      domains: support.filter((s) => !s.includes('@')),
    };
  }
  return own;
}

/** The inbound bucket (INBOUND_BUCKET), read once. */
export function inboundBucket(): string {
  const name = process.env.INBOUND_BUCKET;
  if (!name) throw new Error('Configuration error: INBOUND_BUCKET is not set');
  return name;
}

function recordItem(key: string, result: Omit<InboundResult, 'key'>, now: Date): Record<string, unknown> {
  return { ...keys.inboundMail.record(key), kind: 'inbound-mail', key, receivedAt: now.toISOString(), ...result };
}

/** The record of an object already handled, if any (what `npm run mail` waits for, too). */
export async function getRecord(key: string): Promise<InboundResult | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.inboundMail.record(key), ConsistentRead: true }));
  if (!out.Item) return undefined;
  const { outcome, ticketId, messageId, reason, threadedBy, sender } = out.Item as Record<string, string | undefined>;
  return { outcome: outcome as Outcome, key, ...(ticketId ? { ticketId } : {}), ...(messageId ? { messageId } : {}), ...(reason ? { reason } : {}), ...(threadedBy ? { threadedBy } : {}), ...(sender ? { sender: sender as InboundResult['sender'] } : {}) };
}

/** Records an outcome that wrote nothing else (ignored, quarantined); a second writer changes nothing. */
async function recordAlone(key: string, result: Omit<InboundResult, 'key'>, now: Date): Promise<InboundResult> {
  const tx = new Transaction();
  tx.put('record:0', recordItem(key, result, now), { expression: 'attribute_not_exists(pk)' });
  try {
    await tx.commit();
  } catch (err) {
    if (err instanceof ConditionsFailed) return { ...((await getRecord(key)) ?? result), key, outcome: 'duplicate' };
    throw err;
  }
  return { key, ...result };
}

async function readObject(bucket: string, key: string): Promise<Uint8Array | undefined> {
  const { sdk: { GetObjectCommand }, client } = await s3Client();
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

async function quarantine(bucket: string, key: string): Promise<void> {
  const target = QUARANTINE_PREFIX + (key.startsWith(INBOUND_PREFIX) ? key.slice(INBOUND_PREFIX.length) : key);
  const { sdk: { CopyObjectCommand }, client } = await s3Client();
  await client.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}` }));
}

/** Handles one received object. Never throws for what the mail contains; throws for dependency failures (retried). */
export async function processInbound(bucket: string, key: string, now: Date, log: (entry: Record<string, unknown>) => void = () => {}): Promise<InboundResult> {
  const done = await getRecord(key);
  if (done) return { ...done, outcome: 'duplicate' };
  const raw = await readObject(bucket, key);
  if (!raw) return { key, outcome: 'missing' };
  const parsed = await parseMail(raw);
  if (!parsed.ok) {
    await quarantine(bucket, key);
    log({ msg: 'inbound mail quarantined', key, reason: parsed.reason, bytes: raw.byteLength });
    return recordAlone(key, { outcome: 'quarantined', reason: parsed.reason }, now);
  }
  const mail = parsed.mail;
  const loop = loopReason(mail, ownAddresses());
  if (loop) return recordAlone(key, { outcome: 'ignored', reason: loop }, now);

  const sender = await findSender(mail.from.address);
  const thread = ticketIdOf(mail);
  if (thread) {
    const appended = await appendToTicket(key, thread.ticketId, mail, sender, now);
    if (appended) return { ...appended, threadedBy: thread.by };
  }
  return openFromMail(key, mail, sender, now);
}

// Who wrote -------------------------------------------------------------------------------------------

interface Sender {
  /** Live customers the address belongs to, as contact (with the contact) or as the customer's own email. */
  matches: { customer: repo.CustomerRef; contactId?: string }[];
}

/**
 * The sender's contacts (gsi2 `CONTACTS#EMAIL#<email>`, one Query, oldest first) and the customer
 * whose own email it is (the uniqueness guard `UNQ#EMAIL#<email>`, one GetItem); archived
 * customers do not count.
 */
async function findSender(address: string): Promise<Sender> {
  const [contacts, guard] = await Promise.all([
    ddb().send(new QueryCommand({
      TableName: table(),
      IndexName: 'gsi2',
      KeyConditionExpression: 'gsi2pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.contact.byEmailPartition(address) },
      ProjectionExpression: 'id, customerId',
      Limit: 10,
    })),
    ddb().send(new GetCommand({ TableName: table(), Key: keys.unique.email(address), ProjectionExpression: 'customerId' })),
  ]);
  const wanted: { customerId: string; contactId?: string }[] = (contacts.Items ?? []).map((c) => ({ customerId: c.customerId as string, contactId: c.id as string }));
  if (guard.Item?.customerId) wanted.push({ customerId: guard.Item.customerId as string });
  const matches: Sender['matches'] = [];
  const customers = new Map<string, repo.CustomerRef | undefined>();
  for (const w of wanted) {
    if (!customers.has(w.customerId)) customers.set(w.customerId, await repo.getCustomer(w.customerId));
    const customer = customers.get(w.customerId);
    if (customer && !customer.archivedAt) matches.push({ customer, ...(w.contactId ? { contactId: w.contactId } : {}) });
  }
  return { matches };
}

// Answers -------------------------------------------------------------------------------------------

/**
 * Appends the mail to the ticket as a public inbound message, or returns undefined when it cannot
 * take it — no such ticket, closed, resolved beyond the reopen window, or a sender who is neither
 * its requester nor of its customer (a token alone is no proof of who writes) — and the mail opens
 * a new ticket instead.
 */
async function appendToTicket(key: string, ticketId: string, mail: InboundMail, sender: Sender, now: Date): Promise<InboundResult | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getTicket(ticketId);
    if (!current || current.status === 'closed') return undefined;
    const match = sender.matches.find((m) => m.customer.id === current.customerId);
    const isRequester = current.requester?.email === mail.from.address;
    if (!match && !isRequester) return undefined;
    const settings = await repo.getSettings();
    const reopen = current.status === 'pending' || current.status === 'resolved';
    if (current.status === 'resolved' && transitionProblem(current, 'open', now, settings.reopenDays ?? DEFAULT_REOPEN_DAYS)) return undefined;

    const message: MessageItem = {
      id: newId('msg'),
      ticketId,
      visibility: 'public',
      direction: 'inbound',
      body: mail.body || '(no text)',
      authorId: match?.contactId ?? INBOUND_PRINCIPAL.userId,
      createdAt: now.toISOString(),
      ...(mail.messageId ? { inboundMessageId: mail.messageId } : {}),
    };
    const next: TicketItem = { ...current, rev: current.rev + 1, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: INBOUND_PRINCIPAL.userId };
    if (mail.messageId) {
      // Our next reply answers this mail, in the same thread.
      next.lastEmailMessageId = mail.messageId;
      next.emailReferences = [...(current.emailReferences ?? []).filter((r) => r !== mail.messageId), mail.messageId].slice(-MAX_REFERENCES);
    }
    let action: 'updated' | 'reopened' = 'updated';
    const ctx = slaContext(settings);
    if (reopen) {
      // The customer answered: a pending ticket's clocks run again; a resolved one is reopened.
      next.sla = applyStatus(next.sla, current.status, 'open', now, ctx).sla;
      next.status = 'open';
      if (current.status === 'resolved') {
        delete next.resolvedAt;
        action = 'reopened';
      }
    }
    const result: Omit<InboundResult, 'key'> = { outcome: 'appended', ticketId, messageId: message.id };
    const audits = [messageAudit(message, current.customerId, INBOUND_PRINCIPAL, now), ...(next.status !== current.status ? [ticketAudit(current, next, action, INBOUND_PRINCIPAL, now)] : [])];
    try {
      await repo.saveTicket({
        before: current,
        after: next,
        message,
        audits,
        records: [recordItem(key, result, now)],
        counters: action === 'reopened' ? [{ at: now.toISOString(), queueId: next.queueId, priority: next.priority, add: { reopened: 1 } }] : [],
        timeZone: ctx.calendar.timeZone,
      });
      return { key, ...result };
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      if (err.labels.includes('record:0')) return { ...((await getRecord(key)) ?? { key, outcome: 'duplicate' }), outcome: 'duplicate' };
      if (!err.labels.includes('ticket') || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

// New tickets ---------------------------------------------------------------------------------------

async function openFromMail(key: string, mail: InboundMail, sender: Sender, now: Date): Promise<InboundResult> {
  const match = sender.matches.find((m) => m.contactId) ?? sender.matches[0];
  const known = match ? { customer: match.customer, contactId: match.contactId } : { customer: await placeholderCustomer(now), contactId: undefined };
  const settings = (await repo.getCustomerAndSettings(known.customer.id)).settings;
  const kind: InboundResult['sender'] = !match ? 'unknown' : match.contactId ? 'contact' : 'customer';
  const id = { outcome: 'created' as const, sender: kind };
  try {
    const ticket = await openTicket(INBOUND_PRINCIPAL, known.customer, settings, {
      subject: ticketSubject(mail.subject),
      ...(mail.body ? { description: mail.body } : {}),
      channel: 'email',
      customerId: known.customer.id,
      ...(known.contactId ? { contactId: known.contactId } : {}),
    }, now, {
      record: (ticketId) => recordItem(key, { ...id, ticketId }, now),
      // Without a contact (an unknown sender, or the customer's own address) replies go to the requester.
      ...(!known.contactId ? { requester: { email: mail.from.address, ...(mail.from.name ? { name: mail.from.name } : {}) } } : {}),
      ...(mail.messageId ? { emailMessageId: mail.messageId } : {}),
    });
    return { key, ...id, ticketId: ticket.id };
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('record:0')) return { ...((await getRecord(key)) ?? { key, outcome: 'duplicate' }), outcome: 'duplicate' };
    throw err;
  }
}

/** The name of the customer that holds tickets of unknown senders. */
export const PLACEHOLDER_NAME = 'Email senders without a contact';

/**
 * The placeholder customer of unknown senders, created on first need: the customer and the
 * settings item naming it in one transaction, so two concurrent first mails create one.
 */
async function placeholderCustomer(now: Date): Promise<repo.CustomerRef> {
  for (let attempt = 1; ; attempt++) {
    const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.inboundMail.settings(), ConsistentRead: true }));
    const id = out.Item?.placeholderCustomerId as string | undefined;
    if (id) {
      const customer = await repo.getCustomer(id);
      if (customer) return customer;
    }
    const at = now.toISOString();
    const customer: CustomerItem = {
      id: newId('cus'), type: 'company', name: PLACEHOLDER_NAME, source: 'email', tags: [], ownerId: INBOUND_PRINCIPAL.userId,
      contactCount: 0, contactsRev: 0, version: 1, createdAt: at, updatedAt: at, createdBy: INBOUND_PRINCIPAL.userId, updatedBy: INBOUND_PRINCIPAL.userId,
    };
    const tx = new Transaction();
    const changes = diff(undefined, customer, CUSTOMER_FIELDS, CUSTOMER_SENSITIVE);
    addCustomerWrites(tx, undefined, customer, auditItem({ customerId: customer.id, entityType: 'customer', entityId: customer.id, action: 'created', actor: INBOUND_PRINCIPAL, at: now, version: 1, changes, timeline: true }));
    tx.put('settings', { ...keys.inboundMail.settings(), kind: 'inbound-mail-settings', placeholderCustomerId: customer.id }, id ? { expression: 'placeholderCustomerId = :old', values: { ':old': id } } : { expression: 'attribute_not_exists(pk)' });
    try {
      await tx.commit();
      return { id: customer.id, ownerId: customer.ownerId };
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
