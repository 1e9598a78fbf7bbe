/**
 * The service desk's backfills (scripts/backfill-service-desk.ts) against DynamoDB Local:
 * contacts written before the sender index key existed are found by inbound mail's lookup after a
 * run, and tickets opened before the report counters existed are counted once — a second run, and
 * a run resumed from its progress file, change nothing more.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { localMonthOf } from '../../functions/calendar/business-calendar';
import { businessTimeZone } from '../../functions/config';
import { keys } from '../../functions/data/keys';
import { backfillContactEmailKey, backfillServiceReport } from '../../scripts/backfill-service-desk';
import { startTestStack, type TestStack } from '../support/stack';

vi.setConfig({ testTimeout: 300_000 });

let crm: TestStack;
let dir: string;
const run = `r${process.pid}x${Date.now().toString(36)}`;

beforeAll(async () => {
  crm = await startTestStack();
  dir = mkdtempSync(join(tmpdir(), 'backfill-sd-'));
});
afterAll(async () => {
  await crm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * A keyed create, retried once after a 503 with the same Idempotency-Key as the conventions say: on
 * a loaded machine the first write to a fresh table can outlast the client's timeout.
 */
async function create(path: string, body: Record<string, unknown>) {
  const headers = { 'idempotency-key': `${run}-${path}-${JSON.stringify(body)}`.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 200) };
  let res = await crm.request('POST', path, { role: 'admin', body, headers });
  if (res.status === 503) res = await crm.request('POST', path, { role: 'admin', body, headers });
  expect(res.status, res.text).toBe(201);
  return res;
}

async function customerWithContact(name: string, email: string) {
  const customer = await create('/v1/customers', { type: 'company', name: `${name} ${run}` });
  const contact = await create(`/v1/customers/${customer.body.id}/contacts`, { lastName: name, email });
  return { customerId: String(customer.body.id), contactId: String(contact.body.id) };
}

const senders = async (email: string) => (await crm.ddb.send(new QueryCommand({
  TableName: crm.tableName, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk', ExpressionAttributeValues: { ':pk': keys.contact.byEmailPartition(email) },
}))).Items?.map((i) => i.id) ?? [];

describe('backfill of the contact email key', () => {
  it('puts old contacts (live and archived customers) in the sender index once', async () => {
    const live = await customerWithContact('Old', `Old.Contact-${run}@Example.com`);
    const archived = await customerWithContact('Gone', `gone-${run}@example.com`);
    const fresh = await customerWithContact('New', `new-${run}@example.com`);
    expect((await crm.request('DELETE', `/v1/customers/${archived.customerId}`, { role: 'admin' })).status).toBe(200);
    // The old shape: no gsi2 key on the contact.
    for (const c of [live, archived]) {
      await crm.ddb.send(new UpdateCommand({ TableName: crm.tableName, Key: keys.contact.primary(c.contactId), UpdateExpression: 'REMOVE gsi2pk, gsi2sk' }));
    }
    expect(await senders(`old.contact-${run}@example.com`)).toEqual([]);
    const versionBefore = (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.contact.primary(live.contactId) }))).Item!.version;

    const progressFile = join(dir, 'contacts.json');
    const first = await backfillContactEmailKey({ ddb: crm.ddb, tableName: crm.tableName, rate: 1000, pageSize: 1, progressFile });
    expect(first).toMatchObject({ customers: 3, contacts: 3, missing: 2, updated: 2, changed: 0 });
    expect(existsSync(progressFile)).toBe(false);
    // Normalised like the lookup: inbound mail from any spelling finds the contact.
    expect(await senders(`OLD.contact-${run}@example.COM`)).toEqual([live.contactId]);
    expect(await senders(`gone-${run}@example.com`)).toEqual([archived.contactId]);
    expect(await senders(`new-${run}@example.com`)).toEqual([fresh.contactId]);
    // An index key is not a change of the record: no new version.
    expect((await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.contact.primary(live.contactId) }))).Item!.version).toBe(versionBefore);

    const second = await backfillContactEmailKey({ ddb: crm.ddb, tableName: crm.tableName, rate: 1000, progressFile });
    expect(second).toMatchObject({ missing: 0, updated: 0 });
  });
});

describe('backfill of the service report counters', () => {
  it('counts tickets opened before the counters once; a ticket changed since is reported, not guessed', async () => {
    const { customerId } = await customerWithContact('Report', `report-${run}@example.com`);
    const open = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Still open', channel: 'phone', customerId, priority: 'high' } });
    const done = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Done', channel: 'phone', customerId } });
    const later = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Changed later', channel: 'phone', customerId } });
    expect([open.status, done.status, later.status]).toEqual([201, 201, 201]);
    expect((await crm.request('POST', `/v1/tickets/${done.body.id}/messages`, { role: 'service', body: { visibility: 'internal', body: 'note' } })).status).toBe(201);
    const reply = await crm.request('POST', `/v1/tickets/${done.body.id}/messages`, { role: 'service', body: { visibility: 'public', body: 'On it' } });
    expect(reply.status, reply.text).toBe(201);
    expect((await crm.request('PATCH', `/v1/tickets/${done.body.id}`, { role: 'service', body: { status: 'resolved', resolution: 'Fixed' } })).status).toBe(200);
    // The cut: after every write above (their answers are in), before the PATCH below (a round trip later).
    const before = new Date(Date.now() + 1);
    expect((await crm.request('PATCH', `/v1/tickets/${later.body.id}`, { role: 'service', body: { status: 'on_hold' } })).status).toBe(200);

    const period = localMonthOf(new Date(), businessTimeZone());
    const report = async () => {
      const res = await crm.request('GET', `/v1/reports/service?period=${period}`, { role: 'manager' });
      expect(res.status, res.text).toBe(200);
      return res.body;
    };
    const truth = await report();
    expect(truth.backlog.total).toBe(2);
    expect(truth.resolution.count).toBe(1);

    // The counters as before they existed: no backlog, no times.
    const counterItems = [
      ...((await crm.ddb.send(new QueryCommand({ TableName: crm.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.serviceReport.backlogPartition } }))).Items ?? []),
      ...((await crm.ddb.send(new QueryCommand({ TableName: crm.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.serviceReport.partition(period.slice(0, 4)) } }))).Items ?? [])
        .filter((i) => String(i.sk).includes('#SLA#')),
    ];
    for (const i of counterItems) await crm.ddb.send(new DeleteCommand({ TableName: crm.tableName, Key: { pk: i.pk, sk: i.sk } }));
    expect((await report()).backlog.total).toBe(0);

    const progressFile = join(dir, 'report.json');
    const first = await backfillServiceReport({ ddb: crm.ddb, tableName: crm.tableName, rate: 1000, pageSize: 1, progressFile, before });
    expect(first).toMatchObject({ tickets: 3, missing: 3, counted: 2, changedSince: 1, changedSinceIds: [later.body.id], changed: 0 });
    expect(existsSync(progressFile)).toBe(false);
    const after = await report();
    // The open ticket is back in the backlog; the one changed after the cut is not guessed.
    expect(after.backlog.byStatusAndPriority).toEqual([{ status: 'new', priority: 'high', tickets: 1 }]);
    expect(after.firstResponse).toEqual(truth.firstResponse);
    expect(after.resolution).toEqual(truth.resolution);
    expect(after.sla).toEqual(truth.sla);

    // Idempotent: a second run counts nothing more.
    const second = await backfillServiceReport({ ddb: crm.ddb, tableName: crm.tableName, rate: 1000, progressFile, before });
    expect(second).toMatchObject({ missing: 1, counted: 0, changedSince: 1 });
    expect(await report()).toEqual(after);
  });
});
