/**
 * The local stand-in for the analytics pipeline (docs/analytics.md). In AWS, DynamoDB's native
 * export writes the table to S3 and Athena turns the records into the lake's tables. Locally
 * DynamoDB Local has no export and there is no Athena, so:
 *
 * 1. `exportTable` (local/lake-export.ts, run in a worker thread by `npm run job -- export`)
 *    writes a full export in DynamoDB's documented format into the local S3 exports bucket.
 * 2. `refreshLake` brings the lake's tables to that export's state: the first time by running the
 *    generated transform SQL (functions/analytics/lake.ts, DuckDB dialect) over it, every later
 *    time by deriving the window's changes as an incremental export in DynamoDB's format and
 *    merging them with the same MERGE statements the AWS workflow runs in Athena — in one
 *    transaction, so a failed run changes nothing and the next one catches up. Each table is then
 *    written as Parquet under `<DATA_DIR>/lake/tables/<table>/`.
 * 3. `openLake` gives a DuckDB connection with a `<table>_current` view per table, for
 *    `npm run sql` and the tests.
 */
import { createGunzip, createGzip } from 'node:zlib';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DuckDBConnection } from '@duckdb/node-api';
import { LAKE_EXPORT_PREFIX, lakeTables, latestChangesSql, mergeSql, quoteIdent, transformSql } from '../functions/analytics/lake';

export interface DataFile { key: string; itemCount: number; bytes: number; md5: string }

/**
 * Uploads one finished data file of an export and deletes the local copy. A buffer, not a stream:
 * the SDK sends streams aws-chunked with a checksum trailer, which s3rver stores verbatim. The
 * buffer is bounded by the file's size (≈ 3 MB gzipped at 50,000 items).
 */
export async function uploadDataFile(s3: S3Client, bucket: string, key: string, path: string, itemCount: number): Promise<DataFile> {
  const body = readFileSync(path);
  const md5 = createHash('md5').update(body).digest('hex');
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  rmSync(path, { force: true });
  return { key, itemCount, bytes: body.length, md5 };
}

/** A data file's line in `manifest-files.json`, as DynamoDB writes it. */
export const manifestLine = (f: DataFile) => JSON.stringify({ itemCount: f.itemCount, md5Checksum: f.md5, etag: f.md5, dataFileS3Key: f.key });

export interface RefreshOptions {
  s3: S3Client;
  bucket: string;
  /** The full export just taken (ExportResult.prefix). */
  prefix: string;
  /** `<DATA_DIR>/lake` */
  lakeDir: string;
  /** Keys the email hashes. */
  salt: string;
  now?: Date;
  /** Failure injection for tests: called between applying the changes and committing them. */
  beforeCommit?: () => Promise<void>;
  /** Items per partition when a window compares the export with the last run (COMPARE_PARTITION_ITEMS); tests make it small. */
  comparePartitionItems?: number;
}

export interface RefreshResult {
  /** `full`: the first run built the tables; `incremental`: a window of changes was merged. */
  mode: 'full' | 'incremental';
  /** The incremental export written for this window (absent on the first run). */
  incrementalPrefix?: string;
  changes: number;
  tables: Record<string, number>;
}

/**
 * DuckDB inside the export process: its memory is bounded and what does not fit spills to
 * `<work>/spill`, so the process (Node with tsx and the S3 client take ≈ 100 MB — the scan ran in a
 * worker that has exited — before DuckDB's library adds ≈ 40 MB) stays within 256 MB whatever the table's size
 * (bench/export.ts). The need is per vector of 2,048 items, not per table: each JSON extraction
 * holds a vector's parsed items (hence one multi-path extraction per item, here and in
 * functions/analytics/lake.ts), and the files are read as lines (`readLines`), not by the JSON
 * reader's 16 MB buffers. One thread: each thread holds its own buffers, and the statements are
 * I/O- and JSON-bound anyway. Insertion order is not kept: the Parquet files are written sorted.
 *
 * The allocator thresholds matter as much as the limit: by default DuckDB's allocator keeps up to
 * 128 MB of freed memory for reuse (and 512 MB after a bulk free), outside `memory_limit`; at 1 MB
 * it hands it back after each task, ≈ 40 MB less at the peak. The limit itself stays at 64 MB:
 * 48 MB saved ≈ 8 MB but ran out of memory merging a window of 1,000 changes (32 MB already on
 * the JSON extraction).
 *
 * And the working database is stored uncompressed. Compressing a row group of `raw_items` (up to
 * 122,880 items of JSON text) analyses the whole group in buffers outside the limit: at 20,000
 * customers that was the run's peak (≈ 300 MB against ≈ 220 MB uncompressed, and 60% slower).
 * `lake.duckdb` is a local working file and grows ≈ 2×; the Parquet tables are compressed as before.
 */
const LAKE_DUCKDB_CONFIG = {
  memory_limit: '64MB', threads: '1', preserve_insertion_order: 'false', force_compression: 'uncompressed',
  allocator_flush_threshold: '1MB', allocator_bulk_deallocation_flush_threshold: '1MB',
};

const sqlPath = (path: string) => `'${path.replace(/'/g, "''")}'`;

/**
 * The lines of newline-delimited JSON files as one text column `line`, parsed by the caller.
 * DuckDB's JSON reader takes 16 MB buffers and parses every record besides; the CSV reader with
 * a delimiter JSON never holds raw (U+0001: JSON escapes control characters) reads 4 MB at a time.
 */
const readLines = (files: string[]) =>
  `read_csv([${files.map(sqlPath).join(', ')}], columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = '\u0001', quote = '', escape = '', buffer_size = 4194304)`;

/**
 * Brings the lake up to the state of a full export (see the module comment). The lake's state is
 * a DuckDB database (`lake.duckdb`): `raw_items` (every item as of the last run) and the tables.
 * The first run builds the tables from the full export. Every later run derives the window's
 * changes by comparing the new export with `raw_items`, writes them to the local S3 as an
 * incremental export in DynamoDB's format (Keys, NewImage, OldImage, WriteTimestampMicros), reads
 * that back and applies it with the same MERGE statements the AWS workflow runs in Athena. All of
 * it happens in one DuckDB transaction: a failed run leaves the previous state whole, and the
 * next run's window covers everything since the last committed one — no change lost or applied
 * twice. (The first build commits table by table and writes a marker, `lake_state`, last; a build
 * without it is started again from nothing.) Each table is then written out as Parquet for
 * `npm run sql`.
 */
export async function refreshLake(options: RefreshOptions): Promise<RefreshResult> {
  const work = join(options.lakeDir, 'work', randomUUID());
  mkdirSync(work, { recursive: true });
  // DuckDB's library (≈ 40 MB resident) loads after the scan, not with this module.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(join(options.lakeDir, 'lake.duckdb'), { ...LAKE_DUCKDB_CONFIG, temp_directory: join(work, 'spill') });
  const db = await instance.connect();
  try {
    const jsonFiles = await downloadExport(options.s3, options.bucket, options.prefix, work, 'full');
    // One parse per line (a multi-path extraction), not one per attribute taken from it.
    const full = jsonFiles.length
      ? `(SELECT CAST(j[1] AS JSON) AS Item, json_extract_string(j[1], ['$.pk.S', '$.sk.S']) AS k FROM (SELECT json_extract(line, ['$.Item']) AS j FROM ${readLines(jsonFiles)}))`
      : `(SELECT CAST(NULL AS JSON) AS Item, CAST(NULL AS VARCHAR[]) AS k WHERE false)`;
    const items = `SELECT k[1] AS pk, k[2] AS sk, Item FROM ${full}`;
    // The lake is built once `lake_state` exists: a first build that failed part-way left no
    // marker, and its tables are dropped and built again.
    const first = (await db.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM information_schema.tables WHERE table_name = 'lake_state'`)).getRowObjects()[0]!.n === 0;
    // Only a later run compares the export with the snapshot; the first one reads the export
    // straight into the snapshot, without a second copy of every item in a temp table.
    if (!first) await db.run(`CREATE OR REPLACE TEMP TABLE scan AS ${items}`);
    let result: RefreshResult;
    if (first) {
      // Table by table, each committed on its own, not in one transaction: committing every
      // table at once was the full run's peak (≈ 17 MB over the build at 100,000 customers).
      // Nothing reads the lake before its marker, so the build is still all or nothing. (A 48 MB
      // limit for the build ran out of memory at 100,000 customers: it keeps the 64 MB.)
      for (const name of ['raw_items', ...lakeTables().map((t) => t.name)]) await db.run(`DROP TABLE IF EXISTS ${quoteIdent(name)}`);
      await db.run(`CREATE TABLE raw_items AS ${items}`);
      for (const table of lakeTables()) {
        await db.run(`CREATE TABLE ${quoteIdent(table.name)} AS ${transformSql(table, 'raw_items', 'duckdb', options.salt)}`);
      }
      await options.beforeCommit?.();
      await db.run('CREATE TABLE lake_state AS SELECT 1 AS version');
      result = { mode: 'full', changes: 0, tables: {} };
    } else {
      await db.run('BEGIN TRANSACTION');
      try {
        const incremental = await writeIncrementalExport(db, options, work);
        const changeFiles = await downloadExport(options.s3, options.bucket, incremental.prefix, work, 'incremental');
        const records = changeFiles.length
          // A JSON null (a deletion's NewImage as DuckDB writes it) is SQL NULL, as the JSON reader made it.
          ? `(SELECT ${['Metadata', 'Keys', 'NewImage', 'OldImage'].map((c, i) => `CASE WHEN CAST(j[${i + 1}] AS VARCHAR) = 'null' THEN NULL ELSE j[${i + 1}] END AS ${c}`).join(', ')} FROM (SELECT json_extract(line, ['$.Metadata', '$.Keys', '$.NewImage', '$.OldImage']) AS j FROM ${readLines(changeFiles)}))`
          : `(SELECT CAST(NULL AS JSON) AS Metadata, CAST(NULL AS JSON) AS Keys, CAST(NULL AS JSON) AS NewImage, CAST(NULL AS JSON) AS OldImage WHERE false)`;
        await db.run(`CREATE OR REPLACE TEMP TABLE changes AS ${latestChangesSql(records, 'duckdb')}`);
        for (const table of lakeTables()) {
          for (const statement of mergeSql(table, quoteIdent(table.name), 'changes', 'duckdb', options.salt)) await db.run(statement);
        }
        // Only the changed keys are rewritten: the snapshot stays the export's state at a cost in proportion to the window.
        await db.run(`DELETE FROM raw_items WHERE ${KEY_DIGEST} IN (SELECT h FROM changed_digests)`);
        await db.run('INSERT INTO raw_items SELECT pk, sk, Item FROM new_items');
        result = { mode: 'incremental', incrementalPrefix: incremental.prefix, changes: incremental.itemCount, tables: {} };
        await options.beforeCommit?.();
        await db.run('COMMIT');
        // The window's updates live in memory as update segments until a checkpoint, and the sorted
        // Parquet writes below read through them: at 100,000 customers, 1,000 changes spread over
        // `customers` ran its sort out of the 64 MB. Written into storage first, they are not held.
        await db.run('CHECKPOINT');
      } catch (error) {
        await db.run('ROLLBACK');
        throw error;
      }
    }
    // Row groups of 10,000 rows: DuckDB's Parquet writer holds a whole row group in memory before
    // writing it, and its default (122,880 rows) is ≈ 100 MB of customers at 100,000 of them —
    // the run ran out of its 64 MB there. Sorted by the table's key, not by every column: a sort on
    // all 40-odd columns of 100,000 customers needs far more memory. The files stay sorted and
    // compressed.
    for (const table of lakeTables()) {
      const dest = join(options.lakeDir, 'tables', table.name);
      mkdirSync(dest, { recursive: true });
      const staging = join(dest, `data.parquet.${randomUUID()}`);
      await db.run(`COPY (SELECT * FROM ${quoteIdent(table.name)} ORDER BY ${table.key.map(quoteIdent).join(', ')}) TO ${sqlPath(staging)} (FORMAT parquet, ROW_GROUP_SIZE 10000)`);
      renameSync(staging, join(dest, 'data.parquet'));
      result.tables[table.name] = Number((await db.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${quoteIdent(table.name)}`)).getRowObjects()[0]!.n);
    }
    return result;
  } finally {
    db.closeSync();
    instance.closeSync();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Downloads (and un-gzips) an export's data files listed in its manifest; returns the local paths. */
async function downloadExport(s3: S3Client, bucket: string, prefix: string, work: string, label: string): Promise<string[]> {
  const manifest = await getText(s3, bucket, `${prefix}/manifest-files.json`);
  const keys = manifest.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { dataFileS3Key: string }).dataFileS3Key);
  const files: string[] = [];
  for (const [i, key] of keys.entries()) {
    const file = join(work, `${label}-${i}.json`);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await pipeline(object.Body as Readable, createGunzip(), createWriteStream(file));
    files.push(file);
  }
  return files;
}

/** Items per partition of the comparison of an export with the last run's (writeIncrementalExport). */
const COMPARE_PARTITION_ITEMS = 250_000;

/** An item's key as one 128-bit digest (a window's changes are found and applied by it). */
const KEY_DIGEST = 'md5_number(pk || chr(0) || sk)';

/**
 * The window's changes between `raw_items` (the last run) and `scan` (now), written to the local
 * S3 as an incremental export in DynamoDB's format (export view NEW_AND_OLD_IMAGES). Leaves the
 * window's digests of keys in the temp table `changed_digests` and its new items in `new_items`.
 */
async function writeIncrementalExport(db: DuckDBConnection, options: RefreshOptions, work: string): Promise<{ prefix: string; itemCount: number }> {
  const now = options.now ?? new Date();
  const exportId = `${now.getTime()}-${randomUUID().slice(0, 8)}`;
  const prefix = `${LAKE_EXPORT_PREFIX}/AWSDynamoDB/${exportId}`;
  const file = join(work, `${randomUUID()}.json`);
  const micros = `${now.getTime()}000`;
  // The changed keys first. Each side comes down to two 128-bit digests per item, of its key and
  // of the item, so the join's hash table holds 32 bytes a row rather than the key strings; and the
  // join runs in partitions of the key digest of at most COMPARE_PARTITION_ITEMS items, so its
  // memory stays bounded at any table size (one join over the key strings ran out of the 64 MB at
  // 100,000 customers). The few changed keys are then looked up by their digest.
  const counted = await db.runAndReadAll('SELECT greatest((SELECT count(*) FROM scan), (SELECT count(*) FROM raw_items))::BIGINT AS n');
  const partitions = Math.max(1, Math.ceil(Number(counted.getRowObjects()[0]!.n) / (options.comparePartitionItems ?? COMPARE_PARTITION_ITEMS)));
  const digests = (table: string, part: number) =>
    `(SELECT h, md5_number(CAST(Item AS VARCHAR)) AS digest FROM (SELECT ${KEY_DIGEST} AS h, Item FROM ${table}) WHERE h % ${partitions} = ${part})`;
  await db.run(`CREATE OR REPLACE TEMP TABLE changed_digests AS SELECT md5_number('') AS h WHERE false`);
  for (let part = 0; part < partitions; part++) {
    await db.run(`INSERT INTO changed_digests SELECT coalesce(n.h, o.h) FROM ${digests('scan', part)} n
      FULL OUTER JOIN ${digests('raw_items', part)} o ON n.h = o.h WHERE n.h IS NULL OR o.h IS NULL OR n.digest <> o.digest`);
  }
  // The window's items before and after, found by semi-joins on the (few) changed digests: every
  // later join is between window-sized tables, never with a whole snapshot on its build side.
  await db.run(`CREATE OR REPLACE TEMP TABLE new_items AS SELECT pk, sk, Item FROM scan WHERE ${KEY_DIGEST} IN (SELECT h FROM changed_digests)`);
  await db.run(`CREATE OR REPLACE TEMP TABLE old_items AS SELECT pk, sk, Item FROM raw_items WHERE ${KEY_DIGEST} IN (SELECT h FROM changed_digests)`);
  await db.run(`CREATE OR REPLACE TEMP TABLE changed_keys AS SELECT pk, sk FROM new_items UNION SELECT pk, sk FROM old_items`);
  // One line per changed key, written by DuckDB (no rows held in Node). JSON-typed columns are
  // written inline; a deletion's NewImage is left out, as DynamoDB does.
  await db.run(`COPY (
    SELECT
      json_object('WriteTimestampMicros', json_object('N', '${micros}')) AS Metadata,
      json_object('pk', json_object('S', c.pk), 'sk', json_object('S', c.sk)) AS Keys,
      n.Item AS NewImage,
      o.Item AS OldImage
    FROM changed_keys c
    LEFT JOIN new_items n ON n.pk = c.pk AND n.sk = c.sk
    LEFT JOIN old_items o ON o.pk = c.pk AND o.sk = c.sk
  ) TO ${sqlPath(file)} (FORMAT json)`);
  const gz = `${file}.gz`;
  await pipeline(createReadStream(file), createGzip(), createWriteStream(gz));
  let itemCount = 0;
  for await (const chunk of createReadStream(file)) for (const byte of chunk as Buffer) if (byte === 10) itemCount += 1;
  const data = await uploadDataFile(options.s3, options.bucket, `${prefix}/data/${randomUUID()}.json.gz`, gz, itemCount);
  await options.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: `${prefix}/manifest-files.json`, Body: `${manifestLine(data)}\n` }));
  await options.s3.send(new PutObjectCommand({
    Bucket: options.bucket,
    Key: `${prefix}/manifest-summary.json`,
    Body: JSON.stringify({ version: '2023-08-01', exportType: 'INCREMENTAL_EXPORT', outputFormat: 'DYNAMODB_JSON', exportViewType: 'NEW_AND_OLD_IMAGES', itemCount, exportToTime: now.toISOString(), s3Bucket: options.bucket, s3Prefix: LAKE_EXPORT_PREFIX }, null, 2),
  }));
  return { prefix, itemCount };
}

async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToString('utf8');
}

/** A DuckDB connection over the local lake: `<table>_current` views on its Parquet files. */
export async function openLake(lakeDir: string): Promise<{ db: DuckDBConnection; close(): void }> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  for (const table of lakeTables()) {
    const file = join(lakeDir, 'tables', table.name, 'data.parquet');
    if (!existsSync(file)) continue;
    await db.run(`CREATE VIEW ${quoteIdent(`${table.name}_current`)} AS SELECT * FROM read_parquet('${file.replace(/'/g, "''")}')`);
  }
  return { db, close: () => { db.closeSync(); instance.closeSync(); } };
}
