import { DuckDBInstance } from '@duckdb/node-api';
const dir = '/tmp/lakeprof/syn';
async function main() {
  const ml = process.argv[2] ?? '64MB';
  const inst = await DuckDBInstance.create(':memory:', { memory_limit: ml, threads: '1', preserve_insertion_order: 'false', temp_directory: `${dir}/spill2`, ...JSON.parse(process.argv[3] ?? '{}') });
  const db = await inst.connect();
  console.log((await db.runAndReadAll("SELECT extension_name, loaded, installed FROM duckdb_extensions() WHERE extension_name IN ('jemalloc','json')")).getRowObjects());
  const run = async (label: string, q: string) => { const t0 = Date.now(); try { await db.run(q); console.log(label, 'ok', Date.now() - t0, 'ms rss', (process.memoryUsage().rss / 1e6).toFixed(0)); } catch (e) { console.log(label, 'FAIL', String(e).slice(0, 120)); } };
  await run('scan-readjson', `CREATE TABLE scan AS SELECT json_extract_string(Item, '$.pk.S') AS pk, json_extract_string(Item, '$.sk.S') AS sk, Item FROM read_json(['${dir}/a.json'], format='newline_delimited', columns={Item: 'JSON'})`);
  await run('scan-csv', `CREATE TABLE scan2 AS SELECT json_extract_string(line, '$.Item.pk.S') AS pk, json_extract_string(line, '$.Item.sk.S') AS sk, json_extract(line, '$.Item') AS Item FROM read_csv(['${dir}/a.json'], columns={'line': 'VARCHAR'}, header=false, delim='\\x01', quote='', escape='', auto_detect=false)`);
  const paths = ['id', 'name', 'industry', 'tier', 'lifecycleStage', 'source', 'ownerId', 'email', 'createdAt', 'updatedAt', 'createdBy', 'updatedBy', 'type', 'firstName', 'lastName'];
  const many = paths.concat(paths).concat(paths).map((p, i) => `json_extract_string(Item, '$.${p}.S') AS c${i}`).join(', ');
  await run('45-single', `CREATE TABLE t1 AS SELECT ${many} FROM scan WHERE json_extract_string(Item, '$.kind.S') = 'customer'`);
  const list = paths.concat(paths).concat(paths).map((p) => `'$.${p}.S'`).join(', ');
  const cols = paths.concat(paths).concat(paths).map((_, i) => `v[${i + 1}] AS c${i}`).join(', ');
  await run('45-multi', `CREATE TABLE t2 AS SELECT ${cols} FROM (SELECT json_extract_string(Item, [${list}]) AS v FROM scan WHERE json_extract_string(Item, '$.kind.S') = 'customer')`);
}
main();
