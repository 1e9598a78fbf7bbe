/**
 * Duplicate answers disclose nothing hidden. A 409 on an email or phone someone else's record
 * holds names the holder (`existingId`, customer or lead) only to a caller who may read that
 * record with its personal data in clear. Anyone else — another rep, a marketing user who only
 * ever sees masked emails — gets the same 409 `duplicate` without id or kind, whichever record
 * holds the value, at the same cost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALES_REPS } from '../../local/demo-users';
import type { Role } from '../../functions/security/permissions';
import { startTestStack, type TestStack } from '../support/stack';
import { problemTypeUri } from '../../functions/http/problem';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;
const sales1 = { role: 'sales' as Role, userId: rep1 };
const sales2 = { role: 'sales' as Role, userId: rep2 };
const admin = { role: 'admin' as Role };
const manager = { role: 'manager' as Role };
const marketing = { role: 'marketing' as Role };

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

let n = 0;
const unique = () => `${Date.now().toString(36)}${(n++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const email = () => `dup-${unique()}@disclosure.example`;
const phone = () => `+49 30 ${String(1_000_000 + Math.floor(Math.random() * 8_999_999))}`;

async function send(who: { role: Role; userId?: string }, method: string, path: string, body: unknown) {
  return crm.request(method, path, { role: who.role, userId: who.userId, body });
}

async function created(who: { role: Role; userId?: string }, path: string, body: unknown) {
  const res = await send(who, 'POST', path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; version: number };
}

/** A hidden holder's answer: 409 duplicate, no id, no kind, and whom to ask. */
function expectHidden(res: { status: number; body: any; text: string }, ...ids: string[]) {
  expect(res.status, res.text).toBe(409);
  expect(res.body.type).toBe(problemTypeUri('duplicate'));
  expect(res.body.existingId).toBeUndefined();
  expect(res.body.detail).toMatch(/cannot see/);
  expect(res.body.detail).toMatch(/manager or an admin/);
  expect(res.body.detail).not.toMatch(/customer|lead/i);
  for (const id of ids) expect(res.text).not.toContain(id);
}

function expectNamed(res: { status: number; body: any; text: string }, id: string) {
  expect(res.status, res.text).toBe(409);
  expect(res.body.type).toBe(problemTypeUri('duplicate'));
  expect(res.body.existingId).toBe(id);
}

/** The part of a problem body that depends on the request, not on the answer. */
const answer = (body: any) => ({ ...body, instance: undefined, requestId: undefined });

describe('customers: creating or changing to a taken email or phone', () => {
  it('names the holder to its owner and to managers and admins, not to another rep', async () => {
    const taken = { email: email(), phone: phone() };
    const holder = await created(sales1, '/v1/customers', { type: 'company', name: `Holder ${unique()}`, ...taken });
    for (const field of ['email', 'phone'] as const) {
      const body = { type: 'company', name: `Second ${unique()}`, [field]: taken[field] };
      expectNamed(await send(sales1, 'POST', '/v1/customers', body), holder.id);
      expectNamed(await send(manager, 'POST', '/v1/customers', body), holder.id);
      expectNamed(await send(admin, 'POST', '/v1/customers', body), holder.id);
      expectHidden(await send(sales2, 'POST', '/v1/customers', body), holder.id);
    }
    // The same on PATCH of the rep's own customer.
    const own = await created(sales2, '/v1/customers', { type: 'company', name: `Own ${unique()}` });
    expectHidden(await send(sales2, 'PATCH', `/v1/customers/${own.id}`, { email: taken.email }), holder.id);
    expectNamed(await send(admin, 'PATCH', `/v1/customers/${own.id}`, { email: taken.email }), holder.id);
  });

  it('costs the same requests whether the holder is named or hidden', async () => {
    const taken = email();
    await created(sales1, '/v1/customers', { type: 'company', name: `Holder ${unique()}`, email: taken });
    const named = await send(sales1, 'POST', '/v1/customers', { type: 'company', name: `X ${unique()}`, email: taken });
    const hidden = await send(sales2, 'POST', '/v1/customers', { type: 'company', name: `Y ${unique()}`, email: taken });
    expect(named.status).toBe(409);
    expect(hidden.status).toBe(409);
    expect(hidden.headers.get('x-db-commands')).toBe(named.headers.get('x-db-commands'));
  });
});

describe('leads: capture, change and conversion', () => {
  it('a marketing user cannot tell whether an address belongs to a customer or to a lead', async () => {
    const customerEmail = email();
    const customer = await created(sales1, '/v1/customers', { type: 'company', name: `Cust ${unique()}`, email: customerEmail });
    const leadEmail = email();
    const lead = await created(sales1, '/v1/leads', { lastName: 'Holder', companyName: `Lead ${unique()}`, email: leadEmail });

    const onCustomer = await send(marketing, 'POST', '/v1/leads', { lastName: 'Probe', email: customerEmail });
    const onLead = await send(marketing, 'POST', '/v1/leads', { lastName: 'Probe', email: leadEmail });
    expectHidden(onCustomer, customer.id);
    expectHidden(onLead, lead.id);
    expect(answer(onCustomer.body)).toEqual(answer(onLead.body));
    expect(onCustomer.headers.get('x-db-commands')).toBe(onLead.headers.get('x-db-commands'));

    // Roles that may read the holder with its personal data still get its id.
    expectNamed(await send(admin, 'POST', '/v1/leads', { lastName: 'Probe', email: customerEmail }), customer.id);
    expectNamed(await send(manager, 'POST', '/v1/leads', { lastName: 'Probe', email: leadEmail }), lead.id);
    expectNamed(await send(sales1, 'POST', '/v1/leads', { lastName: 'Probe', email: leadEmail }), lead.id);
    expectHidden(await send(sales2, 'POST', '/v1/leads', { lastName: 'Probe', email: leadEmail }), lead.id);
  });

  it('a rep changing their own lead to another rep\'s lead\'s phone learns no id', async () => {
    const taken = phone();
    const holder = await created(sales1, '/v1/leads', { lastName: 'Holder', phone: taken });
    const mine = await created(sales2, '/v1/leads', { lastName: 'Mine' });
    expectHidden(await send(sales2, 'PATCH', `/v1/leads/${mine.id}`, { phone: taken }), holder.id);
    expectNamed(await send(admin, 'PATCH', `/v1/leads/${mine.id}`, { phone: taken }), holder.id);
  });

  it('converting a lead whose email a hidden customer took meanwhile names no customer', async () => {
    const address = email();
    const lead = await created(sales2, '/v1/leads', { lastName: 'Convert', companyName: `Conv ${unique()}`, email: address });
    await send(sales2, 'PATCH', `/v1/leads/${lead.id}`, { status: 'qualified' });
    // The lead holds its guard; a customer can take the address only if its creation does not
    // check lead guards. Either way, whoever holds it must not be named to the rep.
    const holder = await send(admin, 'POST', '/v1/customers', { type: 'company', name: `Taker ${unique()}`, ownerId: rep1, email: address });
    if (holder.status !== 201) {
      // Customers check open leads' guards too: the admin is told which lead holds it.
      expectNamed(holder, lead.id);
      return;
    }
    const res = await send(sales2, 'POST', `/v1/leads/${lead.id}/convert`, {});
    expectHidden(res, holder.body.id);
    const byAdmin = await send(admin, 'POST', `/v1/leads/${lead.id}/convert`, {});
    expectNamed(byAdmin, holder.body.id);
    expect(byAdmin.body.detail).toContain('convert with customerId to link it');
  });
});
