/**
 * On-demand exports of the service and marketing records (tickets, contracts, knowledge-base
 * articles, campaigns, segments, static lists) on the real engines: records created through the
 * API, exported by an analyst (CSV, personal data masked as the API masks it) and by an admin
 * (Parquet, in clear, read back with DuckDB); columns equal to the lake table's; 403 naming the
 * entity for a caller without its read permission; and the live-read semantics the docs state (a
 * ticket whose status changes between parts appears in both).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/api/routes';
import { keys } from '../../functions/data/keys';
import { ENTITY_PLANS, exportTable } from '../../functions/exports/rows';
import { assertExportable } from '../../functions/exports/service';
import { isExportWorkRecord } from '../../functions/exports/storage';
import { runStep } from '../../functions/exports/worker';
import type { Principal } from '../../functions/security/principal';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/env';
import { createStreamPoller, type StreamPoller } from '../../local/stream-poller';
import { EXPORT_ENTITIES, type ExportEntity } from '../../schemas/exports';
import { startTestStack, type TestStack } from '../support/stack';
import { parseCsv } from '../support/csv';
import { finishExport } from '../support/exports';

const NEW_ENTITIES = ['tickets', 'contracts', 'kb-articles', 'campaigns', 'segments', 'mailing-lists'] as const satisfies readonly ExportEntity[];

let crm: TestStack;
let client: DynamoDBClient;
let worker: StreamPoller;
let dir: string;
const run = Math.random().toString(36).slice(2, 8);
const requester = { email: `sam.${run}@elsewhere.example`, name: `Sam ${run}` };
const ids = {} as Record<(typeof NEW_ENTITIES)[number], string>;
let customerId: string;

async function create(path: string, body: unknown): Promise<string> {
  const res = await crm.request('POST', path, { role: 'admin', body });
  expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(201);
  return res.body.id;
}

const finish = (id: string, role: 'admin' | 'analyst' = 'admin') => finishExport(crm, worker, id, role);

/** An entity's files: the header of each and every data row as an object by header. */
async function csvOf(exp: { files: { entity: string; url: string }[] }, entity: string) {
  const headers: string[][] = [];
  const rows: Record<string, string>[] = [];
  for (const file of exp.files.filter((f) => f.entity === entity)) {
    const res = await fetch(file.url);
    expect(res.status).toBe(200);
    const [header, ...data] = parseCsv(await res.text());
    headers.push(header!);
    for (const row of data) rows.push(Object.fromEntries(header!.map((h, i) => [h, row[i]!])));
  }
  return { headers, rows };
}

beforeAll(async () => {
  crm = await startTestStack({ s3: true });
  client = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  worker = createStreamPoller({ tableName: crm.tableName, ddb: client, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB!, mapping: { feature: 'exports-worker', filter: isExportWorkRecord } });
  dir = mkdtempSync(join(tmpdir(), 'crm-exports-entities-'));
  customerId = await create('/v1/customers', { type: 'company', name: `Entities ${run}`, tier: 'A' });
  ids.tickets = await create('/v1/tickets', { subject: `Heat pump ${run}`, description: `Call me on +49 30 ${run}, I am at home`, channel: 'phone', customerId });
  // An unknown sender's name and address (set by inbound mail, functions/tickets/inbound.ts; written here directly).
  await crm.ddb.send(new UpdateCommand({ TableName: crm.tableName, Key: keys.ticket.primary(ids.tickets), UpdateExpression: 'SET requester = :r', ExpressionAttributeValues: { ':r': requester } }));
  ids.contracts = await create('/v1/contracts', { number: `EX-${run}`, customerId, startDate: '2026-01-01', endDate: '2026-12-31', value: { amount: 12_000, currency: 'EUR' }, billingCycle: 'yearly' });
  ids['kb-articles'] = await create('/v1/kb/articles', { title: `Bleeding radiators ${run}`, body: 'Open the valve.', category: 'heating' });
  ids.segments = await create('/v1/segments', { name: `Tier A ${run}`, rules: { tiers: ['A'] } });
  ids['mailing-lists'] = await create('/v1/lists', { name: `Newsletter ${run}` });
  const templateId = await create('/v1/templates', { name: `Spring ${run}`, subject: 'Hi {{contact.firstName}}', html: '<p>Hi</p>', text: 'Hi' });
  ids.campaigns = await create('/v1/campaigns', { name: `Spring ${run}`, channel: 'email', templateId, audience: { segmentIds: [ids.segments], listIds: [ids['mailing-lists']] } });
}, 120_000);

afterAll(async () => {
  delete process.env.EXPORT_PART_ROWS;
  await worker?.stop();
  client?.destroy();
  await crm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('on-demand exports of tickets, contracts, articles, campaigns, segments and lists', () => {
  it('exports them as an analyst in CSV: the lake\'s columns, ticket free text and requester masked as the API masks them', async () => {
    const started = await crm.request('POST', '/v1/exports', { role: 'analyst', body: { entities: ['mailing-lists', 'tickets', 'campaigns', 'contracts', 'segments', 'kb-articles'] } });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.body).toMatchObject({ masked: true, entities: NEW_ENTITIES });
    const done = await finish(started.body.id, 'analyst');
    expect(done.state).toBe('succeeded');
    expect(done.progress.entities.map((e: { entity: string }) => e.entity)).toEqual(NEW_ENTITIES);
    for (const entity of NEW_ENTITIES) {
      const { headers, rows } = await csvOf(done, entity);
      for (const header of headers) expect(header, entity).toEqual(exportTable(entity).columns.map((c) => c.name));
      expect(rows.filter((r) => r.id === ids[entity]), entity).toHaveLength(1);
    }
    const ticket = (await csvOf(done, 'tickets')).rows.find((r) => r.id === ids.tickets)!;
    const api = (await crm.request('GET', `/v1/tickets/${ids.tickets}`, { role: 'analyst' })).body;
    expect(api.masked).toEqual(expect.arrayContaining(['description', 'requester']));
    expect(ticket).toMatchObject({ subject: `Heat pump ${run}`, description: api.description, status: 'new', customer_id: customerId, requester_email: api.requester.email, requester_name: api.requester.name, created_at: api.createdAt });
    expect(ticket.description).toBe('***');
    expect(ticket.requester_email).toBe(`s***@elsewhere.example`);
    const contract = (await csvOf(done, 'contracts')).rows.find((r) => r.id === ids.contracts)!;
    expect(contract).toMatchObject({ number: `EX-${run.toUpperCase()}`, customer_id: customerId, start_date: '2026-01-01', end_date: '2026-12-31', value_amount: '12000', value_currency: 'EUR' });
    const campaign = (await csvOf(done, 'campaigns')).rows.find((r) => r.id === ids.campaigns)!;
    expect(campaign).toMatchObject({ name: `Spring ${run}`, channel: 'email', status: 'draft' });
    expect(JSON.parse(campaign.audience_segment_ids!)).toEqual([ids.segments]);
    const text = (await Promise.all(done.files.map(async (f: { url: string }) => (await fetch(f.url)).text()))).join('');
    expect(text).not.toContain(requester.email);
    expect(text).not.toContain(requester.name);
    expect(text).not.toContain(`+49 30 ${run}`);
  });

  it('exports them as an admin in Parquet, in clear, with the lake\'s column names and types (DuckDB)', async () => {
    const started = await crm.request('POST', '/v1/exports', { role: 'admin', body: { entities: NEW_ENTITIES, format: 'parquet' } });
    expect(started.status).toBe(202);
    expect(started.body.masked).toBe(false);
    const done = await finish(started.body.id);
    expect(done.state).toBe('succeeded');
    const paths: Record<string, string[]> = {};
    for (const [i, file] of done.files.entries()) {
      const path = join(dir, `part-${i}.parquet`);
      writeFileSync(path, Buffer.from(await (await fetch(file.url)).arrayBuffer()));
      (paths[file.entity] ??= []).push(path);
    }
    const DUCKDB: Record<string, string> = { varchar: 'VARCHAR', json: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP', date: 'DATE', 'varchar[]': 'VARCHAR[]' };
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const read = (entity: string) => `read_parquet([${paths[entity]!.map((p) => `'${p}'`).join(', ')}])`;
    try {
      for (const entity of NEW_ENTITIES) {
        const described = (await db.runAndReadAll(`DESCRIBE SELECT * FROM ${read(entity)}`)).getRowObjectsJson();
        expect(described.map((d) => [d.column_name, d.column_type]), entity).toEqual(exportTable(entity).columns.map((c) => [c.name, DUCKDB[c.type]]));
        const found = (await db.runAndReadAll(`SELECT count(*) AS n FROM ${read(entity)} WHERE id = '${ids[entity]}'`)).getRowObjectsJson();
        expect(Number(found[0]!.n), entity).toBe(1);
      }
      const [ticket] = (await db.runAndReadAll(`SELECT description, requester_email, requester_name, priority FROM ${read('tickets')} WHERE id = '${ids.tickets}'`)).getRowObjectsJson();
      expect(ticket).toEqual({ description: `Call me on +49 30 ${run}, I am at home`, requester_email: requester.email, requester_name: requester.name, priority: 'normal' });
      const [contract] = (await db.runAndReadAll(`SELECT value_amount, CAST(end_date AS VARCHAR) AS end_date FROM ${read('contracts')} WHERE id = '${ids.contracts}'`)).getRowObjectsJson();
      expect(contract).toEqual({ value_amount: '12000', end_date: '2026-12-31' });
    } finally {
      db.closeSync();
      instance.closeSync();
    }
  });

  it('answers 403 naming the entity when the caller may not read it, and starts nothing', async () => {
    // An analyst's API key that may export but read contracts only.
    const key = await crm.request('POST', '/v1/api-keys', { role: 'admin', body: { name: `Exports ${run}`, role: 'analyst', scopes: ['exports:create', 'exports:read', 'contracts:read'] } });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    const headers = { 'x-api-key': key.body.key as string };
    const refused = await crm.request('POST', '/v1/exports', { token: null, headers, body: { entities: ['contracts', 'tickets'] } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.detail).toContain('tickets');
    expect(refused.body.detail).toContain('tickets:read');
    expect((await crm.request('GET', '/v1/exports', { token: null, headers })).body.items).toEqual([]);
    const allowed = await crm.request('POST', '/v1/exports', { token: null, headers, body: { entities: ['contracts'] } });
    expect(allowed.status).toBe(202);
  });

  it('checks each entity\'s list permission with scope all (unit)', () => {
    // Every entity's read permission is the permission of a GET list route.
    const listPermissions = new Set(ROUTES.filter((r) => r.method === 'GET').map((r) => r.permission));
    for (const entity of EXPORT_ENTITIES) expect(listPermissions.has(ENTITY_PLANS[entity].read), entity).toBe(true);
    const as = (role: Principal['role'], scopes?: Principal['scopes']): Principal => ({ userId: 'u', role, groups: [role], ...(scopes ? { scopes } : {}) });
    for (const role of ['admin', 'analyst'] as const) expect(() => assertExportable(as(role), EXPORT_ENTITIES)).not.toThrow();
    // Scope own (a sales rep reads only their own tickets): an export of every record is refused.
    expect(() => assertExportable(as('sales'), ['tickets'])).toThrow(/every record of tickets.*scope own/);
    // No permission at all (marketing reads no tickets).
    expect(() => assertExportable(as('marketing'), ['segments', 'tickets'])).toThrow(/lacks tickets:read, so it may not export tickets/);
    expect(() => assertExportable(as('analyst', ['exports:create']), ['campaigns'])).toThrow(/scopes do not include marketing:read, so it may not export campaigns/);
  });

  it('reads live: a ticket whose status changes between two parts appears in both (as documented)', async () => {
    process.env.EXPORT_PART_ROWS = '1';
    try {
      const second = await create('/v1/tickets', { subject: `Second ${run}`, channel: 'email', customerId });
      const started = await crm.request('POST', '/v1/exports', { role: 'admin', body: { entities: ['tickets'] } });
      // Part 1: the first ticket by status, priority and id (both new, normal: the older id).
      expect(await runStep(started.body.id, 0)).toBe('advanced');
      // It is resolved: its gsi4 sort key moves behind the export's read position.
      expect((await crm.request('PATCH', `/v1/tickets/${ids.tickets}`, { role: 'admin', body: { status: 'resolved', resolution: 'Valve opened' } })).status).toBe(200);
      const done = await finish(started.body.id);
      expect(done.state).toBe('succeeded');
      const rows = (await csvOf(done, 'tickets')).rows;
      expect(rows.map((r) => [r.id, r.status])).toEqual([[ids.tickets, 'new'], [second, 'new'], [ids.tickets, 'resolved']]);
    } finally {
      delete process.env.EXPORT_PART_ROWS;
    }
  });
});
