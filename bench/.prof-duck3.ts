import { DuckDBInstance } from '@duckdb/node-api';
import { lakeTables, quoteIdent, transformSql } from '../functions/analytics/lake';
const dir = '/tmp/lakeprof/syn';
async function main() {
  const inst = await DuckDBInstance.create(':memory:', { memory_limit: process.argv[2] ?? '96MB', threads: '1', preserve_insertion_order: 'false', temp_directory: `${dir}/spill3` });
  const db = await inst.connect();
  await db.run(`CREATE TABLE raw_items AS SELECT k[1] AS pk, k[2] AS sk, Item FROM (SELECT json_extract_string(Item, ['$.pk.S', '$.sk.S']) AS k, Item FROM read_json(['${dir}/a.json'], format='newline_delimited', columns={Item: 'JSON'}))`);
  console.log('scan rss', (process.memoryUsage().rss / 1e6).toFixed(0));
  for (const t of lakeTables()) { const t0 = Date.now(); await db.run(`CREATE TABLE ${quoteIdent(t.name)} AS ${transformSql(t, 'raw_items', 'duckdb', 'salt')}`); if (t.name.startsWith('c')) console.log(t.name, Date.now() - t0, 'ms rss', (process.memoryUsage().rss / 1e6).toFixed(0)); }
  console.log((await db.runAndReadAll(`SELECT id, name, tier, email, created_at, tags, address_city FROM customers LIMIT 2`)).getRowObjectsJson());
}
main().catch((e) => console.log(String(e).slice(0, 300)));
