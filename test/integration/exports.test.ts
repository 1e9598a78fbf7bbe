/**
 * On-demand exports end to end on the real engines: POST /v1/exports writes the export item, the
 * table stream (the local poller standing in for the worker's event source mapping) runs the
 * worker step by step, files land in the local S3, and GET /v1/exports/{id} shows the progress and
 * presigned URLs that the local S3 serves. Checks the rows against the API, masking by role, parts
 * and progress states, a repeated and a failed step (no duplicate, no lost row), Idempotency-Key,
 * Parquet (read back with DuckDB) and who may see which export.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LakeType } from '../../functions/analytics/lake';
import { openFile } from '../../functions/exports/files';
import { csvRow, exportTable } from '../../functions/exports/rows';
import { isExportWorkRecord, presignGet } from '../../functions/exports/storage';
import { runStep } from '../../functions/exports/worker';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/env';
import { createStreamPoller, type StreamPoller } from '../../local/stream-poller';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';
import { parseCsv } from '../support/csv';
import { finishExport } from '../support/exports';

/** The DuckDB type of each documented lake type, as DuckDB reads the export's Parquet files. */
const DUCKDB_TYPES: Record<LakeType, string> = {
  varchar: 'VARCHAR', json: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP', date: 'DATE', 'varchar[]': 'VARCHAR[]',
};

let crm: TestStack;
let client: DynamoDBClient;
let worker: StreamPoller;
let dir: string;
const run = Math.random().toString(36).slice(2, 8);
const customers: { id: string; email: string; phone: string }[] = [];
let contactCount = 0;

const finish = (id: string, role: 'admin' | 'analyst' | 'sales' = 'admin') => finishExport(crm, worker, id, role);

async function download(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.text();
}

/** Every data row of an entity over all its files, as objects by header. */
async function rowsOf(exp: { files: { entity: string; url: string }[] }, entity: string): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  for (const file of exp.files.filter((f) => f.entity === entity)) {
    const [header, ...rows] = parseCsv((await download(file.url)).replace(/^\uFEFF/, ''));
    for (const row of rows) out.push(Object.fromEntries(header!.map((h, i) => [h, row[i]!])));
  }
  return out;
}

beforeAll(async () => {
  crm = await startTestStack({ s3: true });
  process.env.EXPORT_PART_ROWS = '4';
  client = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  worker = createStreamPoller({ tableName: crm.tableName, ddb: client, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB!, mapping: { feature: 'exports-worker', filter: isExportWorkRecord } });
  dir = mkdtempSync(join(tmpdir(), 'crm-exports-'));
  for (let i = 0; i < 9; i++) {
    const email = `person${i}.${run}@example.com`;
    const phone = `+49 30 ${run.length}${String(1000 + i)}`;
    const res = await crm.request('POST', '/v1/customers', {
      role: 'admin',
      body: { type: 'company', name: `Export ${run} ${i}`, email, phone, tier: i % 2 ? 'A' : 'B', address: { line1: `Street ${i}`, city: 'Berlin', postalCode: '10115', country: 'DE' } },
    });
    expect(res.status).toBe(201);
    customers.push({ id: res.body.id, email, phone });
    if (i < 3) {
      for (let c = 0; c <= i; c++) {
        const contact = await crm.request('POST', `/v1/customers/${res.body.id}/contacts`, { role: 'admin', body: { lastName: `Contact ${c}`, email: `c${c}.${i}.${run}@example.com` } });
        expect(contact.status).toBe(201);
        contactCount += 1;
      }
    }
  }
  // An archived customer is exported too (with archived_at).
  expect((await crm.request('DELETE', `/v1/customers/${customers[8]!.id}`, { role: 'admin' })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  delete process.env.EXPORT_PART_ROWS;
  await worker?.stop();
  client?.destroy();
  await crm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('on-demand exports', () => {
  it('exports customers and contacts as CSV in parts, with progress, and presigned URLs the local S3 serves', async () => {
    const started = await crm.request('POST', '/v1/exports', { role: 'admin', body: { entities: ['contacts', 'customers'] } });
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/v1/exports/${started.body.id}`);
    expect(started.body).toMatchObject({ state: 'queued', format: 'csv', entities: ['customers', 'contacts'], masked: false });
    expect(started.body.progress).toMatchObject({ entitiesDone: 0, entitiesTotal: 2, rows: 0, bytes: 0, files: 0 });
    expect(started.body.files).toBeUndefined();

    // One step: the first part of customers is written, the export is running.
    await runStep(started.body.id, 0);
    const running = (await crm.request('GET', `/v1/exports/${started.body.id}`, { role: 'admin' })).body;
    expect(running.state).toBe('running');
    expect(running.progress.entities[0]).toMatchObject({ entity: 'customers', state: 'running', files: 1 });
    expect(running.progress.rows).toBeGreaterThanOrEqual(4);
    expect(running.files).toBeUndefined();

    const done = await finish(started.body.id);
    expect(done.state).toBe('succeeded');
    expect(done.completedAt).toBeDefined();
    expect(done.progress.entitiesDone).toBe(2);
    expect(done.progress.entities.map((e: { state: string }) => e.state)).toEqual(['done', 'done']);
    // 9 customers in parts of at most 4 rows (page boundaries) → several files, every file with a header.
    const customerFiles = done.files.filter((f: { entity: string }) => f.entity === 'customers');
    expect(customerFiles.length).toBeGreaterThanOrEqual(3);
    expect(customerFiles.map((f: { part: number }) => f.part)).toEqual(customerFiles.map((_: unknown, i: number) => i + 1));
    expect(done.progress.bytes).toBe(done.files.reduce((n: number, f: { bytes: number }) => n + f.bytes, 0));

    const rows = await rowsOf(done, 'customers');
    const mine = rows.filter((r) => r.name!.startsWith(`Export ${run}`));
    expect(mine).toHaveLength(9);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    // The admin's file has personal data in clear, with the lake's column names.
    const api = (await crm.request('GET', `/v1/customers/${customers[0]!.id}`, { role: 'admin' })).body;
    const row = mine.find((r) => r.id === customers[0]!.id)!;
    expect(row).toMatchObject({ email: api.email, address_line1: 'Street 0', address_city: 'Berlin', tier: api.tier, created_at: api.createdAt });
    // A phone starts with "+": guarded against spreadsheet formulas.
    expect(row.phone).toBe(`'${api.phone}`);
    expect(mine.find((r) => r.id === customers[8]!.id)!.archived_at).not.toBe('');
    const contacts = (await rowsOf(done, 'contacts')).filter((r) => r.email!.endsWith(`.${run}@example.com`));
    expect(contacts).toHaveLength(contactCount);

    // Audit: who exported what, when, and how many rows — in the export's partition, no personal data.
    const audit = (await crm.ddb.send(new QueryCommand({
      TableName: crm.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :aud)',
      ExpressionAttributeValues: { ':pk': `EXP#${started.body.id}`, ':aud': 'AUD#' },
    }))).Items ?? [];
    expect(audit.map((a) => a.action)).toEqual(['created', 'completed']);
    expect(audit.every((a) => a.actor === done.createdBy && a.entityType === 'export' && a.entityId === started.body.id)).toBe(true);
    expect(audit[0]!.changes).toEqual([{ field: 'entities', to: ['customers', 'contacts'] }, { field: 'format', to: 'csv' }, { field: 'masked', to: false }]);
    expect(audit[1]!.changes).toEqual([
      { field: 'rows', to: { customers: done.progress.entities[0].rows, contacts: done.progress.entities[1].rows } },
      { field: 'files', to: done.files.length },
      { field: 'bytes', to: done.progress.bytes },
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/@|Street|\+49/);

    // The same step again (a repeated stream record) changes nothing.
    expect(await runStep(started.body.id, 0)).toBe('skipped');
    // The file is exactly what the API holds, byte for byte per row.
    const file = await download(customerFiles[0].url);
    expect(file.startsWith('id,')).toBe(true);
    expect(file.endsWith('\r\n')).toBe(true);
  });

  it('masks personal data for an analyst exactly as the API does', async () => {
    const started = await crm.request('POST', '/v1/exports', { role: 'analyst', body: { entities: ['customers', 'contacts', 'leads'] } });
    expect(started.status).toBe(202);
    expect(started.body.masked).toBe(true);
    const done = await finish(started.body.id, 'analyst');
    expect(done.state).toBe('succeeded');
    const rows = (await rowsOf(done, 'customers')).filter((r) => r.name!.startsWith(`Export ${run}`));
    expect(rows).toHaveLength(9);
    for (const row of rows) {
      const api = (await crm.request('GET', `/v1/customers/${row.id}`, { role: 'analyst' })).body;
      expect(row.email).toBe(api.email);
      expect(row.email).toMatch(/^p\*\*\*@example\.com$/);
      expect(row.phone).toBe(api.phone);
      expect(row.address_line1).toBe('');
      expect(row.address_postal_code).toBe('');
      expect(row.address_city).toBe('Berlin');
    }
    const text = (await Promise.all(done.files.map((f: { url: string }) => download(f.url)))).join('');
    for (const c of customers) {
      expect(text).not.toContain(c.email);
      expect(text).not.toContain('Street ');
    }
  });

  it('neither duplicates nor loses rows when a step fails after its upload', async () => {
    const started = await crm.request('POST', '/v1/exports', { role: 'admin', body: { entities: ['customers'] } });
    let calls = 0;
    // `now` is read after the part's upload and before the checkpoint: fail right there, once.
    const outcome = await runStep(started.body.id, 0, () => {
      calls += 1;
      if (calls === 1) throw Object.assign(new Error('injected'), { name: 'InjectedFailure' });
      return new Date();
    });
    expect(outcome).toBe('retrying');
    const retrying = (await crm.request('GET', `/v1/exports/${started.body.id}`, { role: 'admin' })).body;
    expect(retrying.progress.files).toBe(0);
    const done = await finish(started.body.id);
    expect(done.state).toBe('succeeded');
    const rows = await rowsOf(done, 'customers');
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.filter((r) => r.name!.startsWith(`Export ${run}`))).toHaveLength(9);
  });

  it('writes Parquet (hyparquet-writer, as in Lambda) with the documented column names and types, read back by DuckDB', async () => {
    const started = await crm.request('POST', '/v1/exports', { role: 'admin', body: { entities: ['customers', 'contacts', 'pipelines'], format: 'parquet' } });
    expect(started.status).toBe(202);
    const done = await finish(started.body.id);
    expect(done.state).toBe('succeeded');
    const paths: Record<string, string[]> = {};
    for (const [i, file] of done.files.entries()) {
      const res = await fetch(file.url);
      expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
      const path = join(dir, `part-${i}.parquet`);
      writeFileSync(path, Buffer.from(await res.arrayBuffer()));
      (paths[file.entity] ??= []).push(path);
    }
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    const read = (entity: string) => `read_parquet([${paths[entity]!.map((p) => `'${p}'`).join(', ')}])`;
    try {
      // Every documented column, in order, with its type (pipelines: an empty file still carries its schema).
      for (const entity of ['customers', 'contacts', 'pipelines'] as const) {
        const described = (await db.runAndReadAll(`DESCRIBE SELECT * FROM ${read(entity)}`)).getRowObjectsJson();
        expect(described.map((d) => [d.column_name, d.column_type]), entity).toEqual(exportTable(entity).columns.map((c) => [c.name, DUCKDB_TYPES[c.type]]));
      }
      const rows = (await db.runAndReadAll(`SELECT id, email, phone, tags, version, address_city, CAST(created_at AS VARCHAR) AS created FROM ${read('customers')} WHERE name LIKE 'Export ${run}%' ORDER BY name`)).getRowObjectsJson();
      expect(rows).toHaveLength(9);
      const api = (await crm.request('GET', `/v1/customers/${customers[0]!.id}`, { role: 'admin' })).body;
      expect(rows[0]).toMatchObject({ id: api.id, email: api.email, tags: api.tags ?? [], version: String(api.version), address_city: 'Berlin' });
      // Times are UTC instants (milliseconds kept); exact values in Parquet: no spreadsheet guard.
      expect(new Date(`${String(rows[0]!.created).replace(' ', 'T')}Z`).toISOString()).toBe(api.createdAt);
      expect(String(rows[0]!.phone)).toMatch(/^\+49/);
      const contacts = (await db.runAndReadAll(`SELECT count(*) AS n FROM ${read('contacts')} WHERE email LIKE '%.${run}@example.com'`)).getRowObjectsJson();
      expect(Number(contacts[0]!.n)).toBe(contactCount);
    } finally {
      db.closeSync();
      instance.closeSync();
    }
  });

  it('streams a file to S3 as a multipart upload, in row groups, holding one part at a time', async () => {
    const table = exportTable('customers');
    const item = (i: number) => ({ id: `cus_${String(i).padStart(6, '0')}`, name: `Stream ${i}`, type: 'company', tier: 'ABCD'[i % 4], tags: i % 2 ? ['x', 'y'] : [], version: i, createdAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() });
    const ROWS = 3_000;
    const PART = 32 * 1024;
    for (const format of ['csv', 'parquet'] as const) {
      const key = `exports/test-${run}/stream.${format}`;
      const file = openFile({ format, table, partBytes: PART, rowGroupRows: 500, target: { bucket: process.env.EXPORTS_BUCKET!, key, contentType: 'application/octet-stream', contentDisposition: 'attachment' } });
      for (let i = 0; i < ROWS; i++) await file.add(item(i));
      const stored = await file.finish();
      // Several parts went out (create + parts + complete), and never more than about one part was held.
      expect(stored.requests, format).toBeGreaterThan(3);
      expect(file.peakBuffered, format).toBeLessThan(3 * PART + 256 * 1024);
      const path = join(dir, `stream.${format}`);
      writeFileSync(path, Buffer.from(await (await fetch(await presignGet(key))).arrayBuffer()));
      expect(statSync(path).size, format).toBe(stored.bytes);
      const instance = await DuckDBInstance.create(':memory:');
      const db = await instance.connect();
      try {
        const from = format === 'csv' ? `read_csv('${path}', header = true, all_varchar = true)` : `read_parquet('${path}')`;
        const counted = (await db.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT id) AS ids, max(name) AS last FROM ${from}`)).getRowObjectsJson();
        expect(counted[0], format).toMatchObject({ n: String(ROWS), ids: String(ROWS), last: 'Stream 999' });
        if (format === 'parquet') {
          const groups = (await db.runAndReadAll(`SELECT count(DISTINCT row_group_id) AS g FROM parquet_metadata('${path}')`)).getRowObjectsJson();
          expect(Number(groups[0]!.g)).toBe(ROWS / 500);
        }
      } finally {
        db.closeSync();
        instance.closeSync();
      }
    }
  });

  it('replays a POST with the same Idempotency-Key instead of starting a second export', async () => {
    const key = `exp-${run}`;
    const first = await crm.request('POST', '/v1/exports', { role: 'analyst', body: { entities: ['products'] }, headers: { 'idempotency-key': key } });
    const second = await crm.request('POST', '/v1/exports', { role: 'analyst', body: { entities: ['products'] }, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('answers precise 4xx for bad requests, and shows each user only their own exports', async () => {
    for (const body of [{}, { entities: [] }, { entities: ['customers', 'customers'] }, { entities: ['quotes'] }, { entities: ['customers'], format: 'xlsx' }, { entities: ['customers'], extra: 1 }]) {
      const res = await crm.request('POST', '/v1/exports', { role: 'admin', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await crm.request('POST', '/v1/exports', { role: 'sales', body: { entities: ['customers'] } })).status).toBe(403);
    const adminExport = await crm.request('POST', '/v1/exports', { role: 'admin', body: { entities: ['products'] } });
    expect((await crm.request('GET', `/v1/exports/${adminExport.body.id}`, { role: 'analyst' })).status).toBe(404);
    expect((await crm.request('GET', '/v1/exports/exp_00000000000000000000000000', { role: 'admin' })).status).toBe(404);
    const analystList = await crm.request('GET', '/v1/exports?limit=100', { role: 'analyst' });
    expect(analystList.status).toBe(200);
    expect(analystList.body.items.length).toBeGreaterThan(0);
    expect(analystList.body.items.map((i: { id: string }) => i.id)).not.toContain(adminExport.body.id);
    const adminList = await crm.request('GET', '/v1/exports?limit=2', { role: 'admin' });
    expect(adminList.body.items).toHaveLength(2);
    expect(adminList.body.items[0].id).toBe(adminExport.body.id); // newest first
    expect(adminList.body.nextCursor).not.toBeNull();
  });

  it('exports a filtered list as its list route shows it: row-level scope, masking per row, formulas neutralised, BOM', async () => {
    const rep = SALES_REPS[0]!.id;
    const mine = [
      await crm.request('POST', '/v1/customers', { role: 'sales', body: { type: 'company', name: `Listed ${run} 1`, email: `first.${run}@example.com`, tier: 'C' } }),
      // Owned by the rep, named like a formula (CSV injection).
      await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `@SUM(1+1) ${run}`, email: `second.${run}@example.com`, tier: 'C', ownerId: rep } }),
    ];
    const others = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Listed ${run} 3`, email: `third.${run}@example.com`, tier: 'C' } });
    for (const res of [...mine, others]) expect(res.status, JSON.stringify(res.body)).toBe(201);

    const started = await crm.request('GET', '/v1/customers/export.csv?tier=C&bom=true', { role: 'sales' });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    expect(started.headers.get('location')).toBe(`/v1/exports/${started.body.id}`);
    expect(started.body).toMatchObject({ state: 'queued', format: 'csv', entities: ['customers'], masked: true });
    const done = await finish(started.body.id, 'sales');
    expect(done.state).toBe('succeeded');
    // The file's first bytes: the UTF-8 byte-order mark, then the header (fetch's text() would hide the mark).
    const raw = Buffer.from(await (await fetch(done.files[0].url)).arrayBuffer());
    expect(raw.subarray(0, 6).toString('latin1')).toBe('\xEF\xBB\xBFid,');
    // Exactly the rows the list route shows the rep, personal data in clear (they own them).
    const rows = await rowsOf(done, 'customers');
    const listed = (await crm.request('GET', '/v1/customers?tier=C&limit=100', { role: 'sales' })).body.items as { id: string }[];
    expect(rows.map((r) => r.id).sort()).toEqual(listed.map((c) => c.id).sort());
    expect(rows.map((r) => r.id)).toEqual(expect.arrayContaining(mine.map((m) => m.body.id)));
    expect(rows.map((r) => r.id)).not.toContain(others.body.id);
    expect(rows.find((r) => r.id === mine[0]!.body.id)!.email).toBe(`first.${run}@example.com`);
    expect(rows.find((r) => r.id === mine[1]!.body.id)!.name).toBe(`'@SUM(1+1) ${run}`);

    // An analyst's export of the same list: everyone's rows, personal fields masked as the API masks them.
    const analyst = await crm.request('GET', `/v1/customers/export.csv?tier=C&q=${encodeURIComponent(`Listed ${run}`)}`, { role: 'analyst' });
    const masked = await rowsOf(await finish(analyst.body.id, 'analyst'), 'customers');
    expect(masked.map((r) => r.name).sort()).toEqual([`Listed ${run} 1`, `Listed ${run} 3`]);
    expect(masked.map((r) => r.email).sort()).toEqual(['f***@example.com', 't***@example.com']);

    // Contacts of the customers a filter selects; leads as the lead list shows them.
    const contacts = await crm.request('GET', `/v1/contacts/export.csv?tier=B&q=${encodeURIComponent(`Export ${run}`)}`, { role: 'admin' });
    const contactRows = await rowsOf(await finish(contacts.body.id), 'contacts');
    // Tier B: customers 0, 2 (and archived 8 is not in the live list): 1 + 3 contacts.
    expect(contactRows).toHaveLength(4);
    await crm.request('POST', '/v1/leads', { role: 'sales', body: { lastName: `Lead ${run}`, email: `lead.${run}@example.com` } });
    await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: `Other ${run}`, ownerId: 'someone-else' } });
    const leads = await crm.request('GET', '/v1/leads/export.csv', { role: 'sales' });
    const leadRows = await rowsOf(await finish(leads.body.id, 'sales'), 'leads');
    expect(leadRows.map((r) => r.last_name)).toContain(`Lead ${run}`);
    expect(leadRows.map((r) => r.last_name)).not.toContain(`Other ${run}`);
    expect(new Set(leadRows.map((r) => r.owner_id))).toEqual(new Set([rep]));

    // Paging parameters and unknown filters are refused precisely; the list's own rules apply.
    for (const query of ['limit=5', 'cursor=x', 'tier=Z', 'bom=yes']) {
      expect((await crm.request('GET', `/v1/customers/export.csv?${query}`, { role: 'admin' })).status, query).toBe(400);
    }
    expect((await crm.request('GET', '/v1/leads/export.csv', { role: 'service' })).status).toBe(403);
  });

  it('renders CSV cells per RFC 4180', () => {
    const table = exportTable('products');
    const line = csvRow(table, { id: 'prd_1', name: 'A "quoted", name\nwith a break', sku: '=SUM(A1)', prices: [{ amount: 1, currency: 'EUR' }], active: true });
    expect(line).toContain('"A ""quoted"", name\nwith a break"');
    expect(line).toContain(",'=SUM(A1),");
  });
});
