/**
 * The self-service portal against the real engines: two customers' contacts, each with a portal
 * token of the portal user pool (its trigger looks the contact's customer up in the table), never
 * see each other's tickets, messages or the knowledge base's drafts; internal notes never reach
 * them; a reply brings a ticket waiting on the customer back to the desk; and the two user pools'
 * tokens are refused on each other's routes — by the authorizer (401) and, behind it, by the
 * permission matrix (403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { lambdaContext } from '../../local/lambda';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
const run = `r${process.pid}x${Date.now().toString(36)}`;

interface Side { customerId: string; contactId: string; token: string }
let a: Side;
let b: Side;

async function side(name: string): Promise<Side> {
  const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `${name} ${run}` } });
  expect(customer.status, customer.text).toBe(201);
  const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: name, email: `${name.toLowerCase()}-${run}@example.com` } });
  expect(contact.status, contact.text).toBe(201);
  return { customerId: customer.body.id, contactId: contact.body.id, token: await crm.token('customer', contact.body.id) };
}

const as = (s: Side) => ({ token: s.token });
const INTERNAL_FIELDS = ['sla', 'assigneeId', 'queueId', 'createdBy', 'updatedBy', 'rev', 'customerId', 'version', 'lastEmailMessageId', 'emailReferences'];

beforeAll(async () => {
  crm = await startTestStack();
  [a, b] = await Promise.all([side('Alpha'), side('Beta')]);
});
afterAll(async () => {
  await crm?.stop();
});

describe('self-service portal', () => {
  it('opens tickets for the token\'s customer only and keeps two customers apart', async () => {
    const mine = await crm.request('POST', '/v1/portal/tickets', { ...as(a), body: { subject: 'Boiler leaks', description: 'Water under the boiler', category: 'boiler' } });
    expect(mine.status, mine.text).toBe(201);
    expect(mine.headers.get('location')).toBe(`/v1/portal/tickets/${mine.body.id}`);
    expect(mine.body).toMatchObject({ subject: 'Boiler leaks', description: 'Water under the boiler', channel: 'portal', status: 'new', contactId: a.contactId });
    for (const field of INTERNAL_FIELDS) expect(mine.body, field).not.toHaveProperty(field);
    // The staff see an ordinary ticket of the customer, with SLA clocks, on the portal channel.
    const staff = await crm.request('GET', `/v1/tickets/${mine.body.id}`, { role: 'service' });
    expect(staff.body).toMatchObject({ customerId: a.customerId, contactId: a.contactId, channel: 'portal' });
    expect(staff.body.sla.resolution.state).toBe('running');

    // A customer id in the request is no way into another customer: the body does not take one.
    const smuggled = await crm.request('POST', '/v1/portal/tickets', { ...as(a), body: { subject: 'Other', customerId: b.customerId } });
    expect(smuggled.status).toBe(400);

    const theirs = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Beta only', channel: 'phone', customerId: b.customerId, contactId: b.contactId } });
    expect(theirs.status).toBe(201);
    const listA = await crm.request('GET', '/v1/portal/tickets', as(a));
    expect(listA.status).toBe(200);
    expect(listA.body.items.map((t: any) => t.id)).toEqual([mine.body.id]);
    const listB = await crm.request('GET', '/v1/portal/tickets?status=new', as(b));
    expect(listB.body.items.map((t: any) => t.id)).toEqual([theirs.body.id]);
    for (const [method, path, body] of [
      ['GET', `/v1/portal/tickets/${theirs.body.id}`, undefined],
      ['GET', `/v1/portal/tickets/${theirs.body.id}/messages`, undefined],
      ['POST', `/v1/portal/tickets/${theirs.body.id}/messages`, { body: 'Let me in' }],
    ] as const) {
      const res = await crm.request(method, path, { ...as(a), body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.detail).toBe('No such ticket');
    }
  });

  it('shows public replies and never internal notes; a reply brings a pending ticket back to the desk', async () => {
    const ticket = (await crm.request('POST', '/v1/portal/tickets', { ...as(a), body: { subject: 'Noisy pump' } })).body;
    const note = await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'internal', body: 'Customer is difficult; check the invoice first' } });
    expect(note.status).toBe(201);
    const answer = await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'public', body: 'Which model is it?' } });
    expect(answer.status).toBe(201);
    const waiting = await crm.request('PATCH', `/v1/tickets/${ticket.id}`, { role: 'service', body: { status: 'pending' } });
    expect(waiting.body.status).toBe('pending');
    expect(waiting.body.sla.resolution.state).toBe('paused');

    const reply = await crm.request('POST', `/v1/portal/tickets/${ticket.id}/messages`, { ...as(a), body: { body: 'It is the P-200' } });
    expect(reply.status, reply.text).toBe(201);
    expect(reply.body).toEqual({ id: expect.stringMatching(/^msg_/), ticketId: ticket.id, from: 'customer', body: 'It is the P-200', createdAt: expect.any(String) });

    const staff = await crm.request('GET', `/v1/tickets/${ticket.id}`, { role: 'service' });
    expect(staff.body.status).toBe('open');
    expect(staff.body.sla.resolution.state).toBe('running');
    const conversation = await crm.request('GET', `/v1/tickets/${ticket.id}/messages`, { role: 'service' });
    expect(conversation.body.items.map((m: any) => [m.visibility, m.direction])).toEqual([['internal', 'outbound'], ['public', 'outbound'], ['public', 'inbound']]);

    const seen = await crm.request('GET', `/v1/portal/tickets/${ticket.id}/messages`, as(a));
    expect(seen.status).toBe(200);
    expect(seen.body.items.map((m: any) => [m.from, m.body])).toEqual([['agent', 'Which model is it?'], ['customer', 'It is the P-200']]);
    expect(seen.text).not.toContain('difficult');
    for (const m of seen.body.items) expect(Object.keys(m).sort()).toEqual(['body', 'createdAt', 'from', 'id', 'ticketId']);
    // Paging past the note: a page may come out short, but the note is never on one.
    const first = await crm.request('GET', `/v1/portal/tickets/${ticket.id}/messages?limit=1`, as(a));
    expect(first.body.items).toEqual([]);
    const next = await crm.request('GET', `/v1/portal/tickets/${ticket.id}/messages?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`, as(a));
    expect(next.body.items.map((m: any) => m.body)).toEqual(['Which model is it?']);

    // Resolved and closed: a reply reopens a resolved ticket; a closed one takes none.
    await crm.request('PATCH', `/v1/tickets/${ticket.id}`, { role: 'service', body: { status: 'resolved', resolution: 'Replaced the pump' } });
    const again = await crm.request('POST', `/v1/portal/tickets/${ticket.id}/messages`, { ...as(a), body: { body: 'Still noisy' } });
    expect(again.status).toBe(201);
    expect((await crm.request('GET', `/v1/portal/tickets/${ticket.id}`, as(a))).body.status).toBe('open');
    await crm.request('PATCH', `/v1/tickets/${ticket.id}`, { role: 'service', body: { status: 'resolved' } });
    await crm.request('PATCH', `/v1/tickets/${ticket.id}`, { role: 'service', body: { status: 'closed' } });
    const closed = await crm.request('POST', `/v1/portal/tickets/${ticket.id}/messages`, { ...as(a), body: { body: 'Hello?' } });
    expect(closed.status).toBe(409);
  });

  it('reads published articles only, without staff fields', async () => {
    const category = `portal-${run}`;
    const published = await crm.request('POST', '/v1/kb/articles', { role: 'service', body: { title: 'Bleeding a radiator', body: 'Open the **valve**', category, status: 'published' } });
    const draft = await crm.request('POST', '/v1/kb/articles', { role: 'service', body: { title: 'Bleeding (draft)', body: 'Not yet', category } });
    expect([published.status, draft.status]).toEqual([201, 201]);
    for (const s of [a, b]) {
      const list = await crm.request('GET', `/v1/portal/kb/articles?category=${category}&q=bleed`, as(s));
      expect(list.status).toBe(200);
      expect(list.body.items.map((x: any) => x.id)).toEqual([published.body.id]);
      expect(list.body.items[0]).not.toHaveProperty('authorId');
      const read = await crm.request('GET', `/v1/portal/kb/articles/${published.body.id}`, as(s));
      expect(read.status).toBe(200);
      expect(read.body.bodyHtml).toContain('<strong>valve</strong>');
      for (const field of ['authorId', 'createdBy', 'updatedBy', 'status', 'version']) expect(read.body, field).not.toHaveProperty(field);
      expect((await crm.request('GET', `/v1/portal/kb/articles/${draft.body.id}`, as(s))).status).toBe(404);
    }
  });

  it('refuses a pool\'s tokens on the other pool\'s routes, and the roles behind them', async () => {
    const ticket = (await crm.request('POST', '/v1/portal/tickets', { ...as(a), body: { subject: 'Cross-pool' } })).body;
    // The staff authorizer does not accept portal tokens (issuer and audience differ)…
    for (const path of ['/v1/me', `/v1/tickets/${ticket.id}`, `/v1/tickets?customerId=${a.customerId}`, '/v1/kb/articles', `/v1/customers/${a.customerId}`]) {
      const res = await crm.request('GET', path, as(a));
      expect(res.status, path).toBe(401);
    }
    // …and the portal authorizer no staff token, whatever the role.
    for (const role of ['admin', 'service'] as const) {
      const res = await crm.request('GET', `/v1/portal/tickets/${ticket.id}`, { role });
      expect(res.status, role).toBe(401);
    }
    // API keys live on the machine API, which has no portal routes.
    const key = await crm.request('POST', '/v1/api-keys', { role: 'admin', body: { name: `Portal ${run}`, role: 'admin' } });
    expect((await crm.request('GET', '/v1/portal/tickets', { token: null, headers: { 'x-api-key': key.body.key } })).status).toBe(404);
    expect((await crm.request('POST', '/v1/api-keys', { role: 'admin', body: { name: 'Customer key', role: 'customer' } })).status).toBe(400);

    // Behind the authorizers, the permission matrix: a customer holds no staff action, staff no portal action.
    const { handler: tickets } = await import('../../functions/tickets/handler');
    const { handler: portal } = await import('../../functions/portal/handler');
    const customerClaims = { sub: 'c-1', 'cognito:groups': '[customer]', customerId: a.customerId, contactId: a.contactId };
    const refused = await tickets(event('GET /v1/tickets/{id}', `/v1/tickets/${ticket.id}`, { id: ticket.id }, customerClaims), lambdaContext('tickets'));
    expect(refused.statusCode).toBe(403);
    const staffOnPortal = await portal(event('GET /v1/portal/tickets/{id}', `/v1/portal/tickets/${ticket.id}`, { id: ticket.id }, { sub: 'u-1', 'cognito:groups': '[admin]' }), lambdaContext('portal'));
    expect(staffOnPortal.statusCode).toBe(403);
    // A portal token whose contact is gone (no customer claim) acts for nobody.
    const unlinked = await crm.request('GET', '/v1/portal/tickets', { token: await crm.token('customer', 'con_00000000000000000000000000') });
    expect(unlinked.status).toBe(403);
  });
});

function event(routeKey: string, path: string, pathParameters: Record<string, string>, claims: Record<string, string>): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: '2.0', routeKey, rawPath: path, rawQueryString: '', headers: {}, pathParameters, isBase64Encoded: false,
    requestContext: { requestId: `direct-${run}`, routeKey, authorizer: { jwt: { claims, scopes: null } } },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}
