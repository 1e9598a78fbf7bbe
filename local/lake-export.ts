/**
 * Step 1 of the local analytics pipeline (local/lake.ts, docs/analytics.md): a full export of the
 * table in DynamoDB's documented export format (`AWSDynamoDB/<id>/` with `manifest-summary.json`,
 * `manifest-files.json` and gzipped `data/*.json.gz` files of `{"Item": {...}}` lines in DynamoDB
 * JSON) into the local S3 exports bucket — what DynamoDB's native export writes in AWS. It scans
 * the table in small segments and streams each page to its file: memory stays flat and time
 * linear whatever the size.
 *
 * `npm run job -- export` runs it in a worker thread (local/lake-export-worker.ts), so that what
 * the scan leaves in V8's heap and the SDK's DynamoDB client are gone before DuckDB builds the lake.
 */
import { createGzip } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type AttributeValue, DescribeTableCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LAKE_EXPORT_PREFIX } from '../functions/analytics/lake';
import { type DataFile, manifestLine, uploadDataFile } from './lake';

export interface ExportResult {
  exportId: string;
  /** s3 prefix of the export: `<EXPORT_PREFIX>/AWSDynamoDB/<exportId>` */
  prefix: string;
  itemCount: number;
  files: { key: string; itemCount: number; bytes: number }[];
}

export interface ExportOptions {
  dynamodb: DynamoDBClient;
  tableName: string;
  s3: S3Client;
  bucket: string;
  now?: Date;
  /**
   * Scans in flight at once (and data files written side by side). Two by default: each holds a
   * page and its serialised lines, and V8 keeps what they leave behind — two of 250-item pages
   * leave the process at ≈ 135 MB after the scan, four of 500 at ≈ 165 MB (docs/analytics.md).
   */
  concurrency?: number;
  /** Items per scan segment (SEGMENT_ITEMS); tests make it small to cross many segments. */
  segmentItems?: number;
  /** A local directory for the files before upload. */
  workDir: string;
  /** Items per data file (a segment writes as many files as it needs). */
  maxItemsPerFile?: number;
}

/** Items per Scan page: a page of 500 is ≈ 5 MB of response, parsed items and lines per segment. */
const SCAN_PAGE_ITEMS = 250;

/**
 * Items per scan segment. DynamoDB Local answers each Scan page in time that grows with the
 * page's position in its segment (its SQLite query re-reads the segment up to the start key), so
 * one segment over the whole table is quadratic: 766,000 items in 2 segments had not finished in
 * 15 minutes. Segments of ≈ 2,500 items keep every page near the start of its segment — at
 * 153,000 items the engine's CPU for the whole scan fell from 73 s (2 segments) to 9 s (64), with
 * the same two pages in flight (docs/analytics.md). The segments are a queue that `concurrency`
 * scans work through, so memory does not grow with their number.
 */
const SEGMENT_ITEMS = 2_500;

/** Full export of the table in DynamoDB's export format, into the local S3 bucket. */
export async function exportTable(options: ExportOptions): Promise<ExportResult> {
  const started = options.now ?? new Date();
  const exportId = `${started.getTime()}-${randomUUID().slice(0, 8)}`;
  const prefix = `${LAKE_EXPORT_PREFIX}/AWSDynamoDB/${exportId}`;
  const concurrency = options.concurrency ?? 2;
  // DynamoDB Local keeps ItemCount current (DynamoDB itself refreshes it every six hours; the AWS path uses the native export).
  const described = await options.dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  const segments = Math.min(10_000, Math.max(concurrency, Math.ceil((described.Table?.ItemCount ?? 0) / (options.segmentItems ?? SEGMENT_ITEMS))));
  let nextSegment = 0;
  const dir = join(options.workDir, 'exports', exportId);
  mkdirSync(join(dir, 'data'), { recursive: true });

  // Each worker takes segments from the queue and streams their pages into gzip files of at most
  // `maxItemsPerFile` items (as DynamoDB writes several data files per export), uploading each one
  // as soon as it is full: Node holds one page and one unfinished file per worker, whatever the
  // table's size.
  const maxItemsPerFile = options.maxItemsPerFile ?? 50_000;
  const perWorker = await Promise.all(Array.from({ length: concurrency }, async () => {
    const written: DataFile[] = [];
    let file: { name: string; path: string; gzip: ReturnType<typeof createGzip>; done: Promise<void>; itemCount: number } | undefined;
    const open = () => {
      const name = `${randomUUID()}.json.gz`;
      const path = join(dir, 'data', name);
      const gzip = createGzip();
      return { name, path, gzip, done: pipeline(gzip, createWriteStream(path)), itemCount: 0 };
    };
    const close = async () => {
      if (!file) return;
      const { name, path, gzip, done, itemCount } = file;
      file = undefined;
      gzip.end();
      await done;
      written.push(await uploadDataFile(options.s3, options.bucket, `${prefix}/data/${name}`, path, itemCount));
    };
    for (let segment = nextSegment++; segment < segments; segment = nextSegment++) {
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await options.dynamodb.send(new ScanCommand({
          TableName: options.tableName, Segment: segment, TotalSegments: segments, ExclusiveStartKey: start, Limit: SCAN_PAGE_ITEMS,
        }));
        for (const item of page.Items ?? []) {
          file ??= open();
          if (!file.gzip.write(`${JSON.stringify({ Item: item })}\n`)) await once(file.gzip, 'drain');
          file.itemCount += 1;
          if (file.itemCount >= maxItemsPerFile) await close();
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    // A worker that found nothing still writes one (empty) file, as DynamoDB does for an empty table.
    if (written.length === 0) file ??= open();
    await close();
    return written;
  }));
  const files = perWorker.flat();

  const itemCount = files.reduce((n, f) => n + f.itemCount, 0);
  const manifestFiles = files.map(manifestLine).join('\n');
  const put = (key: string, body: string) => options.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: `${prefix}/${key}`, Body: body }));
  await put('manifest-files.json', `${manifestFiles}\n`);
  await put('manifest-summary.json', JSON.stringify({
    version: '2020-06-30',
    exportArn: `arn:aws:dynamodb:local:000000000000:table/${options.tableName}/export/${exportId}`,
    startTime: started.toISOString(),
    endTime: new Date().toISOString(),
    tableArn: `arn:aws:dynamodb:local:000000000000:table/${options.tableName}`,
    exportTime: started.toISOString(),
    s3Bucket: options.bucket,
    s3Prefix: LAKE_EXPORT_PREFIX,
    s3SseAlgorithm: 'AES256',
    manifestFilesS3Key: `${prefix}/manifest-files.json`,
    billedSizeBytes: files.reduce((n, f) => n + f.bytes, 0),
    itemCount,
    outputFormat: 'DYNAMODB_JSON',
    exportType: 'FULL_EXPORT',
  }, null, 2));
  rmSync(dir, { recursive: true, force: true });
  return { exportId, prefix, itemCount, files: files.map(({ key, itemCount: n, bytes }) => ({ key, itemCount: n, bytes })) };
}
