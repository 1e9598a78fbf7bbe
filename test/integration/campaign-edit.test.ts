/**
 * `PATCH /v1/campaigns/{id}` on the real local engines: a campaign changes only before it starts
 * sending, under If-Match, with a `campaign.updated` audit entry in the same write; moving a
 * scheduled campaign's send time moves its one-time schedule (only the new time fires); bad input
 * and refused states change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/data/keys';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
const run = Date.now().toString(36);
let templateId: string;
let otherTemplateId: string;
let listId: string;
let email: string;

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
  process.env.PUBLIC_API_URL = crm.baseUrl;
  const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Edit ${run}`, tier: 'A' } });
  expect(customer.status, customer.text).toBe(201);
  email = `edit.${run}@example.com`;
  const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { firstName: 'Eddie', lastName: 'Tester', email } });
  expect(contact.status, contact.text).toBe(201);
  await crm.request('PUT', `/v1/contacts/${contact.body.id}/consent/email`, { role: 'marketing', body: { status: 'opted_in', source: 'form' } });
  templateId = (await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: 'First', subject: 'First', html: '<p>1</p>', text: '1' } })).body.id;
  otherTemplateId = (await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: 'Second', subject: 'Second {{contact.firstName}}', html: '<p>2</p>', text: '2' } })).body.id;
  listId = (await crm.request('POST', '/v1/lists', { role: 'marketing', body: { name: 'Edit list' } })).body.id;
  await crm.request('POST', `/v1/lists/${listId}/members`, { role: 'marketing', body: { contactIds: [contact.body.id] } });
}, 120_000);

afterAll(async () => {
  await crm?.stop();
});

async function draft(name: string): Promise<{ id: string; version: number }> {
  const res = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name, goal: 'Leads', budget: { amount: 50_000, currency: 'EUR' }, channel: 'email', templateId, audience: { listIds: [listId] }, sendRatePerSecond: 20 } });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

const read = async (id: string) => (await crm.request('GET', `/v1/campaigns/${id}`, { role: 'marketing' })).body;
const patch = (id: string, body: unknown, ifMatch?: string) => crm.request('PATCH', `/v1/campaigns/${id}`, { role: 'marketing', body, ...(ifMatch ? { headers: { 'if-match': ifMatch } } : {}) });

async function auditOf(id: string) {
  const out = await crm.ddb.send(new QueryCommand({
    TableName: crm.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :aud)',
    ExpressionAttributeValues: { ':pk': keys.campaign.partition(id), ':aud': keys.audit.prefix }, ConsistentRead: true,
  }));
  return out.Items ?? [];
}

/** The campaign's entries on the due index (its one-time schedule): at most one, ever. */
async function dueEntries(id: string) {
  const out = await crm.ddb.send(new QueryCommand({
    TableName: crm.tableName, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk',
    FilterExpression: 'id = :id', ExpressionAttributeValues: { ':pk': keys.campaign.activePartition, ':id': id },
  }));
  return (out.Items ?? []).map((i) => String(i.gsi2sk));
}

const mailsTo = async (address: string) => (await crm.sentEmails()).filter((e: any) => e.destination.to.includes(address));

describe('PATCH /v1/campaigns/{id}', () => {
  it('changes a draft under If-Match, clears with null, records campaign.updated; a stale ETag is 412', async () => {
    const c = await draft(`Draft ${run}`);
    const res = await patch(c.id, { name: `Renamed ${run}`, goal: null, budget: { amount: 75_000, currency: 'USD' }, templateId: otherTemplateId, consentPolicy: 'not_opted_out', sendRatePerSecond: null }, `"${c.version}"`);
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get('etag')).toBe(`"${c.version + 1}"`);
    expect(res.body).toMatchObject({ name: `Renamed ${run}`, budget: { amount: 75_000, currency: 'USD' }, templateId: otherTemplateId, consentPolicy: 'not_opted_out', status: 'draft', version: c.version + 1 });
    expect(res.body.goal).toBeUndefined();
    expect(res.body.sendRatePerSecond).toBeUndefined();
    expect(res.body.audience).toEqual({ segmentIds: [], listIds: [listId] });

    const entries = (await auditOf(c.id)).filter((e) => e.action === 'updated');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ entityType: 'campaign', entityId: c.id, version: c.version + 1 });
    expect((entries[0]!.changes as { field: string }[]).map((ch) => ch.field).sort()).toEqual(['budget', 'consentPolicy', 'goal', 'name', 'sendRatePerSecond', 'templateId']);

    // The ETag read before that change is stale now: 412, and nothing changes.
    const stale = await patch(c.id, { name: 'Lost update' }, `"${c.version}"`);
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toBe('application/problem+json');
    expect((await read(c.id)).name).toBe(`Renamed ${run}`);
    expect((await auditOf(c.id)).filter((e) => e.action === 'updated')).toHaveLength(1);
    // Without If-Match the change applies to the latest version.
    expect((await patch(c.id, { name: `Latest ${run}` })).body).toMatchObject({ name: `Latest ${run}`, version: c.version + 2 });
  });

  it('answers bad input with a 400 naming the field and changes nothing', async () => {
    const c = await draft(`Bad ${run}`);
    const cases: [unknown, string][] = [
      [{ templateId: 'tpl_00000000000000000000000000' }, 'templateId'],
      [{ audience: { listIds: ['lst_00000000000000000000000000'] } }, 'audience.listIds.0'],
      [{ audience: {} }, 'audience'],
      [{ budget: { amount: -1, currency: 'EUR' } }, 'budget.amount'],
      [{ budget: { amount: 1.5, currency: 'EUR' } }, 'budget.amount'],
      [{ budget: { amount: 100, currency: 'euro' } }, 'budget.currency'],
      [{ channel: 'sms' }, ''],
      [{ sendAt: 'tomorrow' }, 'sendAt'],
      [{}, ''],
    ];
    for (const [body, path] of cases) {
      const res = await patch(c.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      if (path) expect(res.body.errors.map((e: { path: string }) => e.path), JSON.stringify(body)).toContain(path);
    }
    const after = await read(c.id);
    expect(after).toMatchObject({ name: `Bad ${run}`, version: c.version, templateId, budget: { amount: 50_000, currency: 'EUR' } });
    expect((await auditOf(c.id)).filter((e) => e.action === 'updated')).toHaveLength(0);
    // A draft has no send time to move: it gets one from the schedule action.
    expect((await patch(c.id, { sendAt: new Date(Date.now() + 3_600_000).toISOString() })).status).toBe(409);
    expect((await patch('cmp_00000000000000000000000000', { name: 'x' })).status).toBe(404);
    expect((await crm.request('PATCH', `/v1/campaigns/${c.id}`, { role: 'sales', body: { name: 'x' } })).status).toBe(403);
  });

  it('moves a scheduled campaign\'s one-time schedule: only the new time fires', async () => {
    const c = await draft(`Moved ${run}`);
    const t0 = Date.now();
    const first = new Date(t0 + 3_600_000).toISOString();
    const moved = new Date(t0 + 7_200_000).toISOString();
    expect((await crm.request('POST', `/v1/campaigns/${c.id}/schedule`, { role: 'marketing', body: { sendAt: first } })).status).toBe(200);
    expect(await dueEntries(c.id)).toEqual([`${first}#${c.id}`]);

    const res = await patch(c.id, { sendAt: moved, templateId: otherTemplateId });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ status: 'scheduled', sendAt: moved });
    expect(await dueEntries(c.id)).toEqual([`${moved}#${c.id}`]);

    // The old time passes: nothing starts, nothing is sent.
    await crm.runJob('campaigns', new Date(t0 + 3_600_000 + 60_000));
    expect(await read(c.id)).toMatchObject({ status: 'scheduled', stats: { recipients: 0, sent: 0 } });
    expect(await mailsTo(email)).toHaveLength(0);

    // The new time: it sends, with the changed template, once.
    const at = new Date(t0 + 7_200_000 + 60_000);
    await crm.runJob('campaigns', at);
    await crm.runJob('campaigns', new Date(at.getTime() + 120_000));
    const mails = await mailsTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe('Second Eddie');
    expect(await read(c.id)).toMatchObject({ status: 'sent', stats: { recipients: 1, sent: 1 } });
    expect(await dueEntries(c.id)).toEqual([]);

    // Sent: no longer editable, with a problem that says why.
    const late = await patch(c.id, { name: 'Too late' });
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain('sent');
  });

  it('refuses a cancelled campaign and one paused after it started; a paused one that never started can still change', async () => {
    const cancelled = await draft(`Cancelled ${run}`);
    await crm.request('POST', `/v1/campaigns/${cancelled.id}/cancel`, { role: 'marketing' });
    const res = await patch(cancelled.id, { name: 'x' });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('cancelled');

    const paused = await draft(`Paused ${run}`);
    const sendAt = new Date(Date.now() + 86_400_000).toISOString();
    await crm.request('POST', `/v1/campaigns/${paused.id}/schedule`, { role: 'marketing', body: { sendAt } });
    await crm.request('POST', `/v1/campaigns/${paused.id}/pause`, { role: 'marketing' });
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const edited = await patch(paused.id, { name: `Paused edited ${run}`, sendAt: later });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.body).toMatchObject({ status: 'paused', sendAt: later });
    // Paused keeps it off the due index; resuming puts it back at the new time.
    expect(await dueEntries(paused.id)).toEqual([]);
    expect((await crm.request('POST', `/v1/campaigns/${paused.id}/resume`, { role: 'marketing' })).body).toMatchObject({ status: 'scheduled', sendAt: later });
    expect(await dueEntries(paused.id)).toEqual([`${later}#${paused.id}`]);

    // Started, then paused: part of the audience may be mailed already, so it stays as it is.
    // (The job's start, scheduled → sending, sets startedAt; written here directly so no email goes out.)
    const started = await draft(`Started ${run}`);
    await crm.request('POST', `/v1/campaigns/${started.id}/schedule`, { role: 'marketing', body: { sendAt } });
    await crm.request('POST', `/v1/campaigns/${started.id}/pause`, { role: 'marketing' });
    await crm.ddb.send(new UpdateCommand({ TableName: crm.tableName, Key: keys.campaign.primary(started.id), UpdateExpression: 'SET startedAt = :now', ExpressionAttributeValues: { ':now': new Date().toISOString() } }));
    const refused = await patch(started.id, { name: 'x' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain('paused after it started');
    expect((await read(started.id)).name).toBe(`Started ${run}`);
  });
});
