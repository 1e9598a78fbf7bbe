/**
 * CSV imports: create one (with a presigned upload URL), preview its first rows, start it, and
 * follow its progress. The rows are written by the import worker (functions/imports/worker.ts),
 * which the import item's stream record starts; this module only writes that item and reads the
 * head of the uploaded file.
 */
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { Transaction } from '../data/transaction';
import { BadRequest, Conflict, Forbidden, NotFound, Unprocessable } from '../http/problem';
import type { Action } from '../security/permissions';
import { canAccess, scopeFor, type Principal } from '../security/principal';
import type { Infer } from '../../schemas/once';
import type { ImportCreate, ImportEntity, ImportListQuery, ImportPreviewInput } from '../../schemas/imports';
import { decodeField, detectDelimiter, FileProblem, hasUtf8Bom, recordsOfHead, type Delimiter, type RawRecord } from './csv';
import { mapRow, targetProblem, validateCreate } from './mapping';
import { getJob, type ImportJob, queryJobs, recordExists, storedJob, updateJob } from './repository';
import { IMPORT_FILES_DAYS, objectSize, presignDownload, presignUpload, PRESIGN_SECONDS, readFrom, uploadKey } from './storage';

/** Bytes of the file's head read for the header and a preview. */
export const HEAD_BYTES = 256 * 1024;
export const DEFAULT_PREVIEW_ROWS = 10;

/** What the importer must hold to write the entity's rows (and, with dedupe update, to change records). */
const WRITE_ACTIONS: Record<ImportEntity, { create: Action; update: Action }> = {
  customers: { create: 'customers:create', update: 'customers:update' },
  contacts: { create: 'contacts:write', update: 'contacts:write' },
  leads: { create: 'leads:write', update: 'leads:write' },
  products: { create: 'products:write', update: 'products:write' },
  'list-members': { create: 'marketing:write', update: 'marketing:write' },
};

export const DEFAULT_LIST_LIMIT = 25;

export async function createImport(principal: Principal, body: Infer<typeof ImportCreate>, now: Date) {
  const dedupe = body.dedupe ?? 'skip';
  const needs = [WRITE_ACTIONS[body.entity].create, ...(dedupe === 'update' ? [WRITE_ACTIONS[body.entity].update] : [])];
  for (const action of needs) {
    if (!scopeFor(principal, action)) throw Forbidden(`Importing ${body.entity}${dedupe === 'update' ? ' with dedupe update' : ''} needs ${action}, which your role does not have`);
  }
  const errors = Object.entries(body.mapping).flatMap(([header, target]) => {
    const problem = targetProblem(body.entity, target);
    return problem ? [{ path: `mapping.${header}`, message: problem }] : [];
  });
  if (errors.length) throw BadRequest('Some mapped fields do not exist', errors);
  if (body.entity === 'list-members') {
    // A member is there or not: nothing to update, and adding twice changes nothing.
    if (dedupe !== 'skip') throw BadRequest('Some body fields are not valid', [{ path: 'dedupe', message: 'list-members imports only skip contacts already on the list (dedupe skip)' }]);
    if (!body.listId || !(await recordExists(keys.mailingList.primary(body.listId)))) throw BadRequest('Some body fields are not valid', [{ path: 'listId', message: 'No such list' }]);
  }
  const at = now.toISOString();
  const id = newId('imp');
  const job: ImportJob = {
    id,
    entity: body.entity,
    ...(body.listId ? { listId: body.listId } : {}),
    state: 'awaiting-upload',
    dedupe,
    encoding: body.encoding ?? 'utf-8',
    delimiter: body.delimiter ?? 'auto',
    mapping: body.mapping,
    importer: {
      userId: principal.userId,
      role: principal.role,
      ...(principal.email ? { email: principal.email } : {}),
      ...(principal.apiKeyId ? { apiKeyId: principal.apiKeyId } : {}),
      ...(principal.scopes ? { scopes: principal.scopes } : {}),
    },
    createdBy: principal.userId,
    fileKey: uploadKey(id),
    step: 0,
    attempts: 0,
    offset: 0,
    row: 1,
    counts: { read: 0, created: 0, updated: 0, skipped: 0, rejected: 0 },
    rejectedParts: [],
    createdAt: at,
    updatedAt: at,
    // An import never started is forgotten after the files' lifetime.
    expiresAt: Math.floor(now.getTime() / 1000) + IMPORT_FILES_DAYS * 24 * 3600,
  };
  // A transaction (of one item) so an Idempotency-Key's marker commits with it.
  await new Transaction().put('import', storedJob(job), { expression: 'attribute_not_exists(pk)' }).commit();
  return toImport(job, now);
}

async function loadVisible(principal: Principal, id: string): Promise<ImportJob> {
  const job = await getJob(id);
  if (!job || !canAccess(principal, 'imports:manage', job.createdBy)) throw NotFound('No such import');
  return job;
}

export async function getImport(principal: Principal, id: string, now: Date) {
  return toImport(await loadVisible(principal, id), now);
}

/**
 * The caller's imports, newest first — every import for a role with scope `all` (admins). One
 * Query per page; the cursor is bound to the scope and the caller.
 */
export async function listImports(principal: Principal, query: Infer<typeof ImportListQuery>, now: Date) {
  const creator = scopeFor(principal, 'imports:manage') === 'all' ? undefined : principal.userId;
  const fingerprint = JSON.stringify(['imports', creator ?? '*', principal.userId]);
  const page = await queryJobs(creator, query.limit ?? DEFAULT_LIST_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return {
    items: await Promise.all(page.items.map((job) => toImport(job, now, false))),
    nextCursor: await encodeCursor(page.lastKey, fingerprint),
  };
}

interface Head { headers: string[]; delimiter: Delimiter; records: RawRecord[]; dataOffset: number }

/** The uploaded file's header and first records (409 before the upload, 422 for a file that cannot be read). */
async function readHead(job: ImportJob, rows: number): Promise<Head> {
  const size = await objectSize(job.fileKey);
  if (size === undefined) throw Conflict('Upload the CSV file first: PUT it to the upload URL of POST /v1/imports');
  if (size === 0) throw Unprocessable('The uploaded file is empty');
  const stream = await readFrom(job.fileKey, 0, Math.min(size, HEAD_BYTES) - 1);
  const chunks: Buffer[] = [];
  for await (const piece of stream) chunks.push(Buffer.from(piece));
  const head = Buffer.concat(chunks);
  const delimiter = job.delimiter === 'auto' ? detectDelimiter(head.subarray(hasUtf8Bom(head) ? 3 : 0)) : job.delimiter;
  try {
    const records = await recordsOfHead(head, delimiter, rows + 1, size <= HEAD_BYTES);
    const [header, ...data] = records;
    if (!header) throw Unprocessable(`The file has no complete header line within its first ${HEAD_BYTES} bytes`);
    const headers = header.fields.map((bytes, i) => decodeField(bytes, job.encoding, `The header (column ${i + 1})`).trim());
    const empty = headers.findIndex((h) => h === '');
    if (empty >= 0) throw Unprocessable(`Column ${empty + 1} of the header has no name`);
    const twice = headers.find((h, i) => headers.indexOf(h) !== i);
    if (twice) throw Unprocessable(`The header names column "${twice}" twice`);
    return { headers, delimiter, records: data, dataOffset: header.end };
  } catch (error) {
    if (error instanceof FileProblem) throw Unprocessable(error.message);
    throw error;
  }
}

function mappingProblems(job: ImportJob, headers: string[]) {
  return Object.keys(job.mapping).filter((h) => !headers.includes(h));
}

/** The first rows as the import would read them: mapped values and the create schema's errors. Writes nothing. */
export async function previewImport(principal: Principal, id: string, body: Infer<typeof ImportPreviewInput>) {
  const job = await loadVisible(principal, id);
  const head = await readHead(job, body.rows ?? DEFAULT_PREVIEW_ROWS);
  const rows = head.records.slice(0, body.rows ?? DEFAULT_PREVIEW_ROWS).map((record, i) => {
    const row = i + 2;
    const cells = record.fields.map((bytes, column) => {
      try {
        return decodeField(bytes, job.encoding, `Row ${row}, column ${column + 1}`);
      } catch (error) {
        if (error instanceof FileProblem) throw Unprocessable(error.message);
        throw error;
      }
    });
    if (cells.length !== head.headers.length) {
      return { row, values: {}, errors: [{ path: '(row)', message: `ragged row: ${cells.length} fields where the header has ${head.headers.length}` }] };
    }
    const mapped = mapRow(job.entity, head.headers, job.mapping, cells);
    const checked = validateCreate(job.entity, mapped.values);
    const values = checked.ok ? checked.body : mapped.values;
    return { row, values: { ...values, ...mapped.lookup }, errors: [...mapped.errors, ...(checked.ok ? [] : checked.errors)] };
  });
  return {
    headers: head.headers,
    delimiter: head.delimiter,
    unmappedHeaders: head.headers.filter((h) => !(h in job.mapping)),
    missingHeaders: mappingProblems(job, head.headers),
    rows,
  };
}

/**
 * Starts the import after the upload: reads the header (every mapped header must be in it: 422
 * otherwise), then queues the job — the stream record of that update starts the worker. Starting a
 * started import answers it as it is.
 */
export async function startImport(principal: Principal, id: string, now: Date) {
  const job = await loadVisible(principal, id);
  if (job.state !== 'awaiting-upload') return toImport(job, now);
  const head = await readHead(job, 0);
  const missing = mappingProblems(job, head.headers);
  if (missing.length) {
    throw Unprocessable(`The file has no column ${missing.map((h) => `"${h}"`).join(', ')}; its header is ${head.headers.map((h) => `"${h}"`).join(', ')}`);
  }
  const at = now.toISOString();
  const changes: Partial<ImportJob> = { state: 'queued', headers: head.headers, delimiterUsed: head.delimiter, offset: head.dataOffset, startedAt: at, updatedAt: at };
  if (!(await updateJob(id, { state: 'awaiting-upload' }, changes, false))) return toImport(await loadVisible(principal, id), now);
  return toImport({ ...job, ...changes }, now);
}

const UPLOAD_METHOD: 'PUT' = 'PUT';

/** The import as the API shows it; `links`: with its presigned upload or rejected-rows URL (not in lists). */
async function toImport(job: ImportJob, now: Date, links = true) {
  const expiresAt = new Date(now.getTime() + PRESIGN_SECONDS * 1000).toISOString();
  return {
    id: job.id,
    entity: job.entity,
    ...(job.listId ? { listId: job.listId } : {}),
    state: job.state,
    dedupe: job.dedupe,
    encoding: job.encoding,
    delimiter: job.delimiter,
    mapping: job.mapping,
    counts: job.counts,
    ...(links && job.state === 'awaiting-upload' ? { upload: { url: await presignUpload(job.id), method: UPLOAD_METHOD, expiresAt } } : {}),
    ...(links && job.state === 'succeeded' && job.rejectedKey ? { rejectedRows: { url: await presignDownload(job.rejectedKey), rows: job.counts.rejected, expiresAt } } : {}),
    ...(job.error ? { error: job.error } : {}),
    createdAt: job.createdAt,
    createdBy: job.createdBy,
    updatedAt: job.updatedAt,
    ...(job.startedAt ? { startedAt: job.startedAt } : {}),
    ...(job.completedAt ? { completedAt: job.completedAt } : {}),
  };
}

