/**
 * Leads end to end against DynamoDB Local: CRUD, validation, database-enforced duplicate checks
 * (against open leads and live customers, also under concurrency), masking, row level, and lead
 * conversion — atomic, idempotent, and never creating a second customer.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/data/keys';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;
let seq = 0;
const uniq = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;
const email = () => `lead-${uniq()}@prospect.example`;
const phone = () => `+49 30 ${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

type Role = 'admin' | 'manager' | 'sales' | 'marketing' | 'service' | 'analyst';
async function createLead(body: Record<string, unknown>, role: Role = 'admin', userId?: string) {
  const res = await crm.request('POST', '/v1/leads', { role, userId, body: { lastName: 'Lead', ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Every customer whose name starts with `prefix` (one Query on the all-customers index). */
async function customersNamed(prefix: string) {
  const res = await crm.request('GET', `/v1/customers?q=${encodeURIComponent(prefix)}&limit=100`, { role: 'admin' });
  expect(res.status).toBe(200);
  return res.body.items as { id: string; name: string }[];
}

async function itemsIn(pk: string) {
  const out = await crm.ddb.send(new QueryCommand({ TableName: crm.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true }));
  return out.Items ?? [];
}

describe('capturing and reading leads', () => {
  it('creates a lead (status new, version 1, ETag, Location) and reads it back with one request', async () => {
    // The first write of a container reads the custom-field definitions (cached 15 s per container,
    // docs/custom-fields.md): warm it, so the figure below is the create's own.
    expect((await crm.request('POST', '/v1/leads', { role: 'sales', body: { lastName: 'Warm-up' } })).status).toBe(201);
    const res = await crm.request('POST', '/v1/leads', {
      role: 'sales',
      body: { firstName: 'Jana', lastName: 'Nowak', companyName: 'Nowak Bau', title: 'CEO', email: email(), phone: phone(), source: 'web', notes: 'Met at fair' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ firstName: 'Jana', lastName: 'Nowak', companyName: 'Nowak Bau', status: 'new', ownerId: rep1, version: 1 });
    expect(res.body.id).toMatch(/^led_[0-9A-Z]{26}$/);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe(`/v1/leads/${res.body.id}`);
    expect(res.headers.get('x-db-requests')).toBe('1'); // one TransactWrite (a sales rep's lead is theirs: no territory lookup)
    const got = await crm.request('GET', `/v1/leads/${res.body.id}`, { role: 'sales' });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);
    expect(got.headers.get('x-db-requests')).toBe('1');
  });

  it('rejects invalid input with a precise 400 and writes nothing', async () => {
    const before = await crm.request('GET', '/v1/leads?limit=100', { role: 'admin' });
    const res = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: '', email: 'nope', status: 'converted', source: 'tv', extra: 1 } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['lastName', 'email', 'status', 'source']));
    const noReason = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'X', status: 'disqualified' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors.map((e: { path: string }) => e.path)).toContain('disqualifiedReason');
    const after = await crm.request('GET', '/v1/leads?limit=100', { role: 'admin' });
    expect(after.body.items.length).toBe(before.body.items.length);
    expect((await crm.request('GET', '/v1/leads/led_nope', { role: 'admin' })).status).toBe(404);
    expect((await crm.request('GET', '/v1/leads/led_00000000000000000000000000', { role: 'admin' })).status).toBe(404);
  });

  it('lets a sales rep create only leads they own; an admin may name any owner', async () => {
    expect((await crm.request('POST', '/v1/leads', { role: 'sales', body: { lastName: 'X', ownerId: rep2 } })).status).toBe(403);
    const lead = await createLead({ ownerId: rep2 });
    expect(lead.ownerId).toBe(rep2);
  });

  it('lists with owner, status, source and name-prefix filters, one Query per page, with signed cursors', async () => {
    const tag = uniq();
    await createLead({ lastName: `Zed${tag}a`, source: 'event', ownerId: rep2 });
    await createLead({ lastName: `Zed${tag}b`, source: 'referral', ownerId: rep2 });
    await createLead({ lastName: `Zed${tag}c`, source: 'event', ownerId: rep1, status: 'working' });
    const byName = await crm.request('GET', `/v1/leads?q=zed${tag}`, { role: 'manager' });
    expect(byName.body.items.map((l: { lastName: string }) => l.lastName)).toEqual([`Zed${tag}a`, `Zed${tag}b`, `Zed${tag}c`]);
    expect(byName.headers.get('x-db-requests')).toBe('1');
    const bySource = await crm.request('GET', `/v1/leads?q=zed${tag}&source=event`, { role: 'manager' });
    expect(bySource.body.items).toHaveLength(2);
    const byStatus = await crm.request('GET', `/v1/leads?q=zed${tag}&status=working`, { role: 'manager' });
    expect(byStatus.body.items.map((l: { lastName: string }) => l.lastName)).toEqual([`Zed${tag}c`]);
    const byOwner = await crm.request('GET', `/v1/leads?q=zed${tag}&ownerId=${rep2}&source=event`, { role: 'manager' });
    expect(byOwner.body.items.map((l: { lastName: string }) => l.lastName)).toEqual([`Zed${tag}a`]);
    expect(byOwner.headers.get('x-db-requests')).toBe('1');
    // A sales rep sees only their own leads, whatever they ask for.
    const own = await crm.request('GET', `/v1/leads?q=zed${tag}`, { role: 'sales' });
    expect(own.body.items.map((l: { lastName: string }) => l.lastName)).toEqual([`Zed${tag}c`]);
    expect((await crm.request('GET', `/v1/leads?ownerId=${rep2}`, { role: 'sales' })).body.items).toEqual([]);
    // Pagination and cursor tampering.
    const page1 = await crm.request('GET', `/v1/leads?q=zed${tag}&limit=2`, { role: 'manager' });
    expect(page1.body.items).toHaveLength(2);
    const page2 = await crm.request('GET', `/v1/leads?q=zed${tag}&limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`, { role: 'manager' });
    expect(page2.body.items.map((l: { lastName: string }) => l.lastName)).toEqual([`Zed${tag}c`]);
    const tampered = await crm.request('GET', `/v1/leads?q=zed${tag}&limit=2&cursor=${encodeURIComponent(`${page1.body.nextCursor}x`)}`, { role: 'manager' });
    expect(tampered.status).toBe(400);
    const otherQuery = await crm.request('GET', `/v1/leads?source=event&limit=2&cursor=${encodeURIComponent(page1.body.nextCursor)}`, { role: 'manager' });
    expect(otherQuery.status).toBe(400);
  });

  it('masks email and phone for roles without pii:read (analyst, marketing) and names the masked fields', async () => {
    const lead = await createLead({ email: 'maria.muster@prospect.example', phone: '+49 89 1234567' });
    const analyst = await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'analyst' });
    expect(analyst.status).toBe(200);
    expect(analyst.body).toMatchObject({ email: 'm***@prospect.example', phone: '***67', masked: ['email', 'phone'] });
    const list = await crm.request('GET', '/v1/leads?limit=100', { role: 'marketing' });
    const inList = list.body.items.find((l: { id: string }) => l.id === lead.id);
    expect(inList.email).toBe('m***@prospect.example');
    const admin = await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'admin' });
    expect(admin.body.email).toBe('maria.muster@prospect.example');
    expect(admin.body.masked).toBeUndefined();
  });

  it('answers 404 to a sales rep for another rep\'s lead on every record route', async () => {
    const lead = await createLead({ ownerId: rep2 });
    expect((await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'sales' })).status).toBe(404);
    expect((await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'sales', body: { notes: 'x' } })).status).toBe(404);
    expect((await crm.request('DELETE', `/v1/leads/${lead.id}`, { role: 'sales' })).status).toBe(404);
    expect((await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'sales', body: {} })).status).toBe(404);
    expect((await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'sales', userId: rep2 })).status).toBe(200);
  });
});

describe('changing and deleting leads', () => {
  it('updates with If-Match (412 when stale), needs a reason to disqualify, and refuses reassignment by a rep', async () => {
    const lead = await createLead({ ownerId: rep1 });
    const changed = await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'sales', body: { status: 'working', title: 'CTO' }, headers: { 'if-match': '"1"' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ status: 'working', title: 'CTO', version: 2 });
    expect(changed.headers.get('x-db-requests')).toBe('2');
    expect((await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'sales', body: { title: 'CFO' }, headers: { 'if-match': '"1"' } })).status).toBe(412);
    const noReason = await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'sales', body: { status: 'disqualified' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors[0].path).toBe('disqualifiedReason');
    const dq = await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'sales', body: { status: 'disqualified', disqualifiedReason: 'No budget' } });
    expect(dq.body).toMatchObject({ status: 'disqualified', disqualifiedReason: 'No budget', version: 3 });
    expect((await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'sales', body: { status: 'converted' } })).status).toBe(400);
    expect((await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'sales', body: { ownerId: rep2 } })).status).toBe(403);
    const reassigned = await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'manager', body: { ownerId: rep2 } });
    expect(reassigned.body.ownerId).toBe(rep2);
    expect((await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'sales' })).status).toBe(404);
  });

  it('deletes a lead (204, If-Match honoured) and releases its email so it can be captured again', async () => {
    const address = email();
    const lead = await createLead({ email: address });
    expect((await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Again', email: address } })).status).toBe(409);
    expect((await crm.request('DELETE', `/v1/leads/${lead.id}`, { role: 'admin', headers: { 'if-match': '"7"' } })).status).toBe(412);
    expect((await crm.request('DELETE', `/v1/leads/${lead.id}`, { role: 'admin', headers: { 'if-match': '"1"' } })).status).toBe(204);
    expect((await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'admin' })).status).toBe(404);
    await createLead({ lastName: 'Again', email: address.toUpperCase() });
  });
});

describe('duplicate detection, enforced by the database', () => {
  it('answers 409 naming an open lead with the same normalised email or phone', async () => {
    const address = email();
    const number = phone();
    const first = await createLead({ email: address, phone: number });
    const byEmail = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Dup', email: address.toUpperCase() } });
    expect(byEmail.status).toBe(409);
    expect(byEmail.body).toMatchObject({ existingId: first.id });
    expect(byEmail.body.detail).toContain('lead');
    const byPhone = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Dup', phone: number.replace(/ /g, '').replace('+', '00') } });
    expect(byPhone.status).toBe(409);
    expect(byPhone.body.existingId).toBe(first.id);
  });

  it('answers 409 naming a live customer with the same email or phone, also for a lead created disqualified', async () => {
    const address = email();
    const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Dup Customer ${uniq()}`, email: address } });
    expect(customer.status).toBe(201);
    const res = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Dup', email: address } });
    expect(res.status).toBe(409);
    expect(res.body.existingId).toBe(customer.body.id);
    expect(res.body.detail).toContain('customer');
    const closed = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Dup', email: address, status: 'disqualified', disqualifiedReason: 'Test' } });
    expect(closed.status).toBe(409);
  });

  it('disqualifying releases the guard; requalifying takes it back (409 if someone took it meanwhile)', async () => {
    const address = email();
    const first = await createLead({ email: address });
    await crm.request('PATCH', `/v1/leads/${first.id}`, { role: 'admin', body: { status: 'disqualified', disqualifiedReason: 'Wrong person' } });
    const second = await createLead({ email: address });
    const requalify = await crm.request('PATCH', `/v1/leads/${first.id}`, { role: 'admin', body: { status: 'working' } });
    expect(requalify.status).toBe(409);
    expect(requalify.body.existingId).toBe(second.id);
    expect((await crm.request('GET', `/v1/leads/${first.id}`, { role: 'admin' })).body.status).toBe('disqualified');
  });

  it('checks a changed email or phone the same way on PATCH (and moves the guard)', async () => {
    const address = email();
    const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'person', name: `Patch Holder ${uniq()}`, email: address } });
    const lead = await createLead({ email: email() });
    const res = await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'admin', body: { email: address } });
    expect(res.status).toBe(409);
    expect(res.body.existingId).toBe(customer.body.id);
    const freed = lead.email;
    const moved = await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'admin', body: { email: email() } });
    expect(moved.status).toBe(200);
    await createLead({ email: freed }); // the old address is free again
  });

  it('lets exactly one of many concurrent creates with the same email win', async () => {
    const address = email();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: `Race${i}`, email: address } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409]);
    const winner = results.find((r) => r.status === 201)!.body.id;
    for (const loser of results.filter((r) => r.status === 409)) expect(loser.body.existingId).toBe(winner);
  });
});

describe('converting a lead', () => {
  it('creates customer, contact and lead → converted in one transaction; the contact carries the person', async () => {
    const tag = uniq();
    const address = email();
    const lead = await createLead({ firstName: 'Ola', lastName: 'Berg', companyName: `Conv${tag} AS`, title: 'Buyer', email: address, phone: phone(), industry: 'Retail', country: 'NO', source: 'event' }, 'sales');
    const res = await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'sales', body: {} });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ customerCreated: true, lead: { status: 'converted', version: 2 } });
    expect(res.headers.get('x-db-requests')).toBe('2'); // GetItem of the lead + one TransactWrite
    const customer = await crm.request('GET', `/v1/customers/${res.body.customerId}`, { role: 'sales' });
    expect(customer.body).toMatchObject({ type: 'company', name: `Conv${tag} AS`, ownerId: rep1, industry: 'Retail', source: 'event', email: address, contactCount: 1 });
    const contact = await crm.request('GET', `/v1/contacts/${res.body.contactId}`, { role: 'sales' });
    expect(contact.body).toMatchObject({ customerId: res.body.customerId, firstName: 'Ola', lastName: 'Berg', jobTitle: 'Buyer', email: address, isPrimary: true });
    const after = await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'sales' });
    expect(after.body).toMatchObject({ status: 'converted', convertedCustomerId: res.body.customerId, convertedContactId: res.body.contactId });
    // The email now belongs to the customer: a new lead with it is a duplicate of the customer.
    const again = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Berg', email: address } });
    expect(again.status).toBe(409);
    expect(again.body.existingId).toBe(res.body.customerId);
    // Converted leads are kept: no change, no delete.
    expect((await crm.request('PATCH', `/v1/leads/${lead.id}`, { role: 'sales', body: { notes: 'x' } })).status).toBe(409);
    expect((await crm.request('DELETE', `/v1/leads/${lead.id}`, { role: 'sales' })).status).toBe(409);
  });

  it('a repeated convert answers 409 naming what was created; the same Idempotency-Key replays', async () => {
    const tag = uniq();
    const lead = await createLead({ lastName: `Rep${tag}` });
    const key = `convert-${tag}`;
    const first = await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'admin', body: {}, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(200);
    const replay = await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'admin', body: {}, headers: { 'idempotency-key': key } });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    const repeat = await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'admin', body: {} });
    expect(repeat.status).toBe(409);
    expect(repeat.body.existingId).toBe(first.body.customerId);
    expect(repeat.body.detail).toContain(first.body.contactId);
    expect(await customersNamed(`Rep${tag}`)).toHaveLength(1);
  });

  it('concurrent converts of one lead create exactly one customer', async () => {
    const tag = uniq();
    const lead = await createLead({ lastName: `Race${tag}`, email: email() });
    const results = await Promise.all(Array.from({ length: 5 }, () => crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'admin', body: {} })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409]);
    const winner = results.find((r) => r.status === 200)!.body;
    for (const loser of results.filter((r) => r.status === 409)) expect(loser.body.existingId).toBe(winner.customerId);
    const customers = await customersNamed(`Race${tag}`);
    expect(customers.map((c) => c.id)).toEqual([winner.customerId]);
    expect((await crm.request('GET', `/v1/customers/${winner.customerId}/contacts`, { role: 'admin' })).body.items).toHaveLength(1);
  });

  it('links an existing customer instead of creating one (contact added, count and primary kept right)', async () => {
    const customer = await crm.request('POST', '/v1/customers', { role: 'sales', body: { type: 'company', name: `Linked ${uniq()}` } });
    const lead = await createLead({ firstName: 'Kai', lastName: 'Link' }, 'sales');
    const res = await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'sales', body: { customerId: customer.body.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ customerId: customer.body.id, customerCreated: false });
    expect(res.headers.get('x-db-requests')).toBe('3'); // lead, customer, one TransactWrite
    const got = await crm.request('GET', `/v1/customers/${customer.body.id}`, { role: 'sales' });
    expect(got.body.contactCount).toBe(1);
    const contact = await crm.request('GET', `/v1/contacts/${res.body.contactId}`, { role: 'sales' });
    expect(contact.body).toMatchObject({ lastName: 'Link', isPrimary: true });
  });

  it('a customer that does not exist or the rep may not see: 404 and nothing written', async () => {
    const other = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Hidden ${uniq()}`, ownerId: rep2 } });
    const lead = await createLead({ lastName: 'Nolink' }, 'sales');
    for (const customerId of ['cus_00000000000000000000000000', other.body.id]) {
      const res = await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'sales', body: { customerId } });
      expect(res.status).toBe(404);
    }
    const after = await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'sales' });
    expect(after.body).toMatchObject({ status: 'new', version: 1 });
    expect((await crm.request('GET', `/v1/customers/${other.body.id}`, { role: 'admin' })).body.contactCount).toBe(0);
  });

  it('is atomic: when the customer step fails inside the transaction nothing is written (no customer, no contact, lead unchanged)', async () => {
    const tag = uniq();
    const address = email();
    const lead = await createLead({ lastName: `Atom${tag}`, email: address });
    // Someone creates a customer with the lead's email after the lead was captured.
    const holder = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'person', name: `Holder ${tag}`, email: address } });
    const res = await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'admin', body: {} });
    expect(res.status).toBe(409);
    expect(res.body.existingId).toBe(holder.body.id);
    expect(await customersNamed(`Atom${tag}`)).toEqual([]);
    const after = await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'admin' });
    expect(after.body).toMatchObject({ status: 'new', version: 1 });
    expect(after.body.convertedCustomerId).toBeUndefined();
    // Only the creation's audit entry in the lead's partition; the lead keeps its guard.
    expect((await itemsIn(`LEAD#${lead.id}`)).filter((i) => String(i.sk).startsWith('AUD#'))).toHaveLength(1);
    // Linking the existing customer instead succeeds.
    const linked = await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'admin', body: { customerId: holder.body.id } });
    expect(linked.status).toBe(200);
  });

  it('is atomic when the deal step fails (unknown stage): no customer, no contact, no deal, lead unchanged', async () => {
    const tag = uniq();
    const lead = await createLead({ lastName: `DealFail${tag}` });
    const res = await crm.request('POST', `/v1/leads/${lead.id}/convert`, {
      role: 'admin', body: { createDeal: { name: 'Big one', amount: { amount: 125000, currency: 'EUR' }, stageId: 'no-such-stage' } },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await customersNamed(`DealFail${tag}`)).toEqual([]);
    expect((await crm.request('GET', `/v1/leads/${lead.id}`, { role: 'admin' })).body).toMatchObject({ status: 'new', version: 1 });
  });

  it('creates the deal in the same transaction when asked (deals contract)', async () => {
    const tag = uniq();
    const lead = await createLead({ lastName: `Dealy${tag}` }, 'sales');
    const res = await crm.request('POST', `/v1/leads/${lead.id}/convert`, {
      role: 'sales', body: { createDeal: { name: `Dealy ${tag}`, amount: { amount: 990000, currency: 'EUR' }, expectedCloseDate: '2026-12-15' } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.dealId).toBeTruthy();
    expect(res.headers.get('x-db-requests')).toBe('3'); // lead, the deals helper's pipeline read, one TransactWrite
    expect(res.body.lead.convertedDealId).toBe(res.body.dealId);
    const deal = await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.deal.primary(res.body.dealId) }));
    expect(deal.Item).toMatchObject({ customerId: res.body.customerId, contactId: res.body.contactId, ownerId: rep1, source: { kind: 'lead', id: lead.id } });
  });

  it('refuses to convert a disqualified lead and hides the route from roles without leads:convert', async () => {
    const lead = await createLead({ lastName: 'Dq', status: 'disqualified', disqualifiedReason: 'Spam' });
    expect((await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'admin', body: {} })).status).toBe(409);
    expect((await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'marketing', body: {} })).status).toBe(403);
    expect((await crm.request('POST', `/v1/leads/${lead.id}/convert`, { role: 'admin', body: { customerId: 'x' } })).status).toBe(400);
  });
});
