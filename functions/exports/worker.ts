/**
 * The export worker: writes an on-demand export's files one part at a time.
 *
 * Trigger. The export item on the table stream (EXPORT_STREAM_FILTER): its INSERT by
 * `POST /v1/exports` starts step 0, and every step ends by moving `step` forward on the item — a
 * MODIFY that the stream delivers as the next step. So the chain needs no scheduler, no
 * self-invocation and no Step Functions client; a lost trigger cannot happen (the trigger *is* the
 * committed write), and Lambda's stream mapping retries a step whose invocation failed.
 *
 * One step = one part: up to PART_ROWS rows read with Query pages (Limit PAGE_LIMIT) from the
 * entity's index partition, starting at the saved LastEvaluatedKey, written as one file with a
 * header row under a key fixed by (export, entity, part number). Then one conditional update
 * stores the file, the next LastEvaluatedKey and `step + 1`, on the condition that `step` is
 * still this step's. Hence:
 * - a repeated invocation of a step that already advanced finds another `step` and does nothing
 *   (no duplicate rows);
 * - a step that failed after its upload but before its update runs again from the same key and
 *   overwrites the same object with the same rows (no duplicate, no loss);
 * - a step that throws is counted in `attempts` and re-triggered (the update is a stream record
 *   too); after MAX_ATTEMPTS the export is `failed`.
 * Memory holds one part (≈ PART_ROWS rows of text), never a table.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { clientOptions } from '../aws/client-options';
import { config } from '../config';
import { keys } from '../data/keys';
import { type IndexQuery, queryIndexPage } from '../data/query';
import type { IndexName } from '../data/table';
import type { ExportEntity } from '../../schemas/exports';
import { parquetWriter } from './parquet';
import { rowMasked } from './list-export';
import { advanceJob, type ExportCursor, type ExportFileItem, type ExportJob, getJob } from './repository';
import { csvHeader, csvRow, exportTable, maskItem } from './rows';
import { exportsBucket, fileKey } from './storage';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm-exports' });

/** Rows per file (a part is finished at the first page boundary at or past this). */
export const PART_ROWS = 5_000;
/** EXPORT_PART_ROWS overrides PART_ROWS (smaller files; the tests use it to get several parts). */
const partRows = () => Number(process.env.EXPORT_PART_ROWS) || PART_ROWS;
/** Items per Query page. */
export const PAGE_LIMIT = 500;
/** Customers per page when reading contacts customer by customer. */
const PARENT_PAGE_LIMIT = 100;
export const MAX_ATTEMPTS = 3;

type Source = IndexQuery & { index: IndexName }

const CUSTOMER_SOURCES: Source[] = [
  { index: 'gsi1', partition: keys.customer.allPartition(false) },
  { index: 'gsi1', partition: keys.customer.allPartition(true) },
];

/** Where each entity's records are listed in full (index partitions; no Scan). */
const SOURCES: Record<ExportEntity, Source[]> = {
  customers: CUSTOMER_SOURCES,
  // Read customer by customer (live, then archived): every contact belongs to one customer.
  contacts: CUSTOMER_SOURCES,
  leads: [{ index: 'gsi1', partition: keys.lead.allPartition }],
  deals: [{ index: 'gsi4', partition: keys.deal.allPartition }],
  products: [{ index: 'gsi1', partition: keys.product.allPartition }],
  pipelines: [{ index: 'gsi1', partition: keys.pipeline.listPartition }],
};

let s3: S3Client | undefined;
const client = () => (s3 ??= new S3Client({ ...clientOptions('s3'), forcePathStyle: config().s3ForcePathStyle }));

type Item = Record<string, unknown>;

async function contactsOf(customerId: string): Promise<Item[]> {
  const contacts: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await queryIndexPage<Item>({ index: 'gsi1', partition: keys.contact.byCustomerPartition(customerId) }, PAGE_LIMIT, startKey);
    contacts.push(...page.items);
    startKey = page.lastKey;
  } while (startKey);
  return contacts;
}

interface Part { lines: string[]; rows: number; next?: Pick<ExportCursor, 'source' | 'startKey'> }

/**
 * Where an export reads: every record of the entity, or — for a list export — the one Query its
 * list route planned (none when the list is empty for its creator).
 */
function sourcesOf(job: ExportJob, entity: ExportEntity): Source[] {
  if (!job.list) return SOURCES[entity];
  return job.list.source ? [job.list.source] : [];
}

/** Reads one part's rows from the cursor on; `next` is where the following part starts (absent: entity done). */
async function readPart(job: ExportJob, entity: ExportEntity, cursor: ExportCursor): Promise<Part> {
  const table = exportTable(entity);
  const sources = sourcesOf(job, entity);
  const guard = job.format === 'csv';
  const lines = [csvHeader(table)];
  let rows = 0;
  let source = cursor.source;
  let startKey = cursor.startKey;
  // A list export masks row by row, as its list route does (the owner: the record's, or a contact's customer's).
  const add = (item: Item, ownerId: unknown = item.ownerId) => {
    lines.push(csvRow(table, maskItem(entity, item, rowMasked(job.list, job.createdBy, ownerId) ?? job.masked), guard));
    rows += 1;
  };
  if (sources.length === 0) return { lines, rows };
  for (;;) {
    const limit = Math.min(entity === 'contacts' ? PARENT_PAGE_LIMIT : PAGE_LIMIT, partRows());
    const page = await queryIndexPage<Item>(sources[source]!, limit, startKey);
    if (entity === 'contacts') {
      for (const customer of page.items) for (const contact of await contactsOf(customer.id as string)) add(contact, customer.ownerId);
    } else {
      for (const item of page.items) add(item);
    }
    startKey = page.lastKey;
    if (!startKey) {
      source += 1;
      if (source >= sources.length) return { lines, rows };
    }
    if (rows >= partRows()) return { lines, rows, next: { source, ...(startKey ? { startKey } : {}) } };
  }
}

async function writeFile(job: ExportJob, entity: ExportEntity, part: number, lines: string[]): Promise<{ key: string; bytes: number }> {
  let body: Buffer;
  if (job.format === 'parquet') {
    const writer = await parquetWriter();
    if (!writer) throw new Error('No Parquet writer in this runtime');
    body = await writer(exportTable(entity), lines.join(''));
  } else {
    // The byte-order mark tells Excel the file is UTF-8 (it otherwise assumes the system code page).
    body = Buffer.from(`${job.bom ? '\uFEFF' : ''}${lines.join('')}`, 'utf8');
  }
  const key = fileKey(job.id, entity, part, job.format);
  await client().send(new PutObjectCommand({
    Bucket: exportsBucket(),
    Key: key,
    Body: body,
    ContentType: job.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.apache.parquet',
    ContentDisposition: `attachment; filename="${entity}-${String(part).padStart(5, '0')}.${job.format}"`,
  }));
  return { key, bytes: body.length };
}

export type StepOutcome = 'advanced' | 'finished' | 'skipped' | 'retrying' | 'failed';

/** Runs step `step` of export `id` (see the module comment). */
export async function runStep(id: string, step: number, now: () => Date = () => new Date()): Promise<StepOutcome> {
  const job = await getJob(id);
  if (!job || job.step !== step || (job.state !== 'queued' && job.state !== 'running')) return 'skipped';
  try {
    const entity = job.entities[job.cursor.entity]!;
    const part = await readPart(job, entity, job.cursor);
    let file: ExportFileItem | undefined;
    // The first part of an entity is written even when empty: a file with the header says "no rows".
    if (part.rows > 0 || job.cursor.part === 1) {
      const written = await writeFile(job, entity, job.cursor.part, part.lines);
      file = { entity, part: job.cursor.part, key: written.key, rows: part.rows, bytes: written.bytes };
    }
    const files = file ? [...job.files, file] : job.files;
    const at = now().toISOString();
    let changes: Partial<ExportJob>;
    if (part.next) {
      changes = { state: 'running', cursor: { entity: job.cursor.entity, ...part.next, part: job.cursor.part + (file ? 1 : 0) } };
    } else if (job.cursor.entity + 1 < job.entities.length) {
      changes = { state: 'running', cursor: { entity: job.cursor.entity + 1, source: 0, part: 1 } };
    } else {
      changes = { state: 'succeeded', cursor: { entity: job.entities.length, source: 0, part: 1 }, completedAt: at };
    }
    const advanced = await advanceJob(id, step, { ...changes, files, attempts: 0, updatedAt: at });
    if (!advanced) return 'skipped';
    logger.info('export step', { exportId: id, step, entity, rows: part.rows, state: changes.state });
    return changes.state === 'succeeded' ? 'finished' : 'advanced';
  } catch (error) {
    const attempts = job.attempts + 1;
    logger.warn('export step failed', { exportId: id, step, attempts, error: { name: (error as Error)?.name } });
    const at = now().toISOString();
    if (attempts >= MAX_ATTEMPTS) {
      await advanceJob(id, step, { state: 'failed', attempts, error: 'The export stopped after repeated errors; start a new one', updatedAt: at, completedAt: at });
      return 'failed';
    }
    // Moving `step` on is what re-triggers the same work (the cursor is unchanged).
    await advanceJob(id, step, { attempts, updatedAt: at });
    return 'retrying';
  }
}

/**
 * Stream handler: each record is the export item after a write; the steps run in order. An error
 * reaching the mapping (the table unreachable) retries the batch; a step already done is skipped.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    if (!image) continue;
    const item = unmarshall(image as Parameters<typeof unmarshall>[0]) as { id?: unknown; step?: unknown };
    if (typeof item.id !== 'string' || typeof item.step !== 'number') continue;
    await runStep(item.id, item.step);
  }
}
