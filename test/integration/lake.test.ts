/**
 * The local analytics path end to end on the real engines: records written through the API,
 * exported from DynamoDB Local in DynamoDB's export format into the local S3, turned into Parquet
 * tables by DuckDB running the generated transform SQL — and the lake agrees with the API on
 * types and values, applies the analyst masking policy, and follows updates, archives and deletes.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { lakeTables, transformSql, unmaskedSensitiveFields, withLakeColumns } from '../../functions/analytics/lake';
import { SAVED_QUERIES } from '../../functions/analytics/queries';
import { LOCAL_EXPORTS_BUCKET } from '../../local/env';
import { openLake, refreshLake } from '../../local/lake';
import { exportTable } from '../../local/lake-export';
import { exportTableInWorker } from '../../local/lake-export-worker';
import { startTestStack, type TestStack } from '../support/stack';
import { sentQuote } from './sales-fixtures';

let crm: TestStack;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let lakeDir: string;
const SALT = 'test-salt';
const run = Math.random().toString(36).slice(2, 8);

async function refresh(options: { beforeCommit?: () => Promise<void> } = {}) {
  const exported = await exportTable({ dynamodb, tableName: crm.tableName, s3, bucket: LOCAL_EXPORTS_BUCKET, workDir: lakeDir, concurrency: 2, segmentItems: 2 });
  // Small comparison partitions, so that every window is compared in several of them.
  const refreshed = await refreshLake({ s3, bucket: LOCAL_EXPORTS_BUCKET, prefix: exported.prefix, lakeDir, salt: SALT, comparePartitionItems: 5, ...options });
  return { ...exported, refreshed };
}

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const lake = await openLake(lakeDir);
  try {
    return (await lake.db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    lake.close();
  }
}

beforeAll(async () => {
  crm = await startTestStack({ s3: true });
  dynamodb = new DynamoDBClient({});
  s3 = new S3Client({ forcePathStyle: true });
  lakeDir = mkdtempSync(join(tmpdir(), 'crm-lake-'));
}, 120_000);

afterAll(async () => {
  dynamodb?.destroy();
  s3?.destroy();
  await crm?.stop();
  rmSync(lakeDir, { recursive: true, force: true });
});

describe('lake definition', () => {
  it('has a rule for every field the API masks', () => {
    expect(unmaskedSensitiveFields()).toEqual([]);
  });

  it('never carries internal attributes, and names every column in snake_case', () => {
    for (const table of lakeTables()) {
      const names = table.columns.map((c) => c.name);
      expect(new Set(names).size, table.name).toBe(names.length);
      for (const name of names) expect(name, table.name).toMatch(/^[a-z][a-z0-9_]*$/);
      for (const internal of ['pk', 'sk', 'kind', 'gsi1pk', 'gsi1sk', 'lease', 'lockeduntil']) expect(names, table.name).not.toContain(internal);
      for (const key of table.key) expect(names, `${table.name} key`).toContain(key);
    }
  });

  it('is documented column by column in docs/analytics.md (run `npm run docs:lake` after a schema change)', () => {
    const doc = readFileSync(new URL('../../docs/analytics.md', import.meta.url), 'utf8');
    expect(withLakeColumns(doc) === doc).toBe(true);
  });

  it('renders Athena SQL for every table too (the dialect the AWS workflow runs)', () => {
    for (const table of lakeTables()) {
      const sql = transformSql(table, 'export_records', 'athena', SALT);
      expect(sql).not.toContain('json_extract_string');
      expect(sql).toContain(`'$.kind.S'`);
    }
  });
});

describe('local export and lake', () => {
  let customers: { id: string; tier: string }[] = [];

  it('writes a full export in DynamoDB\'s format into the local S3', async () => {
    for (const [i, tier] of ['A', 'A', 'B'].entries()) {
      const res = await crm.request('POST', '/v1/customers', {
        role: 'admin',
        body: {
          type: 'company', name: `Lake ${run} ${i}`, tier, tags: ['lake', `t${i}`], email: `Lake.${run}.${i}@Example.com`, phone: `+49 30 ${run.length}${Date.now() % 100000}${i}`,
          address: { line1: 'Hauptstraße 1', city: 'Berlin', country: 'DE' }, taxId: 'DE123456789',
        },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      customers.push({ id: res.body.id, tier });
    }
    const exported = await refresh();
    expect(exported.itemCount).toBeGreaterThan(3);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_EXPORTS_BUCKET, Prefix: `${exported.prefix}/` }));
    const names = (listed.Contents ?? []).map((o) => o.Key!.slice(exported.prefix.length + 1)).sort();
    expect(names.filter((n) => !n.startsWith('data/'))).toEqual(['manifest-files.json', 'manifest-summary.json']);
    // Two scans in flight, two data files, however many segments (here about ten, of ≈ 2 items each).
    const dataKeys = names.filter((n) => /^data\/[0-9a-f-]+\.json\.gz$/.test(n));
    expect(dataKeys).toHaveLength(2);
    // Every item once: no segment read twice or skipped.
    const keys: string[] = [];
    for (const name of dataKeys) {
      const body = await (await s3.send(new GetObjectCommand({ Bucket: LOCAL_EXPORTS_BUCKET, Key: `${exported.prefix}/${name}` }))).Body!.transformToByteArray();
      for (const line of gunzipSync(body).toString('utf8').split('\n').filter(Boolean)) {
        const { Item } = JSON.parse(line) as { Item: Record<string, { S?: string }> };
        keys.push(`${Item.pk!.S}|${Item.sk!.S}`);
      }
    }
    expect(keys).toHaveLength(exported.itemCount);
    expect(new Set(keys).size).toBe(exported.itemCount);
    expect(exported.itemCount).toBeGreaterThan(10);
    const summary = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: LOCAL_EXPORTS_BUCKET, Key: `${exported.prefix}/manifest-summary.json` }))).Body!.transformToString());
    expect(summary).toMatchObject({ exportType: 'FULL_EXPORT', outputFormat: 'DYNAMODB_JSON', itemCount: exported.itemCount });
  }, 120_000);

  it('holds every customer with the API\'s values and typed columns, personal data masked', async () => {
    const rows = await query(`SELECT * FROM customers_current WHERE name LIKE 'Lake ${run} %' ORDER BY name`);
    expect(rows).toHaveLength(3);
    const api = await crm.request('GET', `/v1/customers/${customers[0]!.id}`, { role: 'admin' });
    const row = rows[0]!;
    expect(row).toMatchObject({ id: api.body.id, name: api.body.name, tier: 'A', type: 'company', owner_id: api.body.ownerId, version: String(api.body.version), address_city: 'Berlin', address_country: 'DE' });
    expect(row.tags).toEqual(['lake', 't0']);
    // Emails: a keyed hash of the normalised address, the same for the same address everywhere.
    expect(row.email).toBe(createHash('sha256').update(`${SALT}lake.${run}.0@example.com`).digest('hex'));
    for (const gone of ['phone', 'tax_id', 'address_line1', 'address_postal_code']) expect(row).not.toHaveProperty(gone);
    const types = await query(`SELECT column_name, column_type AS data_type FROM (DESCRIBE customers_current)`);
    const typeOf = Object.fromEntries(types.map((t) => [t.column_name, t.data_type]));
    expect(typeOf).toMatchObject({ id: 'VARCHAR', version: 'BIGINT', created_at: 'TIMESTAMP', tags: 'VARCHAR[]', contact_count: 'BIGINT' });
    expect(await query(`SELECT tier, count(*)::INTEGER AS n FROM customers_current WHERE name LIKE 'Lake ${run} %' GROUP BY 1 ORDER BY 1`))
      .toEqual([{ tier: 'A', n: 2 }, { tier: 'B', n: 1 }]);
  });

  it('follows updates, archives and deletes on the next run, and a repeated run changes nothing', async () => {
    const [first, second] = customers;
    const current = await crm.request('GET', `/v1/customers/${first!.id}`, { role: 'admin' });
    const patched = await crm.request('PATCH', `/v1/customers/${first!.id}`, { role: 'admin', headers: { 'if-match': current.headers.get('etag')! }, body: { tier: 'C' } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const got = await crm.request('GET', `/v1/customers/${second!.id}`, { role: 'admin' });
    expect((await crm.request('DELETE', `/v1/customers/${second!.id}`, { role: 'admin', headers: { 'if-match': got.headers.get('etag')! } })).status).toBe(200);
    const contact = await crm.request('POST', `/v1/customers/${first!.id}/contacts`, { role: 'admin', body: { lastName: 'Lakeside', email: `c.${run}@example.com` } });
    expect(contact.status, JSON.stringify(contact.body)).toBe(201);
    await refresh();
    const after = await query(`SELECT id, tier, archived_at IS NOT NULL AS archived FROM customers_current WHERE name LIKE 'Lake ${run} %' ORDER BY name`);
    expect(after.map((r) => [r.tier, r.archived])).toEqual([['C', false], ['A', true], ['B', false]]);
    expect(await query(`SELECT last_name FROM contacts_current WHERE customer_id = '${first!.id}'`)).toEqual([{ last_name: 'Lakeside' }]);

    const etag = (await crm.request('GET', `/v1/contacts/${contact.body.id}`, { role: 'admin' })).headers.get('etag')!;
    expect((await crm.request('DELETE', `/v1/contacts/${contact.body.id}`, { role: 'admin', headers: { 'if-match': etag } })).status).toBe(204);
    await refresh();
    const snapshot = await query(`SELECT * FROM customers_current ORDER BY id`);
    expect(await query(`SELECT count(*)::INTEGER AS n FROM contacts_current WHERE customer_id = '${first!.id}'`)).toEqual([{ n: 0 }]);
    await refresh();
    expect(await query(`SELECT * FROM customers_current ORDER BY id`)).toEqual(snapshot);
  }, 180_000);

  it('writes every later window as an incremental export in DynamoDB\'s format, and a failure before commit loses nothing', async () => {
    const customer = customers[2]!;
    const contact = await crm.request('POST', `/v1/customers/${customer.id}/contacts`, { role: 'admin', body: { lastName: 'Transient' } });
    expect(contact.status).toBe(201);
    await refresh();
    const etag = (await crm.request('GET', `/v1/contacts/${contact.body.id}`, { role: 'admin' })).headers.get('etag')!;
    expect((await crm.request('DELETE', `/v1/contacts/${contact.body.id}`, { role: 'admin', headers: { 'if-match': etag } })).status).toBe(204);
    const current = await crm.request('GET', `/v1/customers/${customer.id}`, { role: 'admin' });
    expect((await crm.request('PATCH', `/v1/customers/${customer.id}`, { role: 'admin', headers: { 'if-match': current.headers.get('etag')! }, body: { tier: 'D' } })).status).toBe(200);

    // The run fails after merging, before committing: the lake stays as it was.
    await expect(refresh({ beforeCommit: async () => { throw new Error('injected failure'); } })).rejects.toThrow('injected failure');
    expect(await query(`SELECT tier FROM customers_current WHERE id = '${customer.id}'`)).toEqual([{ tier: 'B' }]);
    expect(await query(`SELECT count(*)::INTEGER AS n FROM contacts_current WHERE id = '${contact.body.id}'`)).toEqual([{ n: 1 }]);

    // The next run's window covers both changes, each applied once.
    const { refreshed } = await refresh();
    expect(refreshed.mode).toBe('incremental');
    expect(await query(`SELECT tier FROM customers_current WHERE id = '${customer.id}'`)).toEqual([{ tier: 'D' }]);
    expect(await query(`SELECT count(*)::INTEGER AS n FROM contacts_current WHERE id = '${contact.body.id}'`)).toEqual([{ n: 0 }]);

    const get = async (key: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: LOCAL_EXPORTS_BUCKET, Key: key }))).Body!.transformToByteArray());
    const summary = JSON.parse((await get(`${refreshed.incrementalPrefix}/manifest-summary.json`)).toString());
    expect(summary).toMatchObject({ exportType: 'INCREMENTAL_EXPORT', exportViewType: 'NEW_AND_OLD_IMAGES', outputFormat: 'DYNAMODB_JSON' });
    const files = (await get(`${refreshed.incrementalPrefix}/manifest-files.json`)).toString().trim().split('\n').map((l) => JSON.parse(l));
    const lines = (await Promise.all(files.map(async (f) => gunzipSync(await get(f.dataFileS3Key)).toString().trim().split('\n'))))
      .flat().filter(Boolean).map((l) => JSON.parse(l));
    const changed = lines.find((l) => l.NewImage?.id?.S === customer.id);
    expect(changed).toMatchObject({ Keys: { pk: { S: `CUS#${customer.id}` }, sk: { S: '#PROFILE' } }, OldImage: { tier: { S: 'B' } }, NewImage: { tier: { S: 'D' } } });
    expect(changed.Metadata.WriteTimestampMicros.N).toMatch(/^\d{16}$/);
    const deleted = lines.find((l) => l.OldImage?.id?.S === contact.body.id);
    expect(deleted).toBeDefined();
    expect(deleted.NewImage ?? null).toBeNull();
  }, 180_000);

  it('builds the whole lake again after a first build that failed part-way', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-lake-first-'));
    try {
      const exported = await exportTable({ dynamodb, tableName: crm.tableName, s3, bucket: LOCAL_EXPORTS_BUCKET, workDir: dir });
      // Every table is built (and committed, one by one) before the failure: only the marker is missing.
      await expect(refreshLake({ s3, bucket: LOCAL_EXPORTS_BUCKET, prefix: exported.prefix, lakeDir: dir, salt: SALT, beforeCommit: async () => { throw new Error('injected failure'); } }))
        .rejects.toThrow('injected failure');
      expect(existsSync(join(dir, 'tables'))).toBe(false);
      const again = await refreshLake({ s3, bucket: LOCAL_EXPORTS_BUCKET, prefix: exported.prefix, lakeDir: dir, salt: SALT });
      expect(again.mode).toBe('full');
      const lake = await openLake(dir);
      try {
        const [row] = (await lake.db.runAndReadAll(`SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM customers_current WHERE name LIKE 'Lake ${run} %'`)).getRowObjectsJson();
        expect(row).toEqual({ n: 3, ids: 3 });
      } finally {
        lake.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('scans in a worker thread as `npm run job -- export` does, with the same items, and reports the scan\'s failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-lake-worker-'));
    try {
      const params = { dynamodbEndpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB!, s3Endpoint: crm.s3Endpoint!, tableName: crm.tableName, bucket: LOCAL_EXPORTS_BUCKET, workDir: dir };
      const [inWorker, inline] = [await exportTableInWorker(params), await exportTable({ dynamodb, tableName: crm.tableName, s3, bucket: LOCAL_EXPORTS_BUCKET, workDir: dir })];
      const keysOf = async (files: { key: string }[]) => {
        const keys: string[] = [];
        for (const file of files) {
          const body = await (await s3.send(new GetObjectCommand({ Bucket: LOCAL_EXPORTS_BUCKET, Key: file.key }))).Body!.transformToByteArray();
          for (const line of gunzipSync(body).toString('utf8').split('\n').filter(Boolean)) {
            const { Item } = JSON.parse(line) as { Item: { pk: { S: string }; sk: { S: string } } };
            keys.push(`${Item.pk.S}|${Item.sk.S}`);
          }
        }
        return keys.sort();
      };
      expect(inWorker.itemCount).toBeGreaterThan(0);
      expect(inWorker.itemCount).toBe(inline.itemCount);
      expect(await keysOf(inWorker.files)).toEqual(await keysOf(inline.files));
      // A scan that fails in the worker rejects with its error; nothing hangs.
      await expect(exportTableInWorker({ ...params, tableName: `missing-${run}` })).rejects.toThrow(/not found|non-existent|ResourceNotFound/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('splits quote lines into their own table with money in minor units', async () => {
    const { quote } = await sentQuote(crm, 'usr_sales_1');
    await refresh();
    const [row] = await query(`SELECT id, currency, totals_total, latest FROM quotes_current WHERE id = '${quote.id}'`);
    expect(row).toEqual({ id: quote.id, currency: quote.currency, totals_total: String(quote.totals.total), latest: true });
    const lines = await query(`SELECT line_no, quantity, net, total FROM quote_lines_current WHERE quote_id = '${quote.id}' ORDER BY line_no`);
    expect(lines).toEqual(quote.lines.map((l: any, i: number) => ({ line_no: String(i + 1), quantity: l.quantity, net: String(l.net), total: String(l.total) })));
  }, 120_000);

  it('holds nested values as plain JSON equal to the API\'s: a pipeline\'s stages and a customer\'s custom fields', async () => {
    const fields = [
      { key: `score${run}`, label: 'Score', type: 'number' },
      { key: `channels${run}`, label: 'Channels', type: 'multiselect', options: [{ value: 'email' }, { value: 'visit' }] },
      { key: `limit${run}`, label: 'Credit limit', type: 'money', currency: 'EUR' },
    ];
    for (const field of fields) expect((await crm.request('POST', '/v1/custom-fields', { role: 'admin', body: { entity: 'customer', ...field } })).status).toBe(201);
    const custom = { [`score${run}`]: 42.5, [`channels${run}`]: ['email', 'visit'], [`limit${run}`]: { amount: 500000, currency: 'EUR' } };
    const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Lake custom ${run}`, custom } });
    expect(customer.status, JSON.stringify(customer.body)).toBe(201);
    const pipeline = await crm.request('POST', '/v1/pipelines', { role: 'admin', body: { name: `Lake ${run}`, currency: 'EUR', stages: [{ name: 'Qualification', probability: 10 }, { name: 'Won', probability: 100 }] } });
    expect(pipeline.status, JSON.stringify(pipeline.body)).toBe(201);
    await refresh();

    const api = (await crm.request('GET', `/v1/customers/${customer.body.id}`, { role: 'admin' })).body;
    expect(api.custom).toEqual(custom);
    const [c] = await query(`SELECT custom, json_extract(custom, '$.limit${run}.amount')::BIGINT AS limit_amount FROM customers_current WHERE id = '${customer.body.id}'`);
    expect(JSON.parse(String(c!.custom))).toEqual(api.custom);
    expect(c!.limit_amount).toBe('500000');
    const stages = (await crm.request('GET', `/v1/pipelines/${pipeline.body.id}`, { role: 'admin' })).body.stages;
    const [p] = await query(`SELECT stages, json_extract_string(stages, '$[1].name') AS second FROM pipelines_current WHERE id = '${pipeline.body.id}'`);
    expect(JSON.parse(String(p!.stages))).toEqual(stages);
    expect(p!.second).toBe('Won');
  }, 120_000);

  it('holds service contracts and knowledge-base articles (no bodies) as the API shows them', async () => {
    const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Lake contract ${run}` } });
    const contract = (await crm.request('POST', '/v1/contracts', { role: 'admin', body: { number: `LAKE-${run}`, customerId: customer.body.id, startDate: '2026-01-01', endDate: '2026-12-31', value: { amount: 129900, currency: 'EUR' }, billingCycle: 'monthly', status: 'active' } })).body;
    const article = (await crm.request('POST', '/v1/kb/articles', { role: 'admin', body: { title: `Lake ${run}`, body: 'Secret **body**', category: 'lake', tags: ['a'] } })).body;
    await refresh();
    const [c] = await query(`SELECT id, number, customer_id, end_date::VARCHAR AS end_date, value_amount, value_currency, billing_cycle, status FROM contracts_current WHERE id = '${contract.id}'`);
    expect(c).toEqual({ id: contract.id, number: `LAKE-${run}`.toUpperCase(), customer_id: customer.body.id, end_date: '2026-12-31', value_amount: '129900', value_currency: 'EUR', billing_cycle: 'monthly', status: 'active' });
    const rows = await query(`SELECT * FROM kb_articles_current WHERE id = '${article.id}'`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ title: `Lake ${run}`, category: 'lake', tags: ['a'], status: 'draft' });
    expect(rows[0]).not.toHaveProperty('body');
  }, 120_000);

  it('runs every saved query on the local lake, with figures matching the records', async () => {
    for (const saved of SAVED_QUERIES) {
      const rows = await query(saved.sql);
      expect(Array.isArray(rows), saved.name).toBe(true);
    }
    const distribution = await query(SAVED_QUERIES.find((q) => q.name === 'customer-distribution')!.sql);
    const live = await query(`SELECT count(*)::INTEGER AS n FROM customers_current WHERE archived_at IS NULL`);
    expect(distribution.reduce((n, r) => n + Number(r.customers), 0)).toBe(live[0]!.n);
    const revenue = await query(SAVED_QUERIES.find((q) => q.name === 'revenue-by-month-and-tier')!.sql);
    const orders = await query(`SELECT count(*)::INTEGER AS n FROM orders_current`);
    expect(revenue.reduce((n, r) => n + Number(r.orders), 0)).toBe(orders[0]!.n);
  });
});
