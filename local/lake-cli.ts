/**
 * The local lake from the command line (docs/analytics.md):
 *
 * - `npm run job -- export` (local/job.ts calls `runLocalExport`): a full export of the CRM's
 *   table in DynamoDB's export format into the local S3, then the lake tables rebuilt from it
 *   under `<DATA_DIR>/lake/tables/` — the local stand-in for the AWS workflow (DynamoDB export →
 *   Athena). Uses the running CRM's engines when `npm start` runs, else starts them over the
 *   persisted data for the duration of the run.
 * - `npm run sql -- "<query>"`: one query over the lake in DuckDB, printed as a table
 *   (`--json` for JSON lines). Tables are `<table>_current` (customers_current, deals_current, …).
 *   `npm run sql -- --saved <name>` runs one of the saved queries (functions/analytics/queries.ts).
 */
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { TABLE_SPEC } from '../functions/data/table';
import { lakeTables } from '../functions/analytics/lake';
import { SAVED_QUERIES } from '../functions/analytics/queries';
import { LOCAL_CREDENTIALS, LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET, LOCAL_REGION } from './env';
import { openLake, refreshLake } from './lake';
import { exportTableInWorker } from './lake-export-worker';
import { dataDir } from './paths';
import { freePort } from './ports';
import { persistentSecret, runningCrm } from './runtime';

export interface LocalExportResult {
  exportId: string;
  items: number;
  mode: 'full' | 'incremental';
  changes: number;
  tables: Record<string, number>;
}

/** Exports the local table and rebuilds the lake from that export. */
export async function runLocalExport(dir = dataDir()): Promise<LocalExportResult> {
  const running = runningCrm(dir);
  const stops: (() => Promise<void>)[] = [];
  try {
    let dynamodbEndpoint = running?.dynamodb;
    let s3Endpoint = running?.s3;
    const tableName = running?.tableName ?? (process.env.TABLE_NAME || TABLE_SPEC.logicalName);
    if (!dynamodbEndpoint) {
      // The engines' modules (s3rver above all) load only when no CRM runs: the export process's memory budget is 256 MB.
      const { ensureTable, startDynamoDbLocal } = await import('./engines/dynamodb');
      const engine = await startDynamoDbLocal({ port: await freePort(), directory: join(dir, 'dynamodb') });
      stops.push(() => engine.stop());
      dynamodbEndpoint = engine.endpoint;
      const client = engine.client();
      await ensureTable(client, tableName);
      client.destroy();
    }
    if (!s3Endpoint) {
      const { startS3 } = await import('./engines/s3');
      const s3 = await startS3({ directory: join(dir, 's3'), buckets: [LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET] });
      stops.push(() => s3.stop());
      s3Endpoint = s3.endpoint;
    }
    const lakeDir = join(dir, 'lake');
    // The scan runs in a worker thread, whose memory is freed before DuckDB builds the lake (local/lake-export-worker.ts).
    const exported = await exportTableInWorker({ dynamodbEndpoint, s3Endpoint, tableName, bucket: LOCAL_EXPORTS_BUCKET, workDir: lakeDir });
    const s3 = new S3Client({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: s3Endpoint, forcePathStyle: true });
    try {
      const built = await refreshLake({ s3, bucket: LOCAL_EXPORTS_BUCKET, prefix: exported.prefix, lakeDir, salt: persistentSecret(dir, 'lake-salt') });
      return { exportId: exported.exportId, items: exported.itemCount, mode: built.mode, changes: built.changes, tables: built.tables };
    } finally {
      s3.destroy();
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (values: string[]) => values.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

async function sql(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  let query = rest.join(' ').trim();
  if (rest[0] === '--saved') {
    const saved = SAVED_QUERIES.find((q) => q.name === rest[1]);
    if (!saved) {
      process.stderr.write(`Saved queries: ${SAVED_QUERIES.map((q) => q.name).join(', ')}\n`);
      return 1;
    }
    query = saved.sql;
  }
  const help = rest.length === 1 && (rest[0] === '--help' || rest[0] === '-h');
  if (!query || help) {
    (help ? process.stdout : process.stderr).write(`Usage: npm run sql -- "<query>" [--json]   or   npm run sql -- --saved <name> [--json]\n  tables: ${lakeTables().map((t) => `${t.name}_current`).join(', ')}\n  saved queries: ${SAVED_QUERIES.map((q) => q.name).join(', ')}\n  (fill or refresh the lake with: npm run job -- export)\n`);
    return help ? 0 : 1;
  }
  const lake = await openLake(join(dataDir(), 'lake'));
  try {
    const result = await lake.db.runAndReadAll(query);
    const rows = result.getRowObjectsJson() as Record<string, unknown>[];
    if (json) for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    else process.stdout.write(`${table(rows, result.columnNames())}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
    return 0;
  } catch (error) {
    const message = (error as Error).message;
    process.stderr.write(`${message}\n`);
    if (/does not exist/.test(message)) process.stderr.write('The lake is empty or stale: run `npm run job -- export` first.\n');
    return 1;
  } finally {
    lake.close();
  }
}

if (process.argv[1] && /lake-cli\.ts$/.test(process.argv[1])) {
  sql(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
