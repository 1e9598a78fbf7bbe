/**
 * Satisfaction surveys, the service report and ticket attachments on the real engines (DynamoDB
 * Local, local SES, local S3), one runtime for the file: the survey email on resolution (once),
 * its public link (tampered and expired tokens, a rating recorded once under concurrent clicks,
 * one follow-up task for a low rating), the report's figures against the tickets made here (a
 * table of this file's own, so exact), and files uploaded and downloaded through presigned URLs
 * with the type and size limits and the portal's view without internal files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMonthOf } from '../../functions/calendar/business-calendar';
import { businessTimeZone } from '../../functions/config';
import { publicAttachmentDownload, publicAttachments } from '../../functions/service-desk/attachments';
import { recordRating } from '../../functions/service-desk/csat-rating';
import { csatToken } from '../../functions/service-desk/csat-token';
import { startTestStack, type TestStack } from '../support/stack';

// The report's request count is part of what it promises (x-db-requests).
process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const MANAGER = '0a9f1d2e-0000-4000-8000-000000000002';
const AGENT = '0a9f1d2e-0000-4000-8000-000000000007';
/** Generous: the machine may be busy (several engines, other suites). */
const SLOW = 180_000;
const run = Math.random().toString(36).slice(2, 8);
let queueId: string;
const month = (at: string | Date = new Date()) => localMonthOf(at, businessTimeZone());

async function customerWithContact(email?: string) {
  const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `CSAT Co ${run} ${Math.random()}` } });
  const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: 'Kunde', ...(email ? { email } : {}) } });
  return { customerId: customer.body.id as string, contactId: contact.body.id as string };
}

async function openTicket(body: Record<string, unknown>) {
  const res = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Heating cold', channel: 'phone', queueId, assigneeId: AGENT, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const patch = (id: string, body: Record<string, unknown>) => crm.request('PATCH', `/v1/tickets/${id}`, { role: 'service', body });

/** The token of the survey email sent to `email` (exactly one expected). */
async function surveyTokenFor(email: string): Promise<string> {
  const mails = (await crm.sentEmails()).filter((e) => e.destination.to.includes(email) && e.subject.startsWith('How did we do?'));
  expect(mails).toHaveLength(1);
  const link = /\/v1\/csat\?token=([A-Za-z0-9_-]+)&rating=3/.exec(mails[0].body.text);
  expect(link, mails[0].body.text).not.toBeNull();
  return link![1]!;
}

const postRating = (token: string, form: string) => crm.request('POST', `/v1/csat?token=${token}`, { rawBody: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

beforeAll(async () => {
  crm = await startTestStack({ ses: true, s3: true });
  const queue = await crm.request('POST', '/v1/queues', { role: 'admin', body: { name: `CSAT ${run}`, memberIds: [AGENT], managerId: MANAGER } });
  expect(queue.status, JSON.stringify(queue.body)).toBe(201);
  queueId = queue.body.id;
});
afterAll(async () => {
  await crm?.stop();
});

describe('satisfaction survey', () => {
  it('emails one survey on resolution, shows the page, records the first rating only and opens one follow-up task for a low rating', async () => {
    const email = `csat-${run}@example.com`;
    const { customerId, contactId } = await customerWithContact(email);
    const ticket = await openTicket({ customerId, contactId, category: 'billing' });
    expect((await patch(ticket.id, { status: 'resolved' })).status).toBe(200);
    // Reopened and resolved again: still the one survey.
    expect((await patch(ticket.id, { status: 'open' })).status).toBe(200);
    expect((await patch(ticket.id, { status: 'resolved' })).status).toBe(200);
    const token = await surveyTokenFor(email);

    const page = await crm.request('GET', `/v1/csat?token=${token}&rating=2`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'sha256-[^']+'; form-action 'self'/);
    expect(page.text).toContain('value="2" required checked');
    expect(page.text).toContain(`action="/v1/csat?token=${token}"`);
    expect(page.text).not.toMatch(/<script|https?:\/\//);

    // Five clicks at once: exactly one is recorded, the others are told so.
    const clicks = await Promise.all([1, 1, 5, 4, 1].map((r) => postRating(token, `rating=${r}&comment=${encodeURIComponent('Took\r\nages')}`)));
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    expect(clicks.filter((c) => c.text.includes('Thank you!'))).toHaveLength(1);
    expect(clicks.filter((c) => c.text.includes('Already rated'))).toHaveLength(4);
    const again = await crm.request('GET', `/v1/csat?token=${token}`);
    expect(again.text).toContain('Already rated');

    // The portal path: another customer's contact gets 404; the ticket's own contact is told it was rated.
    await expect(recordRating(ticket.id, 5, undefined, { via: 'portal', contactId, customerId: (await customerWithContact()).customerId })).rejects.toMatchObject({ status: 404 });
    const portal = await recordRating(ticket.id, 5, 'fine', { via: 'portal', contactId, customerId });
    expect(portal.recorded).toBe(false);

    // A low first rating (1 or 4 won the race: only a low one has a task) → exactly one task for the queue's manager.
    const tasks = await crm.request('GET', `/v1/tasks?assigneeId=${MANAGER}&customerId=${customerId}`, { role: 'manager' });
    expect(tasks.status, JSON.stringify(tasks.body)).toBe(200);
    const followUps = tasks.body.items.filter((t: { title: string }) => t.title.startsWith('Low satisfaction'));
    expect(followUps).toHaveLength(portal.rating <= 2 ? 1 : 0);
    if (portal.rating <= 2) expect(portal.followUpTaskId).toBe(followUps[0].id);
  }, SLOW);

  it('refuses changed, foreign and expired tokens with 400 naming query.token, and bad ratings with 400', async () => {
    const email = `csat-tamper-${run}@example.com`;
    const { customerId, contactId } = await customerWithContact(email);
    const ticket = await openTicket({ customerId, contactId });
    await patch(ticket.id, { status: 'resolved' });
    const token = await surveyTokenFor(email);
    const flipped = token.slice(0, 20) + (token[20] === 'A' ? 'B' : 'A') + token.slice(21);
    const cursorLike = (await crm.request('GET', '/v1/tickets?limit=1', { role: 'admin' })).body.nextCursor as string;
    for (const bad of [flipped, token.slice(0, -4), cursorLike, 'x']) {
      const res = await crm.request('GET', `/v1/csat?token=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'query.token', message: 'Invalid token' }]);
    }
    const expired = await csatToken(ticket.id, new Date(Date.now() - 1000));
    for (const res of [await crm.request('GET', `/v1/csat?token=${expired}`), await postRating(expired, 'rating=5')]) {
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'query.token', message: 'Expired token' }]);
    }
    expect((await postRating(token, 'rating=6')).status).toBe(400);
    expect((await crm.request('POST', `/v1/csat?token=${token}`, { rawBody: 'rating=5', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    // A good rating (above the threshold) opens no task.
    expect((await postRating(token, 'rating=5')).text).toContain('Thank you!');
    const tasks = await crm.request('GET', `/v1/tasks?assigneeId=${MANAGER}&customerId=${customerId}`, { role: 'manager' });
    expect(tasks.body.items).toHaveLength(0);
  }, SLOW);
});

describe('service report', () => {
  it('matches the tickets made here: backlog, flows, times, compliance, breaches and CSAT by agent, queue and category', async () => {
    // A clean year for this table's counters: everything so far happened this month.
    const before = (await crm.request('GET', `/v1/reports/service?period=${month()}`, { role: 'manager' })).body;
    const { customerId, contactId } = await customerWithContact(`report-${run}@example.com`);
    const open = await openTicket({ customerId, priority: 'high' });
    const waiting = await openTicket({ customerId, priority: 'low' });
    await patch(waiting.id, { status: 'pending' });
    const answered = await openTicket({ customerId, contactId, category: 'repairs' });
    expect((await crm.request('POST', `/v1/tickets/${answered.id}/messages`, { role: 'service', body: { visibility: 'public', body: 'On it' } })).status).toBe(201);
    await patch(answered.id, { status: 'resolved' });

    const res = await crm.request('GET', `/v1/reports/service?period=${month()}`, { role: 'manager' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('x-db-requests')).toBe('2');
    const r = res.body;
    expect(r.backlog.total - before.backlog.total).toBe(2);
    expect(r.backlog.byStatus.open - before.backlog.byStatus.open).toBe(0);
    expect(r.backlog.byStatus.new - before.backlog.byStatus.new).toBe(1);
    expect(r.backlog.byStatus.pending - before.backlog.byStatus.pending).toBe(1);
    expect(r.backlog.byPriority.high - before.backlog.byPriority.high).toBe(1);
    expect(r.flow.opened - before.flow.opened).toBe(3);
    expect(r.flow.resolved - before.flow.resolved).toBe(1);
    expect(r.firstResponse.count - before.firstResponse.count).toBe(1); // the public reply (resolving without one records no response)
    expect(r.resolution.count - before.resolution.count).toBe(1);
    expect(r.resolution.medianMinutes).toBeLessThanOrEqual(15);
    expect(r.sla.compliance).toBe(1);
    const repairs = r.csat.byCategory.find((row: { id: string }) => row.id === 'repairs');
    expect(repairs).toEqual({ id: 'repairs', surveys: 1, responses: 0, responseRate: 0, average: null });
    expect(r.csat.byAgent.find((row: { id: string }) => row.id === AGENT).surveys).toBe(r.csat.surveys);
    expect(r.csat.surveys - before.csat.surveys).toBe(1);
    expect(r.csat.responses).toBe(before.csat.responses);
    const answers = Object.values(r.csat.distribution as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(answers).toBe(r.csat.responses);

    // The SLA job, run after the high ticket's deadlines: both breaches and the escalations, counted once.
    const ticket = (await crm.request('GET', `/v1/tickets/${open.id}`, { role: 'service' })).body;
    const late = new Date(Date.parse(ticket.sla.resolution.dueAt) + 60_000);
    await crm.runJob('sla', late);
    await crm.runJob('sla', late);
    const breached = (await crm.request('GET', `/v1/tickets/${open.id}`, { role: 'service' })).body;
    const breaches = (await crm.request('GET', `/v1/reports/service?period=${month(breached.sla.firstResponse.breachedAt)}`, { role: 'analyst' })).body;
    expect(breaches.sla.breaches.firstResponse).toBe(1);
    expect(breaches.sla.breaches.total).toBe(breaches.sla.breaches.firstResponse + breaches.sla.breaches.resolution);
    // Escalations count in the month the job made them, each level once although the job ran twice.
    const escalations = (await crm.request('GET', `/v1/reports/service?period=${month(late)}`, { role: 'analyst' })).body;
    expect(escalations.sla.escalations).toEqual({ 'firstResponse.warning': 1, 'firstResponse.breach': 1, 'resolution.warning': 1, 'resolution.breach': 1 });
    expect((await crm.request('GET', `/v1/reports/service?period=${month()}`, { role: 'sales' })).status).toBe(403);
  }, SLOW);
});

describe('attachments', () => {
  it('uploads and downloads through presigned URLs of the local S3, within the limits, and keeps internal files from the portal', async () => {
    const { customerId, contactId } = await customerWithContact();
    const ticket = await openTicket({ customerId, contactId });
    const reply = await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'public', body: 'See the photo' } });
    const note = await crm.request('POST', `/v1/tickets/${ticket.id}/messages`, { role: 'service', body: { visibility: 'internal', body: 'Our notes' } });
    const bytes = Buffer.from('%PDF-1.4 fake but fine');
    const attach = (messageId: string, extra: Record<string, unknown> = {}) => crm.request('POST', `/v1/tickets/${ticket.id}/attachments`, {
      role: 'service', body: { messageId, fileName: 'Übersicht "Q4".pdf', contentType: 'application/pdf', size: bytes.length, ...extra },
    });

    const file = await attach(reply.body.id);
    expect(file.status, JSON.stringify(file.body)).toBe(201);
    expect(file.body).toMatchObject({ visibility: 'public', upload: { method: 'PUT', headers: { 'content-type': 'application/pdf', 'content-length': String(bytes.length) } } });
    const path = `/v1/tickets/${ticket.id}/attachments/${file.body.id}`;
    expect((await crm.request('GET', path, { role: 'service' })).status).toBe(409); // not uploaded yet
    const put = await fetch(file.body.upload.url, { method: 'PUT', headers: file.body.upload.headers, body: bytes });
    expect(put.status).toBe(200);
    const download = await crm.request('GET', path, { role: 'service' });
    expect(download.status, JSON.stringify(download.body)).toBe(200);
    const got = await fetch(download.body.url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true);
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="Ubersicht _Q4_.pdf"; filename*=UTF-8\'\'%C3%9Cbersicht%20%22Q4%22.pdf');

    // Limits: type, size, a message of another ticket → 400; an upload unlike its declaration is never served.
    expect((await attach(reply.body.id, { contentType: 'text/html' })).status).toBe(400);
    expect((await attach(reply.body.id, { size: 10 * 1024 * 1024 + 1 })).status).toBe(400);
    expect((await attach('msg_00000000000000000000000000')).status).toBe(400);
    const internal = await attach(note.body.id);
    expect(internal.body.visibility).toBe('internal');
    await fetch(internal.body.upload.url, { method: 'PUT', headers: { 'content-type': 'application/pdf' }, body: Buffer.concat([bytes, bytes]) });
    expect((await crm.request('GET', `/v1/tickets/${ticket.id}/attachments/${internal.body.id}`, { role: 'service' })).status).toBe(409);

    // Readers: the analyst sees the list with names masked and may not download.
    const list = await crm.request('GET', `/v1/tickets/${ticket.id}/attachments`, { role: 'analyst' });
    expect(list.body.items.map((a: { fileName: string }) => a.fileName)).toEqual(['(masked)', '(masked)']);
    expect((await crm.request('GET', path, { role: 'analyst' })).status).toBe(403);

    // The portal: public files of its own customer only.
    expect((await publicAttachments(ticket.id, customerId)).items.map((a) => a.id)).toEqual([file.body.id]);
    expect((await publicAttachmentDownload(ticket.id, file.body.id, customerId)).url).toContain(file.body.id);
    await expect(publicAttachmentDownload(ticket.id, internal.body.id, customerId)).rejects.toMatchObject({ status: 404 });
    await expect(publicAttachments(ticket.id, (await customerWithContact()).customerId)).rejects.toMatchObject({ status: 404 });
  }, SLOW);
});
