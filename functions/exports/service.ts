/**
 * On-demand exports: start one, read its progress and files, list your own. The work itself is
 * done by the export worker (functions/exports/worker.ts), which the export item's stream record
 * starts; this module only writes that item and reads it back.
 */
import { decodeCursor, encodeCursor } from '../data/cursor';
import { newId } from '../data/keys';
import { Transaction } from '../data/transaction';
import { NotFound } from '../http/problem';
import type { Scope } from '../security/permissions';
import { canAccess, type Principal } from '../security/principal';
import { EXPORT_ENTITIES, type ExportEntity } from '../../schemas/exports';
import { exportAudit } from './audit';
import { type ExportJob, getJob, queryJobsOf, storedJob } from './repository';
import { PRESIGN_SECONDS, presignGet } from './storage';

export const DEFAULT_LIMIT = 25;

export async function startExport(principal: Principal, body: { entities: ExportEntity[]; format?: 'csv' | 'parquet' }, now: Date) {
  const format = body.format ?? 'csv';
  const at = now.toISOString();
  // Entities in a fixed order, whatever the order asked: the files and progress read the same way.
  const entities = EXPORT_ENTITIES.filter((e) => body.entities.includes(e));
  const job: ExportJob = {
    id: newId('exp'),
    state: 'queued',
    format,
    entities,
    // The same rule as every API answer: personal data in clear only with pii:read on every record.
    masked: !canAccess(principal, 'pii:read', undefined),
    createdBy: principal.userId,
    step: 0,
    attempts: 0,
    cursor: { entity: 0, source: 0, part: 1 },
    files: [],
    createdAt: at,
    updatedAt: at,
  };
  // One transaction with its audit entry (an Idempotency-Key's marker commits with it too).
  await new Transaction()
    .put('export', storedJob(job), { expression: 'attribute_not_exists(pk)' })
    .put('audit', exportAudit(job, 'created', now))
    .commit();
  return toExport(job, now);
}

/** Admins read any export; analysts (scope own) only their own — any other answers 404. */
export async function getExport(principal: Principal, id: string, now: Date) {
  const job = await getJob(id);
  if (!job || !canAccess(principal, 'exports:read', job.createdBy)) throw NotFound('No such export');
  return toExport(job, now);
}

/** The caller's own exports, newest first: one Query per page. */
export async function listExports(principal: Principal, _scope: Scope, query: { limit?: number; cursor?: string }) {
  const fingerprint = `exports:${principal.userId}`;
  const page = await queryJobsOf(principal.userId, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return {
    items: page.items.map((job) => ({
      id: job.id, state: job.state, format: job.format, entities: job.entities,
      rows: job.files.reduce((n, f) => n + f.rows, 0),
      bytes: job.files.reduce((n, f) => n + f.bytes, 0),
      createdAt: job.createdAt,
      ...(job.completedAt ? { completedAt: job.completedAt } : {}),
    })),
    nextCursor: await encodeCursor(page.lastKey, fingerprint),
  };
}

async function toExport(job: ExportJob, now: Date) {
  const done = job.state === 'succeeded' ? job.entities.length : Math.min(job.cursor.entity, job.entities.length);
  const entities = job.entities.map((entity, i) => {
    const files = job.files.filter((f) => f.entity === entity);
    return {
      entity,
      state: (i < done ? 'done' : i === job.cursor.entity && job.state === 'running' ? 'running' : 'pending') as 'done' | 'running' | 'pending',
      rows: files.reduce((n, f) => n + f.rows, 0),
      bytes: files.reduce((n, f) => n + f.bytes, 0),
      files: files.length,
    };
  });
  const expiresAt = new Date(now.getTime() + PRESIGN_SECONDS * 1000).toISOString();
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
    ...(job.state === 'succeeded'
      ? { files: await Promise.all(job.files.map(async (f) => ({ entity: f.entity, part: f.part, rows: f.rows, bytes: f.bytes, url: await presignGet(f.key), expiresAt }))) }
      : {}),
    ...(job.error ? { error: job.error } : {}),
    createdAt: job.createdAt,
    createdBy: job.createdBy,
    updatedAt: job.updatedAt,
    ...(job.completedAt ? { completedAt: job.completedAt } : {}),
  };
}
