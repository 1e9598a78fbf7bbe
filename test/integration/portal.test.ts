/**
 * The self-service portal against the real engines: two customers' contacts, each with a portal
 * token of the portal user pool (its trigger looks the contact's customer up in the table), never
 * see each other's tickets, messages or the knowledge base's drafts; internal notes never reach
 * them; a reply brings a ticket waiting on the customer back to the desk; a resolved ticket is rated
 * once; files go on the customer's own messages and internal notes' files never show; and the two user pools'
 * tokens are refused on each other's routes — by the authorizer (401) and, behind it, by the
 * permission matrix (403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/data/keys';
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
  // s3: the attachments bucket of the local S3 (presigned uploads and downloads).
  crm = await startTestStack({ s3: true });
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
  }, 120_000); // a dozen sequential requests with mail round-trips: generous on a loaded machine

  it('rates its own resolved ticket once, through the survey; other customers\' tickets are 404', async () => {
    const ticket = (await crm.request('POST', '/v1/portal/tickets', { ...as(a), body: { subject: 'Rate me' } })).body;
    const early = await crm.request('POST', `/v1/portal/tickets/${ticket.id}/rating`, { ...as(a), body: { rating: 5 } });
    expect(early.status, early.text).toBe(409);
    await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'public', body: 'Fixed it' } });
    const resolved = await crm.request('PATCH', `/v1/tickets/${ticket.id}`, { role: 'service', body: { status: 'resolved', resolution: 'Fixed' } });
    expect(resolved.status, resolved.text).toBe(200);

    expect((await crm.request('POST', `/v1/portal/tickets/${ticket.id}/rating`, { ...as(b), body: { rating: 5 } })).status).toBe(404);
    expect((await crm.request('POST', `/v1/portal/tickets/${ticket.id}/rating`, { ...as(a), body: { rating: 6 } })).status).toBe(400);
    // A low rating: recorded with its follow-up task (the portal function's grants cover the task and the counters).
    const rated = await crm.request('POST', `/v1/portal/tickets/${ticket.id}/rating`, { ...as(a), body: { rating: 1, comment: 'Took a week' } });
    expect(rated.status, rated.text).toBe(201);
    expect(rated.body).toEqual({ ticketId: ticket.id, rating: 1, comment: 'Took a week', ratedAt: expect.any(String) });
    const again = await crm.request('POST', `/v1/portal/tickets/${ticket.id}/rating`, { ...as(a), body: { rating: 5 } });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('(1/5)');
    const survey = (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.ticket.survey(ticket.id) }))).Item!;
    expect(survey).toMatchObject({ rating: 1, ratedVia: 'portal', ratedBy: a.contactId, followUp: { status: 'created', taskId: expect.stringMatching(/^tsk_/) } });
  });

  it('attaches files to its own messages and never sees files of internal notes', async () => {
    const ticket = (await crm.request('POST', '/v1/portal/tickets', { ...as(a), body: { subject: 'Photo of the leak' } })).body;
    const mine = (await crm.request('POST', `/v1/portal/tickets/${ticket.id}/messages`, { ...as(a), body: { body: 'Photo attached' } })).body;
    const note = (await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'internal', body: 'See the scan' } })).body;
    const bytes = Buffer.from('\x89PNG portal photo');
    const declare = (messageId: string, s: Side = a) => crm.request('POST', `/v1/portal/tickets/${ticket.id}/attachments`, { ...as(s), body: { messageId, fileName: 'leak.png', contentType: 'image/png', size: bytes.length } });
    const file = await declare(mine.id);
    expect(file.status, file.text).toBe(201);
    expect(Object.keys(file.body).sort()).toEqual(['contentType', 'createdAt', 'fileName', 'id', 'messageId', 'size', 'upload']);
    expect((await fetch(file.body.upload.url, { method: 'PUT', headers: file.body.upload.headers, body: bytes })).status).toBe(200);
    // Only one of the customer's own messages takes a file; another customer's ticket is a 404.
    expect((await declare(note.id)).status).toBe(400);
    expect((await declare(mine.id, b)).status).toBe(404);
    const staffFile = await crm.request('POST', `/v1/tickets/${ticket.id}/attachments`, { role: 'service', body: { messageId: note.id, fileName: 'scan.pdf', contentType: 'application/pdf', size: 3 } });
    expect(staffFile.status, staffFile.text).toBe(201);

    const list = await crm.request('GET', `/v1/portal/tickets/${ticket.id}/attachments`, as(a));
    expect(list.status).toBe(200);
    expect(list.body.items.map((f: any) => f.id)).toEqual([file.body.id]);
    const download = await crm.request('GET', `/v1/portal/tickets/${ticket.id}/attachments/${file.body.id}`, as(a));
    expect(download.status, download.text).toBe(200);
    expect(Buffer.from(await (await fetch(download.body.url)).arrayBuffer()).equals(bytes)).toBe(true);
    for (const [s, id] of [[a, staffFile.body.id], [b, file.body.id]] as const) {
      expect((await crm.request('GET', `/v1/portal/tickets/${ticket.id}/attachments/${id}`, as(s))).status).toBe(404);
    }
    expect((await crm.request('GET', `/v1/portal/tickets/${ticket.id}/attachments`, as(b))).status).toBe(404);
    // The staff see the customer's file as a public one.
    const staffList = await crm.request('GET', `/v1/tickets/${ticket.id}/attachments`, { role: 'service' });
    expect(staffList.body.items.find((f: any) => f.id === file.body.id)).toMatchObject({ visibility: 'public', createdBy: a.contactId });
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
