/**
 * The import worker: imports a started CSV file chunk by chunk.
 *
 * Trigger. The import item on the table stream (IMPORT_STREAM_FILTER), exactly as the export
 * worker: `POST /v1/imports/{id}/start` sets it `queued` (a MODIFY the stream delivers as step 0),
 * and every step ends by moving `step` forward on the item — the next step's trigger. Lambda's
 * stream mapping retries a step whose invocation failed; nothing polls, nothing invokes itself.
 *
 * Step 0 reads the whole file once, streaming, and checks its encoding: a file that is not valid
 * UTF-8 (or GB18030) fails with the line named, before any row is written.
 *
 * Every further step is one chunk: up to CHUNK_ROWS rows read with a ranged GET from the
 * checkpoint's byte offset (csv-parse over the bytes, never the whole file in memory), each row
 * mapped, validated and written through the entity's own service (./rows.ts), several rows at a
 * time but rows sharing an email, phone or SKU in file order. Then one conditional update stores
 * the new checkpoint (offset and row after the chunk) and the chunk's counts with `step + 1`.
 *
 * Resuming after a crash. A chunk whose rows partly committed before the worker died runs again
 * from the same offset: the step marks `chunkStartedAt` before its first row, so a replay knows
 * it is one (`recovering`) and first looks for each row's own record — its id is derived from the
 * import and the row (./ids.ts) — counting it as created instead of creating it twice. Updates
 * re-applied change nothing; rejected and skipped rows are decided again the same way. The counts
 * are committed only with the checkpoint, so they count every row once.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import type { Principal } from '../security/principal';
import { checkEncoding, csvLine, decodeField, FileProblem, readRecords, type RawRecord } from './csv';
import { mapRow, describeErrors } from './mapping';
import { type ImportCounts, type ImportJob, getJob, updateJob } from './repository';
import { identitiesOf, importRow, type RowContext, type RowOutcome } from './rows';
import { readFrom, readText, rejectedKey, rejectedPartKey, writeText } from './storage';
import { lazyLogger } from '../aws/logger';

const logger = lazyLogger('crm-imports');

/** Rows per step. IMPORT_CHUNK_ROWS overrides it (the tests use small chunks). */
export const CHUNK_ROWS = 500;
const chunkRows = () => Number(process.env.IMPORT_CHUNK_ROWS) || CHUNK_ROWS;
/** Rows written at the same time within a chunk. */
export const ROW_CONCURRENCY = 8;
export const MAX_ATTEMPTS = 3;
/** Job items expire this long after the import ended. */
const KEEP_JOB_SECONDS = 30 * 24 * 3600;

/**
 * Failure injection for tests only: with IMPORT_FAULT_CRASH_AFTER_ROW=n the worker dies (throws
 * out of the invocation, no bookkeeping) right after row n committed — once; the variable is
 * cleared so the retried invocation runs normally. Never set in a deployment.
 */
export class InjectedCrash extends Error {
  constructor(row: number) {
    super(`injected crash after row ${row}`);
    this.name = 'InjectedCrash';
  }
}

function crashAfter(row: number): void {
  if (Number(process.env.IMPORT_FAULT_CRASH_AFTER_ROW) !== row) return;
  delete process.env.IMPORT_FAULT_CRASH_AFTER_ROW;
  throw new InjectedCrash(row);
}

const principalOf = (job: ImportJob): Principal => ({
  userId: job.importer.userId,
  role: job.importer.role,
  groups: [job.importer.role],
  ...(job.importer.email ? { email: job.importer.email } : {}),
  ...(job.importer.apiKeyId ? { apiKeyId: job.importer.apiKeyId } : {}),
  ...(job.importer.scopes ? { scopes: job.importer.scopes } : {}),
});

interface RowResult { row: number; cells: string[]; outcome: RowOutcome }

/** Runs rows ROW_CONCURRENCY at a time; rows sharing an identity (email, phone, SKU) wait for the earlier one. */
async function runRows(ctx: RowContext, job: ImportJob, records: RawRecord[]): Promise<RowResult[]> {
  const headers = job.headers ?? [];
  const results: RowResult[] = [];
  const tails = new Map<string, Promise<unknown>>();
  const inFlight = new Set<Promise<unknown>>();
  const all: Promise<unknown>[] = [];
  for (const [i, record] of records.entries()) {
    const row = job.row + i + 1;
    const cells = record.fields.map((bytes, column) => decodeField(bytes, job.encoding, `Row ${row}, column ${column + 1}`));
    if (cells.length !== headers.length) {
      results.push({ row, cells, outcome: { kind: 'rejected', reason: `ragged row: ${cells.length} fields where the header has ${headers.length}` } });
      continue;
    }
    const mapped = mapRow(job.entity, headers, job.mapping, cells);
    if (mapped.errors.length) {
      results.push({ row, cells, outcome: { kind: 'rejected', reason: describeErrors(mapped.errors) } });
      continue;
    }
    const identities = identitiesOf(job.entity, mapped.values, mapped.lookup);
    const before = identities.map((k) => tails.get(k)).filter((p): p is Promise<unknown> => !!p);
    const result: RowResult = { row, cells, outcome: { kind: 'skipped' } };
    results.push(result);
    const work = (async () => {
      await Promise.allSettled(before);
      result.outcome = await importRow(ctx, row, mapped.values, mapped.lookup);
      crashAfter(row);
    })();
    for (const k of identities) tails.set(k, work);
    all.push(work);
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => {});
    // A failed row is reported below, after every row started has settled.
    if (inFlight.size >= ROW_CONCURRENCY) await Promise.race([...inFlight].map((p) => p.catch(() => undefined)));
  }
  // Every row must have finished (or the chunk fails as a whole and runs again).
  const settled = await Promise.allSettled(all);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return results;
}

function countsAfter(counts: ImportCounts, results: RowResult[]): ImportCounts {
  const next = { ...counts, read: counts.read + results.length };
  for (const { outcome } of results) next[outcome.kind] += 1;
  return next;
}

/** The rejected rows of all chunks as one CSV: row, reason, then the original columns. */
async function assembleRejected(job: ImportJob): Promise<string | undefined> {
  if (job.rejectedParts.length === 0) return undefined;
  const parts: string[] = [csvLine(['row', 'reason', ...(job.headers ?? [])])];
  for (const part of [...job.rejectedParts].sort((a, b) => a - b)) parts.push(await readText(rejectedPartKey(job.id, part)));
  const key = rejectedKey(job.id);
  await writeText(key, parts.join(''));
  return key;
}

export type StepOutcome = 'checked' | 'advanced' | 'finished' | 'skipped' | 'retrying' | 'failed';

async function fail(job: ImportJob, step: number, error: string, now: Date): Promise<StepOutcome> {
  const at = now.toISOString();
  await updateJob(job.id, { step }, { state: 'failed', error, updatedAt: at, completedAt: at, expiresAt: Math.floor(now.getTime() / 1000) + KEEP_JOB_SECONDS });
  return 'failed';
}

/** Runs step `step` of import `id` (see the module comment). */
export async function runStep(id: string, step: number, now: () => Date = () => new Date()): Promise<StepOutcome> {
  const job = await getJob(id);
  if (!job || job.step !== step || (job.state !== 'queued' && job.state !== 'running')) return 'skipped';
  try {
    if (!job.encodingChecked) {
      const { bytes } = await checkEncoding(await readFrom(job.fileKey, 0), job.encoding);
      const advanced = await updateJob(id, { step }, { state: 'running', encodingChecked: true, bytes, attempts: 0, updatedAt: now().toISOString() });
      return advanced ? 'checked' : 'skipped';
    }
    const at = now().toISOString();
    const finished = async () => {
      const key = await assembleRejected(job);
      const ok = await updateJob(id, { step }, { state: 'succeeded', rejectedKey: key, attempts: 0, updatedAt: at, completedAt: at, expiresAt: Math.floor(now().getTime() / 1000) + KEEP_JOB_SECONDS });
      if (ok) logger().info('import finished', { importId: id, entity: job.entity, ...job.counts });
      return ok ? 'finished' as const : 'skipped' as const;
    };
    if (job.offset >= (job.bytes ?? 0)) return await finished();

    // The marker's own stream record is filtered out of the trigger (IMPORT_STREAM_FILTER).
    const recovering = job.attempts > 0 || job.chunkStartedAt === job.offset;
    if (!recovering && !(await updateJob(id, { step }, { chunkStartedAt: job.offset }, false))) return 'skipped';

    const { records, done } = await readRecords(await readFrom(job.fileKey, job.offset), { delimiter: job.delimiterUsed ?? ',', start: job.offset, max: chunkRows() });
    if (records.length === 0 && done) return await finished();

    const principal = principalOf(job);
    const ctx: RowContext = { importId: id, createdAt: job.createdAt, entity: job.entity, dedupe: job.dedupe, principal, now: now(), recovering, ...(job.listId ? { listId: job.listId } : {}) };
    const results = await runRows(ctx, job, records);
    const rejected = results.filter((r) => r.outcome.kind === 'rejected');
    const firstRow = job.row + 1;
    if (rejected.length) {
      await writeText(rejectedPartKey(id, firstRow), rejected.map((r) => csvLine([r.row, r.outcome.kind === 'rejected' ? r.outcome.reason : '', ...r.cells])).join(''));
    }
    const last = records.at(-1)!;
    const counts = countsAfter(job.counts, results);
    const advanced = await updateJob(id, { step }, {
      state: 'running',
      offset: done ? (job.bytes ?? last.end) : last.end,
      row: job.row + records.length,
      counts,
      rejectedParts: rejected.length && !job.rejectedParts.includes(firstRow) ? [...job.rejectedParts, firstRow] : job.rejectedParts,
      chunkStartedAt: undefined,
      attempts: 0,
      updatedAt: now().toISOString(),
    });
    if (!advanced) return 'skipped';
    logger().info('import chunk', { importId: id, step, rows: records.length, recovering, ...counts });
    return 'advanced';
  } catch (error) {
    if (error instanceof InjectedCrash) throw error;
    if (error instanceof FileProblem) return fail(job, step, error.message, now());
    const attempts = job.attempts + 1;
    logger().warn('import step failed', { importId: id, step, attempts, error: { name: error instanceof Error ? error.name : typeof error } });
    if (attempts >= MAX_ATTEMPTS) return fail(job, step, 'The import stopped after repeated errors; the rows counted so far were imported. Start a new import with the remaining rows', now());
    // Moving `step` on is what re-triggers the same chunk (the checkpoint is unchanged).
    await updateJob(id, { step }, { attempts, chunkStartedAt: undefined, updatedAt: now().toISOString() });
    return 'retrying';
  }
}

/**
 * Stream handler: each record is the import item after a write; the steps run in order. An error
 * reaching the mapping (the table unreachable, a crash) retries the record; a step already done is
 * skipped, a chunk half done is replayed in recovery mode.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<void> {
  for (const record of event.Records) {
    const image = record.dynamodb?.NewImage;
    // The two attributes a step needs, read from the stream's typed image (S: string, N: number text).
    const id = image?.id?.S;
    const step = image?.step?.N === undefined ? Number.NaN : Number(image.step.N);
    if (id === undefined || !Number.isInteger(step)) continue;
    await runStep(id, step);
  }
}
