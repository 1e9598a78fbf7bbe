/**
 * Inbound email end to end on the local engines: a raw .eml put into the local inbound bucket runs
 * the inbound-mail handler through the local S3's ObjectCreated event (as `npm run mail` does),
 * against DynamoDB Local and the local SES. New tickets from a known contact and from an unknown
 * sender, answers threaded by token and by In-Reply-To, a pending ticket reopened, loop
 * protection, malformed mail quarantined without a crash loop, the same object twice → one
 * message. Also the service desk's loose ends: contract links checked with the contracts
 * feature's condition, a queue change re-running round robin, an unsent reply resent once.
 */
import { CopyObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/data/keys';
import { LOCAL_CREDENTIALS, LOCAL_INBOUND_BUCKET, LOCAL_REGION } from '../../local/env';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
let s3: S3Client;
let seq = 0;
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

beforeAll(async () => {
  crm = await startTestStack({ ses: true, s3: true });
  s3 = new S3Client({ endpoint: crm.s3Endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
});
afterAll(async () => {
  s3?.destroy();
  await crm?.stop();
});

/** Delivers raw mail as SES would store it, waits for the handler, returns its record. */
async function deliver(raw: string | Uint8Array, key = `inbound/${uid('mail')}`) {
  await s3.send(new PutObjectCommand({ Bucket: LOCAL_INBOUND_BUCKET, Key: key, Body: raw }));
  await crm.inboundSettled();
  const record = await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.inboundMail.record(key), ConsistentRead: true }));
  expect(record.Item, `no record for ${key}`).toBeDefined();
  const item = record.Item ?? {};
  const text = (name: string) => (item[name] === undefined ? {} : { [name]: String(item[name]) });
  return { key, outcome: String(item.outcome), ticketId: String(item.ticketId ?? ''), ...text('reason'), ...text('sender') };
}

const eml = (headers: Record<string, string>, body = 'Hello, please help.') =>
  `${Object.entries({ To: 'support@example.com', 'Message-ID': `<${uid('m')}@mail.example.org>`, ...headers }).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}\r\n`;

async function customerWithContact() {
  const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Mail Co ${uid('c')}` } });
  expect(customer.status).toBe(201);
  const email = `${uid('ida')}@customer.example`;
  const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: 'Meier', email } });
  expect(contact.status).toBe(201);
  return { customerId: customer.body.id as string, contactId: contact.body.id as string, email };
}

const messagesOf = async (ticketId: string) => (await crm.request('GET', `/v1/tickets/${ticketId}/messages`, { role: 'service' })).body.items as Record<string, unknown>[];
const ticket = async (ticketId: string) => (await crm.request('GET', `/v1/tickets/${ticketId}`, { role: 'service' })).body;
const reply = async (ticketId: string, body: string) => {
  const res = await crm.request('POST', `/v1/tickets/${ticketId}/messages`, { role: 'service', body: { visibility: 'public', body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

// Generous limits: the first case loads three handlers cold, and the machine may be busy.
describe('inbound email', { timeout: 120_000 }, () => {
  it('opens a ticket for a known contact; answers thread back by token and by In-Reply-To; a pending ticket opens again', async () => {
    const { customerId, contactId, email } = await customerWithContact();
    const first = await deliver(eml({ From: `Ida Meier <${email.toUpperCase()}>`, Subject: 'Boiler knocks' }, 'Knocking since this morning.'));
    expect(first).toMatchObject({ outcome: 'created', sender: 'contact' });
    const opened = await ticket(first.ticketId);
    expect(opened).toMatchObject({ subject: 'Boiler knocks', channel: 'email', status: 'new', customerId, contactId, description: 'Knocking since this morning.' });

    // The agent's reply carries the token and answers the customer's mail.
    const agent = await reply(first.ticketId, 'We come tomorrow.');
    expect(agent.email.status).toBe('sent');
    const sent = (await crm.sentEmails()).filter((e) => e.destination.to.includes(email));
    expect(sent).toHaveLength(1);
    expect(sent[0].subject).toBe(`Re: Boiler knocks [#${first.ticketId}]`);

    // By the token in the subject.
    const byToken = await deliver(eml({ From: email, Subject: sent[0].subject }, 'Thanks, 10:00 suits us.'));
    expect(byToken).toMatchObject({ outcome: 'appended', ticketId: first.ticketId });
    // By In-Reply-To only (a client that rewrote the subject), after the agent set it pending.
    expect((await crm.request('PATCH', `/v1/tickets/${first.ticketId}`, { role: 'service', body: { status: 'pending' } })).body.status).toBe('pending');
    const byHeader = await deliver(eml({ From: email, Subject: 'our boiler', 'In-Reply-To': agent.email.messageId }, 'It stopped knocking.'));
    expect(byHeader).toMatchObject({ outcome: 'appended', ticketId: first.ticketId });

    const after = await ticket(first.ticketId);
    expect(after.status).toBe('open');
    expect(after.sla.resolution.state).toBe('running');
    const conversation = await messagesOf(first.ticketId);
    expect(conversation.map((m) => [m.direction, m.visibility, m.body])).toEqual([
      ['outbound', 'public', 'We come tomorrow.'],
      ['inbound', 'public', 'Thanks, 10:00 suits us.'],
      ['inbound', 'public', 'It stopped knocking.'],
    ]);
    expect(conversation[1]!.authorId).toBe(contactId);
    // Our next reply answers the customer's latest mail, in the same thread.
    const next = await reply(first.ticketId, 'Good to hear.');
    expect(next.email.inReplyTo).toMatch(/@mail\.example\.org>$/);
  });

  it('a token from someone outside the ticket\'s customer opens a new ticket instead of writing into it', async () => {
    const a = await customerWithContact();
    const b = await customerWithContact();
    const original = await deliver(eml({ From: a.email, Subject: 'Invoice question' }));
    const intruder = await deliver(eml({ From: b.email, Subject: `Re: Invoice question [#${original.ticketId}]` }, 'Injected'));
    expect(intruder).toMatchObject({ outcome: 'created', sender: 'contact' });
    expect(intruder.ticketId).not.toBe(original.ticketId);
    expect((await ticket(intruder.ticketId)).customerId).toBe(b.customerId);
    expect(await messagesOf(original.ticketId)).toEqual([]);
  });

  it('an unknown sender gets a ticket under the placeholder customer as its requester, and the reply goes to them', async () => {
    const stranger = `${uid('stranger')}@elsewhere.example`;
    const one = await deliver(eml({ From: `Sam Stranger <${stranger}>`, Subject: 'Do you service heat pumps?' }));
    const two = await deliver(eml({ From: `${uid('other')}@elsewhere.example`, Subject: 'Price list?' }));
    expect(one).toMatchObject({ outcome: 'created', sender: 'unknown' });
    const t1 = await ticket(one.ticketId);
    const t2 = await ticket(two.ticketId);
    expect(t1.customerId).toBe(t2.customerId);
    expect(t1.contactId).toBeUndefined();
    expect(t1.requester).toEqual({ email: stranger, name: 'Sam Stranger' });
    const placeholder = await crm.request('GET', `/v1/customers/${t1.customerId}`, { role: 'admin' });
    expect(placeholder.body.name).toBe('Email senders without a contact');
    // Analysts see the requester masked.
    const masked = await crm.request('GET', `/v1/tickets/${one.ticketId}`, { role: 'analyst' });
    expect(masked.body.requester.email).not.toBe(stranger);

    const answer = await reply(one.ticketId, 'Yes, we do.');
    expect(answer.email.status).toBe('sent');
    expect((await crm.sentEmails()).filter((e) => e.destination.to.includes(stranger))).toHaveLength(1);
    // The requester's answer threads back (the token), though no contact exists.
    const back = await deliver(eml({ From: stranger, Subject: `Re: Do you service heat pumps? [#${one.ticketId}]` }, 'Great, call me.'));
    expect(back).toMatchObject({ outcome: 'appended', ticketId: one.ticketId });
  });

  it('auto-replies, bounces, bulk mail and our own mail never open or answer a ticket', async () => {
    const { email } = await customerWithContact();
    const open = await deliver(eml({ From: email, Subject: 'Leak' }));
    const token = `[#${open.ticketId}]`;
    const cases: [Record<string, string>, string][] = [
      [{ From: email, Subject: `Out of office: Re: Leak ${token}`, 'Auto-Submitted': 'auto-replied' }, 'auto-submitted'],
      [{ From: email, Subject: `Re: Leak ${token}`, 'X-Autoreply': 'yes' }, 'auto-reply'],
      [{ From: email, Subject: 'Newsletter', Precedence: 'bulk' }, 'precedence bulk'],
      [{ From: 'support@example.com', Subject: `Re: Leak ${token}` }, 'from our own address'],
      [{ From: 'crm-notifications@example.com', Subject: `Re: Leak ${token}` }, 'from our own address'],
    ];
    for (const [headers, reason] of cases) expect(await deliver(eml(headers))).toMatchObject({ outcome: 'ignored', reason });
    const bounce = await deliver(readFileSync(new URL('../fixtures/inbound-mail/bounce.eml', import.meta.url)));
    expect(bounce).toMatchObject({ outcome: 'ignored', reason: 'delivery report' });
    expect(await messagesOf(open.ticketId)).toEqual([]);
    expect((await crm.request('GET', `/v1/tickets?customerId=${(await ticket(open.ticketId)).customerId}`, { role: 'service' })).body.items).toHaveLength(1);
  });

  it('malformed mail is quarantined for inspection and the invocation succeeds; the same object twice does nothing twice', async () => {
    const bad = await deliver(readFileSync(new URL('../fixtures/inbound-mail/malformed.eml', import.meta.url)));
    expect(bad).toMatchObject({ outcome: 'quarantined', reason: 'no header block' });
    const copy = await s3.send(new HeadObjectCommand({ Bucket: LOCAL_INBOUND_BUCKET, Key: bad.key.replace('inbound/', 'quarantine/') }));
    expect(copy.ContentLength).toBeGreaterThan(0);

    const { email } = await customerWithContact();
    const raw = eml({ From: email, Subject: 'Twice' });
    const key = `inbound/${uid('same')}`;
    const once = await deliver(raw, key);
    const answer = eml({ From: email, Subject: `Re: Twice [#${once.ticketId}]` }, 'Only once, please.');
    const answerKey = `inbound/${uid('answer')}`;
    await deliver(answer, answerKey);
    // Redelivery: the same objects written again (a new ObjectCreated event each), and a direct invocation.
    await deliver(raw, key);
    await s3.send(new CopyObjectCommand({ Bucket: LOCAL_INBOUND_BUCKET, Key: answerKey, CopySource: `${LOCAL_INBOUND_BUCKET}/${answerKey}`, MetadataDirective: 'REPLACE' }));
    await crm.inboundSettled();
    const { handler } = await import('../../functions/tickets/inbound-handler');
    const direct = await handler({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: LOCAL_INBOUND_BUCKET }, object: { key: answerKey } } }] });
    expect(direct).toMatchObject([{ outcome: 'duplicate', ticketId: once.ticketId }]);
    expect((await messagesOf(once.ticketId)).map((m) => m.body)).toEqual(['Only once, please.']);
    const customerId = (await ticket(once.ticketId)).customerId;
    expect((await crm.request('GET', `/v1/tickets?customerId=${customerId}`, { role: 'service' })).body.items).toHaveLength(1);
  });
});

describe('service desk loose ends', { timeout: 120_000 }, () => {
  it('a contract link is proven with the contracts feature\'s condition: another customer\'s contract is a 400', async () => {
    const a = await customerWithContact();
    const b = await customerWithContact();
    const contract = await crm.request('POST', '/v1/contracts', {
      role: 'admin',
      body: { number: uid('CTR'), customerId: a.customerId, startDate: '2026-01-01', endDate: '2027-12-31', value: { amount: 100_00, currency: 'EUR' }, billingCycle: 'yearly' },
    });
    expect(contract.status, JSON.stringify(contract.body)).toBe(201);
    const ok = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Service', channel: 'phone', customerId: a.customerId, contractId: contract.body.id } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const wrong = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Service', channel: 'phone', customerId: b.customerId, contractId: contract.body.id } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([{ path: 'contractId', message: 'No such contract of this customer' }]);
    const patched = await crm.request('PATCH', `/v1/tickets/${ok.body.id}`, { role: 'service', body: { contractId: 'ctr_00000000000000000000000000' } });
    expect(patched.status).toBe(400);
  });

  it('moving a ticket to another queue assigns that queue\'s next member (round robin); an explicit assignee wins', async () => {
    const { customerId } = await customerWithContact();
    const members = [uid('agent'), uid('agent')];
    const queue = await crm.request('POST', '/v1/queues', { role: 'admin', body: { name: `Move ${uid('q')}`, memberIds: members, autoAssign: true } });
    expect(queue.status).toBe(201);
    const open = async () => (await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Move me', channel: 'phone', customerId, assigneeId: 'someone-else' } })).body;
    const [t1, t2, t3] = [await open(), await open(), await open()];
    const move = (id: string, body: Record<string, unknown>) => crm.request('PATCH', `/v1/tickets/${id}`, { role: 'service', body });
    const m1 = await move(t1.id, { queueId: queue.body.id });
    const m2 = await move(t2.id, { queueId: queue.body.id });
    expect([m1.body.assigneeId, m2.body.assigneeId].sort()).toEqual([...members].sort());
    const m3 = await move(t3.id, { queueId: queue.body.id, assigneeId: 'chosen-agent' });
    expect(m3.body.assigneeId).toBe('chosen-agent');
    expect((await move(t3.id, { queueId: 'que_00000000000000000000000000' })).status).toBe(400);
  });

  it('a reply whose email failed is resent exactly once by the ticket-emails job', async () => {
    const { customerId, contactId, email } = await customerWithContact();
    const created = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Resend', channel: 'phone', customerId, contactId } });
    // Failure injection: the SES client refuses every send while the middleware is in place.
    const { sesClient } = await import('../../functions/notifications/email');
    const ses = await sesClient();
    ses.middlewareStack.add(() => async () => { throw Object.assign(new Error('injected SES outage'), { name: 'ServiceUnavailable' }); }, { step: 'initialize', name: 'injectedOutage' });
    let failed;
    try {
      failed = await reply(created.body.id, 'Your part has arrived.');
    } finally {
      ses.middlewareStack.remove('injectedOutage');
    }
    expect(failed.email.status).toBe('failed');
    expect((await crm.sentEmails()).filter((e) => e.destination.to.includes(email))).toHaveLength(0);

    const soon = new Date(Date.now() + 30_000).toISOString();
    expect(await crm.runJob('ticket-emails', soon)).toMatchObject({ resent: 0 }); // still the request's to send
    const later = new Date(Date.now() + 3 * 60_000).toISOString();
    const runs = await Promise.all([crm.runJob('ticket-emails', later), crm.runJob('ticket-emails', later)]) as { resent: number }[];
    expect(runs.reduce((sum, run) => sum + run.resent, 0)).toBe(1);
    expect(await crm.runJob('ticket-emails', later)).toMatchObject({ due: 0, resent: 0 });
    const inbox = (await crm.sentEmails()).filter((e) => e.destination.to.includes(email));
    expect(inbox).toHaveLength(1);
    expect(inbox[0].headers.find((h: { name: string }) => h.name === 'Message-ID').value).toBe(failed.email.messageId);
    expect((await messagesOf(created.body.id)).at(-1)!.email).toMatchObject({ status: 'sent' });
  });
});
