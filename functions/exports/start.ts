/**
 * Starting an export, whichever route asks for it (`POST /v1/exports`, or a list's `export.csv`
 * through list-export.ts): the job item, queued at its first entity with no file written, and its
 * `created` audit entry in one transaction (an Idempotency-Key's marker commits with it too). The
 * item's stream record starts the worker (worker.ts). No S3 here: the list functions bundle it.
 */
import { newId } from '../data/keys';
import { Transaction } from '../data/transaction';
import { exportAudit } from './audit';
import { type ExportJob, storedJob } from './repository';

/** What the route decided: format, entities (in the files' order), masking, creator, list plan. */
export type ExportRequest = Pick<ExportJob, 'format' | 'entities' | 'masked' | 'createdBy' | 'list' | 'bom'>;

export async function queueExport(request: ExportRequest, now: Date): Promise<ExportJob> {
  const at = now.toISOString();
  const job: ExportJob = {
    id: newId('exp'),
    state: 'queued',
    ...request,
    step: 0,
    attempts: 0,
    cursor: { entity: 0, source: 0, part: 1 },
    files: [],
    createdAt: at,
    updatedAt: at,
  };
  await new Transaction()
    .put('export', storedJob(job), { expression: 'attribute_not_exists(pk)' })
    .put('audit', exportAudit(job, 'created', now))
    .commit();
  return job;
}

/** A written file's download link (GET /v1/exports/{id} of a succeeded export). */
export interface ExportFileLink { entity: ExportJob['entities'][number]; part: number; rows: number; bytes: number; url: string; expiresAt: string }

/**
 * The export as `GET /v1/exports/{id}` shows it (the Export schema): its progress per entity and,
 * once it succeeded, `files` — the links, presigned by the caller (service.ts), so this module
 * stays free of S3 for the list functions that answer a new list export with it.
 */
export function exportView(job: ExportJob, files?: ExportFileLink[]) {
  const done = job.state === 'succeeded' ? job.entities.length : Math.min(job.cursor.entity, job.entities.length);
  const entities = job.entities.map((entity, i) => {
    const written = job.files.filter((f) => f.entity === entity);
    return {
      entity,
      state: (i < done ? 'done' : i === job.cursor.entity && job.state === 'running' ? 'running' : 'pending') as 'done' | 'running' | 'pending',
      rows: written.reduce((n, f) => n + f.rows, 0),
      bytes: written.reduce((n, f) => n + f.bytes, 0),
      files: written.length,
    };
  });
  return {
    id: job.id,
    state: job.state,
    format: job.format,
    entities: job.entities,
    masked: job.masked,
    progress: {
      entitiesDone: done,
      entitiesTotal: job.entities.length,
      rows: entities.reduce((n, e) => n + e.rows, 0),
      bytes: entities.reduce((n, e) => n + e.bytes, 0),
      files: job.files.length,
      entities,
    },
    ...(files ? { files } : {}),
    ...(job.error ? { error: job.error } : {}),
    createdAt: job.createdAt,
    createdBy: job.createdBy,
    updatedAt: job.updatedAt,
    ...(job.completedAt ? { completedAt: job.completedAt } : {}),
  };
}
