/**
 * CSV imports end to end on the real engines: POST /v1/imports, the presigned PUT to the local S3,
 * preview, start, the worker run chunk by chunk from the table stream (the local poller standing
 * in for its event source mapping), progress and the rejected-rows report. Covers a mapping with
 * a BOM, GB18030 with `;`, the three dedupe modes, duplicates inside one file, ragged rows, a file
 * that is not UTF-8, CSV injection in the report, and a crash in the middle of a chunk followed by
 * the replay — with no record created twice; the imports list (own / all, cursor) and a
 * list-members import into a marketing static list.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// Node decodes GB18030 but cannot encode it; iconv-lite (already installed) writes the test file.
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImportWorkRecord } from '../../functions/imports/storage';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/env';
import { createStreamPoller, type StreamPoller } from '../../local/stream-poller';
import { startTestStack, type TestStack } from '../support/stack';
import { parseCsv } from '../support/csv';

let crm: TestStack;
let client: DynamoDBClient;
let worker: StreamPoller;
const run = Math.random().toString(36).slice(2, 8);

/** Creates an import, uploads `file` through its presigned URL and starts it. */
async function upload(body: Record<string, unknown>, file: Buffer | string, role: 'admin' | 'marketing' = 'admin') {
  const created = await crm.request('POST', '/v1/imports', { role, body });
  expect(created.status, created.text).toBe(201);
  expect(created.body.state).toBe('awaiting-upload');
  const put = await fetch(created.body.upload.url, { method: 'PUT', body: typeof file === 'string' ? file : new Uint8Array(file) });
  expect(put.status).toBe(200);
  return created.body.id as string;
}

async function finish(id: string, role: 'admin' | 'marketing' = 'admin') {
  for (let i = 0; i < 300; i++) {
    await worker.drain();
    const res = await crm.request('GET', `/v1/imports/${id}`, { role });
    if (res.body.state !== 'queued' && res.body.state !== 'running') return res.body;
  }
  throw new Error(`import ${id} did not finish`);
}

async function importFile(body: Record<string, unknown>, file: Buffer | string, role: 'admin' | 'marketing' = 'admin') {
  const id = await upload(body, file, role);
  const started = await crm.request('POST', `/v1/imports/${id}/start`, { role });
  expect(started.status, started.text).toBe(202);
  return finish(id, role);
}

async function customersNamed(prefix: string) {
  const res = await crm.request('GET', `/v1/customers?q=${encodeURIComponent(prefix)}&limit=100`, { role: 'admin' });
  expect(res.status).toBe(200);
  return res.body.items as { id: string; name: string; email?: string; tier?: string; tags: string[] }[];
}

beforeAll(async () => {
  crm = await startTestStack({ s3: true });
  process.env.IMPORT_CHUNK_ROWS = '4';
  client = new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  worker = createStreamPoller({ tableName: crm.tableName, ddb: client, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB!, mapping: { feature: 'imports-worker', filter: isImportWorkRecord } });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  client?.destroy();
  await crm?.stop();
});

const mapping = { 'Company Name': 'name', Kind: 'type', 'E-Mail': 'email', Telefon: 'phone', Tier: 'tier', Labels: 'tags', City: 'address.city', Street: 'address.line1', Country: 'address.country' };

// Each case waits for a background worker: generous limits, for a loaded machine (no fixed sleeps).
describe('CSV import of customers', { timeout: 240_000 }, () => {
  it('previews, imports a mapped UTF-8 file with a BOM, rejects bad and duplicate rows and reports them safely', async () => {
    const header = 'Company Name,Kind,E-Mail,Telefon,Tier,Labels,City,Street,Country,Ignored';
    const lines = [
      `Alpha ${run},company,alpha.${run}@example.com,+49 30 1000001,A,vip|north,Berlin,Main St 1,DE,x`,
      `"Beta, ${run}",company,beta.${run}@example.com,,B,,,,,x`,
      `Gamma ${run},person,not-an-email,,C,,,,,x`,
      `Delta ${run},company,alpha.${run}@example.com,,D,,,,,x`,
      `=HYPERLINK("http://evil") ${run},company,,,Z,,,,,x`,
      `Epsilon ${run},company`,
      `"=cmd|' /C calc'!A0 ${run}",company,eps.${run}@example.com,,,,,,,x`,
    ];
    const file = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${header}\r\n${lines.join('\r\n')}\r\n`)]);
    const id = await upload({ entity: 'customers', mapping }, file);

    const preview = await crm.request('POST', `/v1/imports/${id}/preview`, { role: 'admin', body: { rows: 3 } });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.headers[0]).toBe('Company Name');
    expect(preview.body.unmappedHeaders).toEqual(['Ignored']);
    expect(preview.body.rows).toHaveLength(3);
    expect(preview.body.rows[0]).toMatchObject({ row: 2, errors: [], values: { name: `Alpha ${run}`, tags: ['vip', 'north'], address: { city: 'Berlin', line1: 'Main St 1', country: 'DE' } } });
    expect(preview.body.rows[2].errors.map((e: { path: string }) => e.path)).toEqual(['email']);
    expect(await customersNamed(`Alpha ${run}`)).toHaveLength(0);

    expect((await crm.request('POST', `/v1/imports/${id}/start`, { role: 'admin' })).status).toBe(202);
    const done = await finish(id);
    expect(done.state).toBe('succeeded');
    expect(done.counts).toEqual({ read: 7, created: 3, updated: 0, skipped: 0, rejected: 4 });

    const alpha = await customersNamed(`Alpha ${run}`);
    expect(alpha).toMatchObject([{ email: `alpha.${run}@example.com`, tier: 'A', tags: ['vip', 'north'] }]);
    // A formula is data: stored as text, exactly as written.
    expect((await customersNamed('=cmd')).map((c) => c.name)).toContain(`=cmd|' /C calc'!A0 ${run}`);

    const report = await fetch(done.rejectedRows.url);
    expect(report.status).toBe(200);
    const [head, ...rows] = parseCsv(await report.text());
    expect(head).toEqual(['row', 'reason', ...header.split(',')]);
    expect(rows.map((r) => r[0])).toEqual(['4', '5', '6', '7']);
    expect(rows[0]![1]).toMatch(/^email: /);
    expect(rows[1]![1]).toBe('duplicate: row 2 of this file has the same email');
    // The injected formula comes back neutralised with a leading apostrophe.
    expect(rows[2]![2]).toBe(`'=HYPERLINK("http://evil") ${run}`);
    expect(rows[2]![1]).toMatch(/^tier: /);
    expect(rows[3]![1]).toBe('ragged row: 2 fields where the header has 10');
  });

  it('reads GB18030 with ; and, in update mode, updates matches and merges duplicates of the file', async () => {
    const text = [
      '公司;邮箱;级别;类型',
      `北京公司 ${run};alpha.${run}@example.com;B;company`,
      `上海公司 ${run};sh.${run}@example.com;C;company`,
      `上海公司二 ${run};sh.${run}@example.com;D;company`,
    ].join('\n');
    const gb = iconv.encode(text, 'gb18030');
    const done = await importFile({ entity: 'customers', encoding: 'gb18030', dedupe: 'update', mapping: { 公司: 'name', 邮箱: 'email', 级别: 'tier', 类型: 'type' }, delimiter: 'auto' }, gb);
    expect(done.state, done.error).toBe('succeeded');
    expect(done.counts).toEqual({ read: 3, created: 1, updated: 2, skipped: 0, rejected: 0 });
    expect(done.rejectedRows).toBeUndefined();
    // Row 2 matched Alpha by email: renamed and re-tiered, still one customer with that email.
    expect(await customersNamed(`Alpha ${run}`)).toHaveLength(0);
    expect(await customersNamed(`北京公司 ${run}`)).toMatchObject([{ email: `alpha.${run}@example.com`, tier: 'B' }]);
    // Row 4 repeated row 3's email: merged into the record row 3 created.
    expect((await customersNamed('上海公司')).filter((c) => c.name.endsWith(run))).toMatchObject([{ name: `上海公司二 ${run}`, tier: 'D', email: `sh.${run}@example.com` }]);
  });

  it('skips or refuses matches by mode, and refuses a file that is not UTF-8 before writing anything', async () => {
    const csv = `name,email,type\nOther ${run},beta.${run}@example.com,company\nFresh ${run},fresh.${run}@example.com,company\n`;
    const skipped = await importFile({ entity: 'customers', dedupe: 'skip', mapping: { name: 'name', email: 'email', type: 'type' } }, csv);
    expect(skipped.counts).toEqual({ read: 2, created: 1, updated: 0, skipped: 1, rejected: 0 });

    const created = await importFile({ entity: 'customers', dedupe: 'create', mapping: { name: 'name', email: 'email', type: 'type' } }, csv.replace('Fresh', 'Newer').replace('fresh.', 'newer.'));
    expect(created.counts).toEqual({ read: 2, created: 1, updated: 0, skipped: 0, rejected: 1 });
    const [, rejected] = parseCsv(await (await fetch(created.rejectedRows.url)).text());
    expect(rejected![1]).toMatch(/^duplicate: .*email/);

    const latin1 = Buffer.concat([Buffer.from(`name,type\nOk ${run},company\n`), Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]), Buffer.from(',company\n')]);
    const bad = await importFile({ entity: 'customers', mapping: { name: 'name', type: 'type' } }, latin1);
    expect(bad.state).toBe('failed');
    expect(bad.error).toMatch(/Line 3 of the file is not valid UTF-8/);
    expect(bad.counts.created).toBe(0);
    expect(await customersNamed(`Ok ${run}`)).toHaveLength(0);
  });

  it('resumes after a crash in the middle of a chunk without creating any row twice', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `Crash ${run} ${String(i).padStart(2, '0')}`);
    // Row 7 is the second row of the second chunk (rows 6–9): rows 6 and 7 commit, then the worker dies.
    process.env.IMPORT_FAULT_CRASH_AFTER_ROW = '7';
    const done = await importFile({ entity: 'customers', mapping: { name: 'name', type: 'type' } }, `name,type\n${names.map((n) => `${n},company`).join('\n')}\n`);
    expect(process.env.IMPORT_FAULT_CRASH_AFTER_ROW).toBeUndefined();
    expect(done.state).toBe('succeeded');
    expect(done.counts).toEqual({ read: 10, created: 10, updated: 0, skipped: 0, rejected: 0 });
    const imported = await customersNamed(`Crash ${run}`);
    expect(imported.map((c) => c.name).sort()).toEqual(names);
  });

  it('imports contacts onto customers found by email, and refuses a mapping to an unknown field', async () => {
    const done = await importFile({ entity: 'contacts', mapping: { Company: 'customerEmail', Last: 'lastName', Mail: 'email', Primary: 'isPrimary' } },
      `Company,Last,Mail,Primary\nbeta.${run}@example.com,Miller,m.${run}@example.com,yes\nbeta.${run}@example.com,Miller,m.${run}@example.com,no\nnobody.${run}@example.com,Smith,,no\n`);
    expect(done.counts).toEqual({ read: 3, created: 1, updated: 0, skipped: 0, rejected: 2 });
    const [beta] = await customersNamed(`Beta, ${run}`);
    const contacts = await crm.request('GET', `/v1/customers/${beta!.id}/contacts`, { role: 'admin' });
    expect(contacts.body.items).toMatchObject([{ lastName: 'Miller', isPrimary: true }]);

    const wrong = await crm.request('POST', '/v1/imports', { role: 'admin', body: { entity: 'leads', mapping: { a: 'lastName', b: 'sku' } } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].path).toBe('mapping.b');
  });

  it('lists imports newest first: the caller\'s own, every import for an admin, one page at a time', async () => {
    const mine = await crm.request('POST', '/v1/imports', { role: 'manager', userId: `mgr-${run}`, body: { entity: 'leads', mapping: { a: 'lastName' } } });
    expect(mine.status, mine.text).toBe(201);
    const own = await crm.request('GET', '/v1/imports', { role: 'manager', userId: `mgr-${run}` });
    expect(own.status, own.text).toBe(200);
    expect(own.body).toMatchObject({ items: [{ id: mine.body.id, entity: 'leads', state: 'awaiting-upload', createdBy: `mgr-${run}` }], nextCursor: null });
    // Lists carry no presigned URLs (GET /v1/imports/{id} does).
    expect(own.body.items[0].upload).toBeUndefined();
    expect((await crm.request('GET', '/v1/imports', { role: 'manager', userId: `other-${run}` })).body.items).toEqual([]);

    // The admin sees the manager's import and their own earlier ones; newest first, paged by cursor.
    const first = await crm.request('GET', '/v1/imports?limit=1', { role: 'admin' });
    expect(first.body.items.map((i: { id: string }) => i.id)).toEqual([mine.body.id]);
    const second = await crm.request('GET', `/v1/imports?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, { role: 'admin' });
    expect(second.status, second.text).toBe(200);
    expect(second.body.items).toHaveLength(2);
    expect(second.body.items[0].id < mine.body.id && second.body.items[1].id < second.body.items[0].id).toBe(true);
    // The admin's cursor is not the manager's.
    const stolen = await crm.request('GET', `/v1/imports?cursor=${encodeURIComponent(first.body.nextCursor)}`, { role: 'manager', userId: `mgr-${run}` });
    expect(stolen.status).toBe(400);
  });

  it('adds contacts to a static list from a CSV of contact ids and emails, with preview and the rejected-rows report', async () => {
    const list = await crm.request('POST', '/v1/lists', { role: 'marketing', body: { name: `Upload ${run}` } });
    expect(list.status, list.text).toBe(201);
    const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Listed ${run}` } });
    const contact = async (lastName: string, email: string) => {
      const res = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName, email } });
      expect(res.status, res.text).toBe(201);
      return res.body.id as string;
    };
    const ann = await contact('Ann', `ann.${run}@example.com`);
    const bob = await contact('Bob', `bob.${run}@example.com`);
    const cat = await contact('Cat', `cat.${run}@example.com`);
    // Cat is on the list already: her row is skipped.
    expect((await crm.request('POST', `/v1/lists/${list.body.id}/members`, { role: 'marketing', body: { contactIds: [cat] } })).status).toBe(200);

    const wrong = await crm.request('POST', '/v1/imports', { role: 'marketing', body: { entity: 'list-members', listId: 'lst_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E', mapping: { Mail: 'email' } } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].path).toBe('listId');
    // imports:manage lets marketing import only what it may write itself: list members and leads.
    for (const [entity, mapping] of [['customers', { Name: 'name' }], ['contacts', { Last: 'lastName' }], ['products', { Name: 'name' }]] as const) {
      const refused = await crm.request('POST', '/v1/imports', { role: 'marketing', body: { entity, mapping } });
      expect(refused.status, entity).toBe(403);
      expect(refused.body.detail, entity).toMatch(/customers:create|contacts:write|products:write/);
    }
    expect((await crm.request('POST', '/v1/imports', { role: 'marketing', body: { entity: 'leads', mapping: { Last: 'lastName' }, dedupe: 'update' } })).status).toBe(201);

    const csv = `Id,Mail\n${ann},\n,BOB.${run}@example.com\n,nobody.${run}@example.com\n,cat.${run}@example.com\ncon_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E,\n${ann},\nnot-an-id,\n`;
    const id = await upload({ entity: 'list-members', listId: list.body.id, mapping: { Id: 'contactId', Mail: 'email' } }, csv, 'marketing');
    const preview = await crm.request('POST', `/v1/imports/${id}/preview`, { role: 'marketing', body: { rows: 7 } });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.rows[0]).toMatchObject({ row: 2, values: { contactId: ann }, errors: [] });
    expect(preview.body.rows[6].errors.map((e: { path: string }) => e.path)).toEqual(['contactId']);
    expect((await crm.request('POST', `/v1/imports/${id}/start`, { role: 'marketing' })).status).toBe(202);
    const done = await finish(id, 'marketing');
    expect(done).toMatchObject({ state: 'succeeded', entity: 'list-members', listId: list.body.id });
    expect(done.counts).toEqual({ read: 7, created: 2, updated: 0, skipped: 1, rejected: 4 });

    const members = await crm.request('GET', `/v1/lists/${list.body.id}/members`, { role: 'marketing' });
    expect(members.body.items.map((m: { contactId: string }) => m.contactId).sort()).toEqual([ann, bob, cat].sort());
    const [, ...rejected] = parseCsv(await (await fetch(done.rejectedRows.url)).text());
    expect(rejected.map((r) => [r[0], r[1]])).toEqual([
      ['4', 'email: No contact has this email'],
      ['6', 'contactId: No such contact'],
      ['7', 'duplicate: row 2 of this file names the same contact'],
      ['8', expect.stringMatching(/^contactId: /)],
    ]);
  });
});
