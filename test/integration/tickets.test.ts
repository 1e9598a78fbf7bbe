/**
 * The service desk end to end against DynamoDB Local and the local SES: the ticket workflow with
 * its illegal moves, references proven in the write, routing and round robin, public replies in
 * the inbox with threading headers, internal notes never sent and masked for analysts, lists of
 * one Query per page, the customer timeline, and the SLA job escalating each level exactly once
 * under concurrent and repeated runs and after a gap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
let jobs: typeof import('../../functions/jobs/handler');

let seq = 0;
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${(seq++).toString(36)}`;
const HOUR = 3_600_000;

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
  jobs = await import('../../functions/jobs/handler');
  // Every day 00:00–23:59 UTC: deadlines follow real time closely, whatever day the test runs.
  const res = await crm.request('PUT', '/v1/settings/service-desk', {
    role: 'admin',
    body: {
      calendar: { timeZone: 'UTC', workingDays: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '23:59', holidays: [] },
      policies: [{ priority: 'urgent', firstResponseMinutes: 60, resolutionMinutes: 240 }],
      reopenDays: 7,
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
});
afterAll(async () => {
  await crm?.stop();
});

const runSla = (time: string) => jobs.handler({ job: 'sla', time }) as Promise<Record<string, unknown>>;

async function customerWithContact(ownerId?: string) {
  const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Ticket Co ${uid('c')}`, ...(ownerId ? { ownerId } : {}) } });
  expect(customer.status).toBe(201);
  const email = `${uid('contact')}@customer.example`;
  const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: 'Kunde', email } });
  expect(contact.status).toBe(201);
  return { customerId: customer.body.id as string, contactId: contact.body.id as string, email };
}

async function openTicket(body: Record<string, unknown>, userId?: string) {
  const res = await crm.request('POST', '/v1/tickets', { role: 'service', userId, body: { subject: 'Boiler leaks', channel: 'phone', ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const patch = (id: string, body: Record<string, unknown>, headers?: Record<string, string>) => crm.request('PATCH', `/v1/tickets/${id}`, { role: 'service', body, headers });

describe('workflow', () => {
  it('moves new → open → pending → on_hold → resolved → closed; illegal moves are 409 problems', async () => {
    const { customerId, contactId } = await customerWithContact();
    const ticket = await openTicket({ customerId, contactId, description: 'Water on the floor', priority: 'high' });
    expect(ticket).toMatchObject({ status: 'new', priority: 'high', channel: 'phone', customerId, contactId, version: 1 });
    expect(ticket.sla.firstResponse).toMatchObject({ state: 'running', targetMinutes: 240 });
    expect(ticket.sla.nextDeadline).toBe(ticket.sla.firstResponse.dueAt);

    const closedEarly = await patch(ticket.id, { status: 'closed' });
    expect(closedEarly.status).toBe(409);
    expect(closedEarly.body.type).toMatch(/\/problems\/conflict$/);
    expect(closedEarly.body.detail).toMatch(/cannot move to closed/);
    expect((await patch(ticket.id, { status: 'new' })).status).toBe(200); // unchanged: no-op

    for (const status of ['open', 'pending', 'on_hold']) {
      const res = await patch(ticket.id, { status });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.status).toBe(status);
    }
    const stale = await patch(ticket.id, { subject: 'x' }, { 'if-match': '"1"' });
    expect(stale.status).toBe(412);
    const resolved = await patch(ticket.id, { status: 'resolved', resolution: 'Replaced the valve' });
    expect(resolved.body).toMatchObject({ status: 'resolved', resolution: 'Replaced the valve' });
    expect(resolved.body.sla.resolution.state).toBe('stopped');
    expect(resolved.body.resolvedAt).toBeDefined();
    const reopened = await patch(ticket.id, { status: 'open' });
    expect(reopened.body.status).toBe('open');
    expect(reopened.body.sla.resolution.state).toBe('running');
    expect((await patch(ticket.id, { status: 'resolved' })).status).toBe(200);
    expect((await patch(ticket.id, { status: 'closed' })).body.status).toBe('closed');
    const afterClose = await patch(ticket.id, { status: 'open' });
    expect(afterClose.status).toBe(409);
    expect(afterClose.body.detail).toMatch(/closed/);
    expect((await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'internal', body: 'late' } })).status).toBe(409);
  });

  it('proves references in the write: another customer\'s contact and unknown records are 400s, an archived customer a 409', async () => {
    const a = await customerWithContact();
    const b = await customerWithContact();
    const wrong = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'x', channel: 'email', customerId: a.customerId, contactId: b.contactId, assetId: 'ast_00000000000000000000000000' } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['assetId', 'contactId']);
    const unknown = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'x', channel: 'email', customerId: 'cus_00000000000000000000000000' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].path).toBe('customerId');
    await crm.request('DELETE', `/v1/customers/${a.customerId}`, { role: 'admin' });
    const archived = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'x', channel: 'email', customerId: a.customerId } });
    expect(archived.status).toBe(409);
    expect(archived.body.detail).toContain(`/v1/customers/${a.customerId}/restore`);
  });

  it('routes by category into a queue and assigns round robin inside it, also under concurrent creates', async () => {
    const members = [uid('agent'), uid('agent')];
    const queue = await crm.request('POST', '/v1/queues', { role: 'admin', body: { name: `Billing ${uid('q')}`, memberIds: members, autoAssign: true } });
    expect(queue.status).toBe(201);
    const current = await crm.request('GET', '/v1/settings/service-desk', { role: 'admin' });
    const routing = [...current.body.routing.filter((r: { match: { category?: string[] } }) => !r.match.category?.includes('billing-rr')), { match: { category: ['billing-rr'] }, queueId: queue.body.id }];
    const put = await crm.request('PUT', '/v1/settings/service-desk', { role: 'admin', body: { calendar: current.body.calendar, policies: current.body.policies, reopenDays: current.body.reopenDays, routing }, headers: { 'if-match': `"${current.body.version}"` } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const { customerId } = await customerWithContact();
    const created = await Promise.all([1, 2, 3, 4].map(() => openTicket({ customerId, category: 'billing-rr' })));
    expect(created.every((t) => t.queueId === queue.body.id)).toBe(true);
    expect(created.filter((t) => t.assigneeId === members[0])).toHaveLength(2);
    expect(created.filter((t) => t.assigneeId === members[1])).toHaveLength(2);
    const forbidden = await crm.request('POST', '/v1/queues', { role: 'manager', body: { name: 'Nope' } });
    expect(forbidden.status).toBe(403);
  });
});

describe('conversation', () => {
  it('emails a public reply to the contact with the ticket token and threading headers; internal notes are never sent', async () => {
    const { customerId, contactId, email } = await customerWithContact();
    const ticket = await openTicket({ customerId, contactId, subject: 'Heating cold', description: 'Radiators cold since Monday' });
    const note = await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'internal', body: 'Customer sounded upset; check the warranty' } });
    expect(note.status).toBe(201);
    expect(note.body.email).toBeUndefined();

    const first = await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'public', body: 'A technician comes tomorrow at 10:00.' } });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.email).toMatchObject({ status: 'sent', inReplyTo: `<${ticket.id}@example.com>` });
    const second = await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'public', body: 'The technician is on the way.' } });
    expect(second.body.email.inReplyTo).toBe(first.body.email.messageId);

    const inbox = (await crm.sentEmails()).filter((e) => e.destination.to.includes(email));
    expect(inbox).toHaveLength(2);
    expect(inbox[0].subject).toBe(`Re: Heating cold [#${ticket.id}]`);
    expect(inbox[0].body.text).toContain('A technician comes tomorrow at 10:00.');
    const headers = (m: { headers: { name: string; value: string }[] }) => Object.fromEntries(m.headers.map((h) => [h.name, h.value]));
    expect(headers(inbox[0])).toEqual({ 'Message-ID': first.body.email.messageId, 'In-Reply-To': `<${ticket.id}@example.com>`, References: `<${ticket.id}@example.com>` });
    expect(headers(inbox[1])).toEqual({ 'Message-ID': second.body.email.messageId, 'In-Reply-To': first.body.email.messageId, References: `<${ticket.id}@example.com> ${first.body.email.messageId}` });
    const all = await crm.sentEmails();
    expect(all.some((e) => JSON.stringify(e).includes('check the warranty'))).toBe(false);

    const after = await crm.request('GET', `/v1/tickets/${ticket.id}`, { role: 'service' });
    expect(after.body).toMatchObject({ status: 'open' });
    expect(after.body.firstRespondedAt).toBeDefined();
    expect(after.body.sla.firstResponse.state).toBe('stopped');

    const thread = await crm.request('GET', `/v1/tickets/${ticket.id}/messages`, { role: 'service' });
    expect(thread.body.items.map((m: { visibility: string }) => m.visibility)).toEqual(['internal', 'public', 'public']);
    const analyst = await crm.request('GET', `/v1/tickets/${ticket.id}/messages`, { role: 'analyst' });
    expect(analyst.body.items[0]).toMatchObject({ body: '***', masked: ['body'] });
    const analystTicket = await crm.request('GET', `/v1/tickets/${ticket.id}`, { role: 'analyst' });
    expect(analystTicket.body).toMatchObject({ description: '***', masked: ['description'] });

    // Ticket and messages on the customer timeline, as record events.
    const timeline = await crm.request('GET', `/v1/customers/${customerId}/timeline?limit=100`, { role: 'service' });
    const events = timeline.body.items.filter((i: { kind: string }) => i.kind === 'record').map((i: { record: { event: string } }) => i.record.event);
    expect(events.filter((e: string) => e === 'ticket-message.created')).toHaveLength(3);
    expect(events).toContain('ticket.created');

    // An activity can link the ticket of its own customer only.
    const linked = await crm.request('POST', '/v1/activities', { role: 'service', body: { customerId, type: 'call', direction: 'inbound', links: { ticketId: ticket.id } } });
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);
    const other = await customerWithContact();
    const wrongLink = await crm.request('POST', '/v1/activities', { role: 'service', body: { customerId: other.customerId, type: 'call', direction: 'inbound', links: { ticketId: ticket.id } } });
    expect(wrongLink.status).toBe(400);
  });
});

describe('lists', () => {
  it('read one index partition per page: mine, a queue\'s, a customer\'s, by status and priority, breaching soon', async () => {
    const agent = uid('agent');
    const queue = await crm.request('POST', '/v1/queues', { role: 'admin', body: { name: `Lists ${uid('q')}` } });
    const { customerId } = await customerWithContact();
    const urgent = await openTicket({ customerId, priority: 'urgent', assigneeId: agent, queueId: queue.body.id });
    const low = await openTicket({ customerId, priority: 'low', assigneeId: agent, queueId: queue.body.id });
    await crm.request('PATCH', `/v1/tickets/${low.id}`, { role: 'service', userId: agent, body: { status: 'open' } });

    const list = async (query: string, role: 'service' | 'sales' = 'service', userId = agent) => {
      const res = await crm.request('GET', `/v1/tickets${query}`, { role, userId });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res;
    };
    const mine = await list('?assigneeId=me');
    expect(mine.headers.get('x-db-requests'), mine.headers.get('x-db-commands') ?? '').toBe('1');
    expect(mine.body.items.map((t: { id: string }) => t.id)).toEqual([urgent.id, low.id]); // new before open
    const mineOpen = await list('?assigneeId=me&status=open');
    expect(mineOpen.body.items.map((t: { id: string }) => t.id)).toEqual([low.id]);
    const active = await list('?assigneeId=me&status=active&priority=urgent');
    expect(active.body.items.map((t: { id: string }) => t.id)).toEqual([urgent.id]);
    const queued = await list(`?queueId=${queue.body.id}&status=new&priority=urgent`);
    expect(queued.headers.get('x-db-requests')).toBe('1');
    expect(queued.body.items.map((t: { id: string }) => t.id)).toEqual([urgent.id]);
    const byCustomer = await list(`?customerId=${customerId}&limit=1`);
    expect(byCustomer.headers.get('x-db-requests')).toBe('1');
    expect(byCustomer.body.items).toHaveLength(1);
    const page2 = await list(`?customerId=${customerId}&limit=1&cursor=${encodeURIComponent(byCustomer.body.nextCursor)}`);
    expect(page2.headers.get('x-db-requests')).toBe('1');
    expect(page2.body.items[0].id).toBe(low.id);

    const deadlines = await crm.request('GET', `/v1/ticket-deadlines?queueId=${queue.body.id}`, { role: 'manager' });
    expect(deadlines.status).toBe(200);
    expect(deadlines.headers.get('x-db-requests')).toBe('1');
    expect(deadlines.body.items.map((d: { ticketId: string }) => d.ticketId)).toEqual([urgent.id, low.id]);
    expect(deadlines.body.items[0]).toMatchObject({ deadlineKind: 'firstResponse', nextDeadline: urgent.sla.firstResponse.dueAt });
    const dates = deadlines.body.items.map((d: { nextDeadline: string }) => d.nextDeadline);
    expect([...dates].sort()).toEqual(dates);
  });

  it('a sales rep reads the tickets of customers they own, one customer at a time', async () => {
    const rep = uid('rep');
    const own = await customerWithContact(rep);
    const foreign = await customerWithContact();
    const t = await openTicket({ customerId: own.customerId, contactId: own.contactId });
    const theirs = await openTicket({ customerId: foreign.customerId });
    const list = await crm.request('GET', `/v1/tickets?customerId=${own.customerId}`, { role: 'sales', userId: rep });
    expect(list.status).toBe(200);
    expect(list.body.items.map((x: { id: string }) => x.id)).toEqual([t.id]);
    expect((await crm.request('GET', `/v1/tickets?customerId=${foreign.customerId}`, { role: 'sales', userId: rep })).status).toBe(404);
    expect((await crm.request('GET', '/v1/tickets', { role: 'sales', userId: rep })).status).toBe(403);
    expect((await crm.request('GET', `/v1/tickets/${t.id}`, { role: 'sales', userId: rep })).status).toBe(200);
    expect((await crm.request('GET', `/v1/tickets/${theirs.id}`, { role: 'sales', userId: rep })).status).toBe(404);
    expect((await crm.request('GET', '/v1/ticket-deadlines', { role: 'sales', userId: rep })).status).toBe(403);
    expect((await crm.request('PATCH', `/v1/tickets/${t.id}`, { role: 'sales', userId: rep, body: { status: 'open' } })).status).toBe(403);
  });
});

describe('SLA escalation', () => {
  async function escalationSetup() {
    const agent = uid('agent');
    const manager = uid('lead');
    // Both read their notifications once, so the CRM knows their email (profiles, as for task reminders).
    await crm.request('GET', '/v1/notifications', { role: 'service', userId: agent });
    await crm.request('GET', '/v1/notifications', { role: 'manager', userId: manager });
    const queue = await crm.request('POST', '/v1/queues', { role: 'admin', body: { name: `Escalations ${uid('q')}`, managerId: manager, memberIds: [agent] } });
    const { customerId } = await customerWithContact();
    const ticket = await openTicket({ customerId, priority: 'urgent', assigneeId: agent, queueId: queue.body.id });
    return { agent, manager, ticket };
  }
  const notificationsOf = async (userId: string, role: 'service' | 'manager') =>
    (await crm.request('GET', '/v1/notifications?limit=100', { role, userId })).body.items as { type: string; title: string; link: string }[];
  const emailsTo = async (userId: string) => (await crm.sentEmails()).filter((e) => e.destination.to.includes(`${userId}@example.com`));

  it('warns the assignee exactly once under concurrent and repeated runs, then escalates the breach to assignee and manager once', async () => {
    const { agent, manager, ticket } = await escalationSetup();
    const warnAt = ticket.sla.firstResponse.warnAt as string;
    expect(Date.parse(ticket.sla.firstResponse.dueAt) - Date.parse(ticket.createdAt)).toBeLessThanOrEqual(62 * 60_000);

    await runSla(new Date(Date.parse(warnAt) - 60_000).toISOString());
    expect(await notificationsOf(agent, 'service')).toHaveLength(0);

    await Promise.all([1, 2, 3, 4, 5].map(() => runSla(warnAt)));
    await runSla(warnAt);
    const warned = await notificationsOf(agent, 'service');
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ type: 'ticket.sla_warning', title: 'SLA warning: Boiler leaks', link: `http://localhost:3000/tickets/${ticket.id}` });
    expect(await emailsTo(agent)).toHaveLength(1);
    expect(await notificationsOf(manager, 'manager')).toHaveLength(0);

    const dueAt = ticket.sla.firstResponse.dueAt as string;
    await Promise.all([1, 2, 3].map(() => runSla(dueAt)));
    await runSla(new Date(Date.parse(dueAt) + HOUR).toISOString());
    expect((await notificationsOf(agent, 'service')).map((n) => n.type).sort()).toEqual(['ticket.sla_breach', 'ticket.sla_warning']);
    expect((await notificationsOf(manager, 'manager')).map((n) => n.type)).toEqual(['ticket.sla_breach']);
    expect(await emailsTo(manager)).toHaveLength(1);

    const after = (await crm.request('GET', `/v1/tickets/${ticket.id}`, { role: 'manager' })).body;
    expect(after.sla.breaches).toBe(1);
    expect(after.sla.firstResponse.breachedAt).toBe(dueAt);
    expect(after.sla.escalations.map((e: { level: string; notified: string[] }) => [e.level, e.notified])).toEqual([
      ['firstResponse.warning', [agent]],
      ['firstResponse.breach', [agent, manager]],
    ]);
  });

  it('catches up after a gap: a run an hour past the deadline escalates warning and breach once each', async () => {
    const { agent, manager, ticket } = await escalationSetup();
    const late = new Date(Date.parse(ticket.sla.firstResponse.dueAt) + HOUR).toISOString();
    await runSla(late);
    await runSla(late);
    expect((await notificationsOf(agent, 'service')).map((n) => n.type).sort()).toEqual(['ticket.sla_breach', 'ticket.sla_warning']);
    expect(await notificationsOf(manager, 'manager')).toHaveLength(1);
    const after = (await crm.request('GET', `/v1/tickets/${ticket.id}`, { role: 'service' })).body;
    expect(after.sla.escalations).toHaveLength(2);
    expect(after.sla.breaches).toBe(1);
  });

  it('a pending ticket is not escalated; its clock goes on when it is open again', async () => {
    const { agent, ticket } = await escalationSetup();
    const pending = await patch(ticket.id, { status: 'pending' });
    expect(pending.body.sla.firstResponse.state).toBe('paused');
    expect(pending.body.sla.nextDeadline).toBeUndefined();
    await runSla(new Date(Date.parse(ticket.sla.firstResponse.dueAt) + HOUR).toISOString());
    expect(await notificationsOf(agent, 'service')).toHaveLength(0);
    const reopened = await patch(ticket.id, { status: 'open' });
    expect(reopened.body.sla.firstResponse.state).toBe('running');
    expect(Date.parse(reopened.body.sla.firstResponse.dueAt)).toBeGreaterThan(Date.parse(ticket.sla.firstResponse.dueAt));
  });
});
