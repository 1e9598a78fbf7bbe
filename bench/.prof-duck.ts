import { writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DuckDBInstance } from '@duckdb/node-api';
import { lakeTables, quoteIdent, transformSql } from '../functions/analytics/lake';
const N = Number(process.argv[2] ?? 6000);
const cfg = JSON.parse(process.argv[3] ?? '{}');
const dir = '/tmp/lakeprof/syn'; rmSync(dir, { recursive: true, force: true }); mkdirSync(dir);
const lines: string[] = [];
for (let i = 0; i < N; i++) {
  const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
  const kind = i % 2 ? 'customer' : 'contact';
  lines.push(JSON.stringify({ Item: marshall({ pk: `CUS#cus_${i}`, sk: kind === 'customer' ? '#PROFILE' : `CON#${i}`, kind, id: `cus_${i}`, type: 'company', name: `Export ${i} GmbH`, industry: 'Manufacturing', tier: 'A', lifecycleStage: 'customer', source: 'import', tags: ['retail'], ownerId: 'u1', email: `info-${i}@x.example`, address: { line1: 'x', city: 'Berlin', postalCode: '10115', country: 'DE' }, version: 1, createdAt: at, updatedAt: at, createdBy: 'b', updatedBy: 'b', gsi1pk: 'CUSTOMERS', gsi1sk: `x${i}`, firstName: 'Ada', lastName: 'C' }) }));
}
writeFileSync(`${dir}/a.json`, lines.join('\n') + '\n');
async function main() {
  const inst = await DuckDBInstance.create(`${dir}/lake.duckdb`, { memory_limit: '64MB', threads: '1', preserve_insertion_order: 'false', temp_directory: `${dir}/spill`, ...cfg });
  const db = await inst.connect();
  const run = async (q: string) => { const t0 = Date.now(); try { await db.run(q); } catch (e) { console.log('FAIL', q.slice(0, 60), String(e).slice(0, 150)); throw e; } const m = (await db.runAndReadAll(`SELECT sum(memory_usage_bytes)::BIGINT AS m FROM duckdb_memory()`)).getRowObjects()[0]!.m; console.log(Date.now() - t0, 'ms duck', (Number(m) / 1e6).toFixed(1), 'MB rss', (process.memoryUsage().rss / 1e6).toFixed(0), q.slice(0, 60).replace(/\s+/g, ' ')); };
  await run(`CREATE OR REPLACE TEMP TABLE scan AS SELECT json_extract_string(Item, '$.pk.S') AS pk, json_extract_string(Item, '$.sk.S') AS sk, Item FROM read_json(['${dir}/a.json'], format='newline_delimited', columns={Item: 'JSON'}${process.env.MOS ? ', maximum_object_size=' + process.env.MOS : ''})`);
  await run('BEGIN TRANSACTION');
  await run('CREATE TABLE raw_items AS SELECT * FROM scan');
  for (const t of lakeTables()) await run(`CREATE TABLE ${quoteIdent(t.name)} AS ${transformSql(t, 'raw_items', 'duckdb', 'salt')}`);
  await run('COMMIT');
  console.log((await db.runAndReadAll(`SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0`)).getRowObjects());
}
main().catch((e) => { console.log(String(e).slice(0, 300)); process.exit(1); });
