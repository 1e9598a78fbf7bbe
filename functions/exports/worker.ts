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
 * Memory holds one Query page, one S3 part (5 MiB) being filled, for Parquet one row group
 * (functions/exports/files.ts), and the ids of the part's rows (at most PART_ROWS; readPart): the
 * file streams to S3 as a multipart upload while it is read, never a file and never a table. Measured in bench/export-files.ts.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { keys } from '../data/keys';
import { type IndexQuery, queryIndexPage } from '../data/query';
import type { IndexName } from '../data/table';
import type { ExportEntity } from '../../schemas/exports';
import { exportAudit } from './audit';
import { type FileWriter, openFile } from './files';
import { rowMasked } from './list-export';
import { advanceJob, type ExportCursor, type ExportFileItem, type ExportJob, getJob } from './repository';
import { exportTable, maskItem } from './rows';
import { exportsBucket, fileKey } from './storage';
import { lazyLogger } from '../aws/logger';

const logger = lazyLogger('crm-exports');

/**
 * Rows per file (a part is finished at the first page boundary at or past this). The file streams
 * to S3 as it is written (functions/exports/files.ts), so this bounds a step's time, not its memory.
 */
export const PART_ROWS = 50_000;
/** Contacts are read customer by customer: a part also ends after this many customers (one Query each). */
export const PART_PARENTS = 5_000;
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

/** Every article, whatever its status or category (gsi3 `KB#ALL`). */
const kbAll = keys.article.listPartition(undefined, undefined);

/**
 * Where each entity's records are listed in full (index partitions; no Scan). Each is read live,
 * page by page: a record whose sort key changes while the export reads (a ticket's status, a
 * deal's expected close, a renamed customer) may be met twice or not at all — see readPart and
 * docs/analytics.md, "On-demand exports".
 */
const SOURCES: Record<ExportEntity, Source[]> = {
  customers: CUSTOMER_SOURCES,
  // Read customer by customer (live, then archived): every contact belongs to one customer.
  contacts: CUSTOMER_SOURCES,
  leads: [{ index: 'gsi1', partition: keys.lead.allPartition }],
  deals: [{ index: 'gsi4', partition: keys.deal.allPartition }],
  products: [{ index: 'gsi1', partition: keys.product.allPartition }],
  pipelines: [{ index: 'gsi1', partition: keys.pipeline.listPartition }],
  tickets: [{ index: 'gsi4', partition: keys.ticket.allPartition }],
  contracts: [{ index: 'gsi3', partition: keys.contract.allPartition }],
  'kb-articles': [{ index: kbAll.index, partition: kbAll.value }],
  campaigns: [{ index: 'gsi1', partition: keys.campaign.listPartition }],
  segments: [{ index: 'gsi1', partition: keys.segment.listPartition }],
  'mailing-lists': [{ index: 'gsi1', partition: keys.mailingList.listPartition }],
};

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

interface Part { rows: number; next?: Pick<ExportCursor, 'source' | 'startKey'> }

/**
 * Where an export reads: every record of the entity, or — for a list export — the one Query its
 * list route planned (none when the list is empty for its creator).
 */
function sourcesOf(job: ExportJob, entity: ExportEntity): Source[] {
  if (!job.list) return SOURCES[entity];
  return job.list.source ? [job.list.source] : [];
}

/**
 * Reads one part's rows from the cursor on, page by page, into `file` (which streams them to S3);
 * `next` is where the following part starts (absent: entity done).
 */
async function readPart(job: ExportJob, entity: ExportEntity, cursor: ExportCursor, file: FileWriter): Promise<Part> {
  const sources = sourcesOf(job, entity);
  let source = cursor.source;
  let startKey = cursor.startKey;
  let parents = 0;
  // The ids this part wrote: a record whose sort key moved past the read position while the part
  // was read (a ticket whose status changed) is met again and skipped. Bounded by the part's rows;
  // across parts nothing is held, so a record may still appear in two parts (docs/analytics.md).
  const written = new Set<string>();
  // A list export masks row by row, as its list route does (the owner: the record's, or a contact's customer's).
  const add = async (item: Item, ownerId: unknown = item.ownerId) => {
    if (typeof item.id === 'string') {
      if (written.has(item.id)) return;
      written.add(item.id);
    }
    await file.add(maskItem(entity, item, rowMasked(job.list, job.createdBy, ownerId) ?? job.masked));
  };
  if (sources.length === 0) return { rows: 0 };
  for (;;) {
    const limit = Math.min(entity === 'contacts' ? PARENT_PAGE_LIMIT : PAGE_LIMIT, partRows());
    const page = await queryIndexPage<Item>(sources[source]!, limit, startKey);
    if (entity === 'contacts') {
      for (const customer of page.items) {
        for (const contact of await contactsOf(String(customer.id))) await add(contact, customer.ownerId);
      }
      parents += page.items.length;
    } else {
      for (const item of page.items) await add(item);
    }
    startKey = page.lastKey;
    if (!startKey) {
      source += 1;
      if (source >= sources.length) return { rows: file.rows };
    }
    // Page boundaries only, so a repeated step ends exactly where the first one did.
    if (file.rows >= partRows() || parents >= PART_PARENTS) return { rows: file.rows, next: { source, ...(startKey ? { startKey } : {}) } };
  }
}

function openPart(job: ExportJob, entity: ExportEntity, part: number): FileWriter {
  return openFile({
    format: job.format,
    table: exportTable(entity),
    bom: job.bom === true,
    target: {
      bucket: exportsBucket(),
      key: fileKey(job.id, entity, part, job.format),
      contentType: job.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.apache.parquet',
      contentDisposition: `attachment; filename="${entity}-${String(part).padStart(5, '0')}.${job.format}"`,
    },
  });
}

export type StepOutcome = 'advanced' | 'finished' | 'skipped' | 'retrying' | 'failed';

/** Runs step `step` of export `id` (see the module comment). */
export async function runStep(id: string, step: number, now: () => Date = () => new Date()): Promise<StepOutcome> {
  const job = await getJob(id);
  if (!job || job.step !== step || (job.state !== 'queued' && job.state !== 'running')) return 'skipped';
  let file: FileWriter | undefined;
  try {
    const entity = job.entities[job.cursor.entity]!;
    file = openPart(job, entity, job.cursor.part);
    const part = await readPart(job, entity, job.cursor, file);
    let written: ExportFileItem | undefined;
    // The first part of an entity is written even when empty: a file with the header says "no rows".
    if (part.rows > 0 || job.cursor.part === 1) {
      const stored = await file.finish();
      written = { entity, part: job.cursor.part, key: fileKey(job.id, entity, job.cursor.part, job.format), rows: part.rows, bytes: stored.bytes };
    } else {
      await file.abort();
    }
    const files = written ? [...job.files, written] : job.files;
    const at = now().toISOString();
    let changes: Partial<ExportJob>;
    if (part.next) {
      changes = { state: 'running', cursor: { entity: job.cursor.entity, ...part.next, part: job.cursor.part + (written ? 1 : 0) } };
    } else if (job.cursor.entity + 1 < job.entities.length) {
      changes = { state: 'running', cursor: { entity: job.cursor.entity + 1, source: 0, part: 1 } };
    } else {
      changes = { state: 'succeeded', cursor: { entity: job.entities.length, source: 0, part: 1 }, completedAt: at };
    }
    const finished = changes.state === 'succeeded' ? exportAudit({ ...job, ...changes, files }, 'completed', now()) : undefined;
    const advanced = await advanceJob(id, step, { ...changes, files, attempts: 0, updatedAt: at }, finished);
    if (!advanced) return 'skipped';
    logger().info('export step', { exportId: id, step, entity, rows: part.rows, state: changes.state });
    return changes.state === 'succeeded' ? 'finished' : 'advanced';
  } catch (error) {
    await file?.abort();
    const attempts = job.attempts + 1;
    logger().warn('export step failed', { exportId: id, step, attempts, error: { name: error instanceof Error ? error.name : typeof error } });
    const at = now().toISOString();
    if (attempts >= MAX_ATTEMPTS) {
      const failed: ExportJob = { ...job, state: 'failed', attempts, error: 'The export stopped after repeated errors; start a new one', updatedAt: at, completedAt: at };
      await advanceJob(id, step, { state: failed.state, attempts, error: failed.error, updatedAt: at, completedAt: at }, exportAudit(failed, 'failed', now()));
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
    const id = record.dynamodb?.NewImage?.id?.S;
    const step = Number(record.dynamodb?.NewImage?.step?.N);
    if (!id || !Number.isInteger(step)) continue;
    await runStep(id, step);
  }
}
