/**
 * Security review: row-level leaks through filters, child routes and links in bodies; field masking
 * wherever personal data appears; cursors and idempotency keys across users. Each test states who
 * must not see or do what; all requests run through the real gateway and handlers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

const rand = () => Math.random().toString(36).slice(2, 10);

async function customer(ownerId: string, extra: Record<string, unknown> = {}) {
  const res = await crm.request('POST', '/v1/customers', {
    role: 'admin',
    body: {
      type: 'company', name: `Sec ${rand()}`, ownerId, email: `c-${rand()}@sec.example`, phone: `+49 30 ${Math.floor(1e6 + Math.random() * 8e6)}`,
      address: { line1: 'Secret street 1', postalCode: '10115', city: 'Berlin', country: 'DE' }, taxId: 'DE123456789', ...extra,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

async function contact(customerId: string) {
  const res = await crm.request('POST', `/v1/customers/${customerId}/contacts`, { role: 'admin', body: { lastName: 'Secret', email: `p-${rand()}@sec.example`, phone: '+49 170 1234567', mobile: '+49 171 7654321' } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

async function deal(customerId: string, ownerId: string) {
  const res = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: `Deal ${rand()}`, customerId, ownerId, amount: { amount: 1000, currency: 'EUR' }, expectedCloseDate: '2026-11-15' } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}

describe('links in bodies', () => {
  it('rejects an activity on my customer that links another rep\'s deal of another customer (links must belong to the customer)', async () => {
    const mine = await customer(rep1);
    const theirs = await customer(rep2);
    const theirDeal = await deal(theirs.id, rep2);
    const res = await crm.request('POST', '/v1/activities', { role: 'sales', userId: rep1, body: { customerId: mine.id, type: 'note', links: { dealId: theirDeal.id } } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'links.dealId', message: 'No such record of this customer' }]);
    // The same answer as for a deal that does not exist: nothing to probe.
    const missing = await crm.request('POST', '/v1/activities', { role: 'sales', userId: rep1, body: { customerId: mine.id, type: 'note', links: { dealId: 'deal_00000000000000000000000000' } } });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual(res.body.errors);
    // A deal of the activity's own customer links fine, also on PATCH.
    const myDeal = await deal(mine.id, rep1);
    const ok = await crm.request('POST', '/v1/activities', { role: 'sales', userId: rep1, body: { customerId: mine.id, type: 'note', links: { dealId: myDeal.id } } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const patched = await crm.request('PATCH', `/v1/activities/${ok.body.id}`, { role: 'sales', userId: rep1, body: { links: { dealId: theirDeal.id } } });
    expect(patched.status).toBe(400);
  });

  it('does not let a rep convert a lead into another rep\'s customer, nor create deals, tasks, contacts, assets or quotes on their records', async () => {
    const theirs = await customer(rep2);
    const theirDeal = await deal(theirs.id, rep2);
    const lead = await crm.request('POST', '/v1/leads', { role: 'sales', userId: rep1, body: { lastName: 'Link', companyName: `Lead ${rand()}` } });
    expect(lead.status).toBe(201);
    const convert = await crm.request('POST', `/v1/leads/${lead.body.id}/convert`, { role: 'sales', userId: rep1, body: { customerId: theirs.id } });
    expect(convert.status).toBe(404);
    const deals = await crm.request('POST', '/v1/deals', { role: 'sales', userId: rep1, body: { name: 'x', customerId: theirs.id, amount: { amount: 1, currency: 'EUR' } } });
    expect(deals.status).toBe(404);
    const task = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: rep1, body: { title: 'x', customerId: theirs.id } });
    expect(task.status).toBe(400);
    const con = await crm.request('POST', `/v1/customers/${theirs.id}/contacts`, { role: 'sales', userId: rep1, body: { lastName: 'x' } });
    expect(con.status).toBe(404);
    const quote = await crm.request('POST', `/v1/deals/${theirDeal.id}/quotes`, { role: 'sales', userId: rep1, body: { validUntil: '2099-12-31', lines: [{ description: 'x', unitPrice: 1, quantity: 1, taxRateBp: 0 }] } });
    expect(quote.status).toBe(404);
    const act = await crm.request('POST', '/v1/activities', { role: 'sales', userId: rep1, body: { customerId: theirs.id, type: 'note' } });
    expect(act.status).toBe(404);
  });
  it('does not let a rep relate a task to another rep\'s customer, on create or by a later change', async () => {
    const mine = await customer(rep1);
    const theirs = await customer(rep2);
    const as1 = { role: 'sales' as const, userId: rep1 };
    const both = await crm.request('POST', '/v1/tasks', { ...as1, body: { title: 'x', customerId: mine.id, related: { type: 'customer', id: theirs.id } } });
    expect(both.status, JSON.stringify(both.body)).toBe(400);
    expect(both.body.errors).toEqual([{ path: 'related.id', message: 'No such customer' }]);
    const task = await crm.request('POST', '/v1/tasks', { ...as1, body: { title: 'Mine', customerId: mine.id } });
    expect(task.status).toBe(201);
    const moved = await crm.request('PATCH', `/v1/tasks/${task.body.id}`, { ...as1, body: { related: { type: 'customer', id: theirs.id } } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(400);
    expect(moved.body.errors).toEqual([{ path: 'related.id', message: 'No such customer' }]);
    // Relating it to a customer the rep owns still works.
    const fine = await crm.request('PATCH', `/v1/tasks/${task.body.id}`, { ...as1, body: { related: { type: 'customer', id: mine.id } } });
    expect(fine.status, JSON.stringify(fine.body)).toBe(200);
  });
});

describe('list filters and child routes', () => {
  it('never lists another rep\'s records to a sales rep, whatever the filter', async () => {
    const theirs = await customer(rep2);
    const theirDeal = await deal(theirs.id, rep2);
    await crm.request('POST', '/v1/tasks', { role: 'admin', body: { title: 'Their task', assigneeId: rep2, customerId: theirs.id } });
    const as1 = { role: 'sales' as const, userId: rep1 };
    expect((await crm.request('GET', `/v1/customers?ownerId=${rep2}`, as1)).body.items).toEqual([]);
    expect((await crm.request('GET', `/v1/customers?ownerId=${rep2}&archived=true`, as1)).body.items).toEqual([]);
    expect((await crm.request('GET', `/v1/leads?ownerId=${rep2}`, as1)).body.items).toEqual([]);
    expect((await crm.request('GET', `/v1/deals?ownerId=${rep2}`, as1)).body.items).toEqual([]);
    const tasks = await crm.request('GET', `/v1/tasks?customerId=${theirs.id}`, as1);
    expect(tasks.status).toBe(200);
    expect(tasks.body.items).toEqual([]);
    const pipeline = (await crm.request('GET', '/v1/pipelines', as1)).body.items[0].id;
    const board = await crm.request('GET', `/v1/pipelines/${pipeline}/deals`, as1);
    expect(board.body.items.map((d: { id: string }) => d.id)).not.toContain(theirDeal.id);
    for (const path of [`/v1/deals/${theirDeal.id}/history`, `/v1/deals/${theirDeal.id}/quotes`, `/v1/customers/${theirs.id}/timeline`, `/v1/customers/${theirs.id}/orders`, `/v1/customers/${theirs.id}/assets`, `/v1/customers/${theirs.id}/contacts`, `/v1/customers/${theirs.id}/history`]) {
      expect((await crm.request('GET', path, as1)).status, path).toBe(404);
    }
    for (const path of [`/v1/forecast?period=2026-Q4&ownerId=${rep2}`, `/v1/reports/sales?period=2026-Q4&ownerId=${rep2}`, `/v1/commissions/statements?period=2026-Q4&userId=${rep2}`]) {
      const res = await crm.request('GET', path, as1);
      expect([403, 404], path).toContain(res.status);
    }
    expect((await crm.request('GET', `/v1/quotas/${rep2}/2026-Q4`, as1)).status).toBe(404);
  });

  it('rejects a cursor of one user\'s list when another user presents it', async () => {
    for (let i = 0; i < 3; i++) await customer(rep1);
    const page = await crm.request('GET', '/v1/customers?limit=1', { role: 'sales', userId: rep1 });
    expect(page.body.nextCursor).toBeTruthy();
    const other = await crm.request('GET', `/v1/customers?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`, { role: 'sales', userId: rep2 });
    expect(other.status).toBe(400);
  });
});

describe('idempotency keys', () => {
  it('never replays one user\'s response to another user with the same key and body', async () => {
    const key = `sec-${rand()}-key`;
    const body = { lastName: 'Idem', companyName: `Idem ${rand()}`, email: `idem-${rand()}@sec.example` };
    const first = await crm.request('POST', '/v1/leads', { role: 'sales', userId: rep1, body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    const second = await crm.request('POST', '/v1/leads', { role: 'sales', userId: rep2, body, headers: { 'idempotency-key': key } });
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(second.body.id).not.toBe(first.body.id);
  });
});

describe('masking for roles without pii:read', () => {
  it('masks personal data of customers, contacts, leads and activities everywhere an analyst or marketer sees them', async () => {
    const c = await customer(rep1);
    const p = await contact(c.id);
    const act = await crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId: c.id, type: 'call', direction: 'outbound', content: 'Private talk', participants: [{ name: 'Jane Secret', email: 'jane@sec.example' }] } });
    expect(act.status).toBe(201);
    const lead = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Masked', companyName: `Mask ${rand()}`, email: `lead-${rand()}@sec.example`, phone: '+49 30 5555555', ownerId: rep1 } });
    expect(lead.status).toBe(201);

    const analyst = { role: 'analyst' as const };
    const cus = (await crm.request('GET', `/v1/customers/${c.id}`, analyst)).body;
    expect(cus.taxId).toBe('***');
    expect(cus.address).toEqual({ city: 'Berlin', country: 'DE' });
    const listed = (await crm.request('GET', `/v1/customers?ownerId=${rep1}&limit=100`, analyst)).body.items.find((i: { id: string }) => i.id === c.id);
    expect(listed.masked).toEqual(expect.arrayContaining(['email', 'phone', 'address', 'taxId']));
    const contacts = (await crm.request('GET', `/v1/customers/${c.id}/contacts`, analyst)).body.items;
    expect(contacts[0].phone).not.toContain('1234567');
    expect(contacts[0].mobile).not.toContain('7654321');
    const con = (await crm.request('GET', `/v1/contacts/${p.id}`, analyst)).body;
    expect(con.email).toMatch(/\*\*\*/);
    const a = (await crm.request('GET', `/v1/activities/${act.body.id}`, analyst)).body;
    expect(a.content).toBe('***');
    expect(a.participants[0]).toEqual({ name: '***', email: 'j***@sec.example' });
    const tl = (await crm.request('GET', `/v1/customers/${c.id}/timeline`, analyst)).body;
    expect(JSON.stringify(tl)).not.toMatch(/Private talk|Jane Secret|jane@|1234567|7654321|Secret street|DE123456789/);
    const l = (await crm.request('GET', `/v1/leads/${lead.body.id}`, analyst)).body;
    expect(l.email).toMatch(/\*\*\*/);
    const leads = (await crm.request('GET', `/v1/leads?ownerId=${rep1}&limit=100`, { role: 'marketing' })).body.items;
    expect(JSON.stringify(leads)).not.toMatch(/5555555/);
    const mk = (await crm.request('GET', `/v1/customers/${c.id}`, { role: 'marketing' })).body;
    expect(JSON.stringify(mk)).not.toMatch(/DE123456789|Secret street|10115/);
  });
});

describe('moving records', () => {
  it('after a manager reassigns a customer, the old owner loses its contacts, activities, assets and orders and the new owner gains them', async () => {
    const c = await customer(rep1);
    const p = await contact(c.id);
    const act = await crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId: c.id, type: 'note', content: 'x' } });
    const moved = await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'manager', body: { ownerId: rep2 } });
    expect(moved.status).toBe(200);
    for (const path of [`/v1/contacts/${p.id}`, `/v1/activities/${act.body.id}`, `/v1/customers/${c.id}/contacts`, `/v1/customers/${c.id}/timeline`]) {
      expect((await crm.request('GET', path, { role: 'sales', userId: rep1 })).status, path).toBe(404);
      expect((await crm.request('GET', path, { role: 'sales', userId: rep2 })).status, path).toBe(200);
    }
    const back = await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'sales', userId: rep1, body: { ownerId: rep1 } });
    expect(back.status).toBe(404);
    const self = await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'sales', userId: rep2, body: { ownerId: rep1 } });
    expect(self.status).toBe(403);
  });
});
