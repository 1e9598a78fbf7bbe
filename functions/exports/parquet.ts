/**
 * The Parquet writer of on-demand exports, where one can run.
 *
 * Locally the export worker runs in Node next to DuckDB (`@duckdb/node-api`, the lake's engine),
 * which writes Parquet: each part is written as CSV first (functions/exports/rows.ts) and DuckDB
 * converts that one part — typed by the lake's column types — so memory stays bounded by a part.
 * DuckDB is a native module and a development dependency: it is not in the Lambda bundle (its
 * binaries are ~60 MB, beyond a small-bundle function). In Lambda, `parquetWriter()` therefore
 * answers `undefined`, and `POST /v1/exports` refuses `format: parquet` with a 400 that says so;
 * Parquet in AWS is what the analytics lake already is (Iceberg tables of Parquet files, queried or
 * `UNLOAD`ed with Athena — docs/analytics.md, "On-demand exports").
 *
 * The module name is held in a variable so esbuild leaves the import to run time instead of
 * trying to bundle the native module.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LakeTable, LakeType } from '../analytics/lake';

export type ParquetWriter = (table: LakeTable, csv: string) => Promise<Buffer>;

const DUCKDB_MODULE = '@duckdb/node-api';
let probe: Promise<ParquetWriter | undefined> | undefined;

const DUCK_TYPES: Record<LakeType, string> = {
  varchar: 'VARCHAR', bigint: 'BIGINT', double: 'DOUBLE', boolean: 'BOOLEAN', timestamp: 'VARCHAR', date: 'DATE', 'varchar[]': 'VARCHAR', json: 'VARCHAR',
};

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Converts the CSV text to the column's type (lists arrive as JSON arrays, times as ISO-8601 with Z). */
function select(column: { name: string; type: LakeType }): string {
  const c = ident(column.name);
  if (column.type === 'varchar[]') return `from_json(${c}, '["VARCHAR"]') AS ${c}`;
  if (column.type === 'timestamp') return `CAST(replace(${c}, 'Z', '') AS TIMESTAMP) AS ${c}`;
  return c;
}

/** DuckDB's Parquet writer, or undefined where DuckDB cannot be loaded (Lambda). */
export function parquetWriter(): Promise<ParquetWriter | undefined> {
  probe ??= (async () => {
    try {
      const duckdb = (await import(DUCKDB_MODULE)) as typeof import('@duckdb/node-api');
      return async (table: LakeTable, csv: string) => {
        const base = join(tmpdir(), `crm-export-${randomUUID()}`);
        writeFileSync(`${base}.csv`, csv);
        const instance = await duckdb.DuckDBInstance.create(':memory:');
        const db = await instance.connect();
        try {
          const columns = `{${table.columns.map((c) => `${lit(c.name)}: ${lit(DUCK_TYPES[c.type])}`).join(', ')}}`;
          await db.run(`COPY (SELECT ${table.columns.map(select).join(', ')} FROM read_csv(${lit(`${base}.csv`)}, header = true, columns = ${columns}, quote = '"', escape = '"', delim = ','))
            TO ${lit(`${base}.parquet`)} (FORMAT parquet)`);
          return readFileSync(`${base}.parquet`);
        } finally {
          db.closeSync();
          instance.closeSync();
          rmSync(`${base}.csv`, { force: true });
          rmSync(`${base}.parquet`, { force: true });
        }
      };
    } catch {
      return undefined;
    }
  })();
  return probe;
}
