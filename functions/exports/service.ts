/**
 * On-demand exports: start one, read its progress and files, list your own. The work itself is
 * done by the export worker (functions/exports/worker.ts), which the export item's stream record
 * starts; this module only writes that item and reads it back.
 */
import { decodeCursor, encodeCursor } from '../data/cursor';
import { NotFound } from '../http/problem';
import type { Scope } from '../security/permissions';
import { canAccess, type Principal } from '../security/principal';
import { EXPORT_ENTITIES, type ExportEntity } from '../../schemas/exports';
import { type ExportJob, getJob, queryJobsOf } from './repository';
import { exportView, queueExport } from './start';
import { PRESIGN_SECONDS, presignGet } from './storage';

export const DEFAULT_LIMIT = 25;

export async function startExport(principal: Principal, body: { entities: ExportEntity[]; format?: 'csv' | 'parquet' }, now: Date) {
  const format = body.format ?? 'csv';
  // Entities in a fixed order, whatever the order asked: the files and progress read the same way.
  const entities = EXPORT_ENTITIES.filter((e) => body.entities.includes(e));
  const job = await queueExport({
    format,
    entities,
    // The same rule as every API answer: personal data in clear only with pii:read on every record.
    masked: !canAccess(principal, 'pii:read', undefined),
    createdBy: principal.userId,
  }, now);
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

/** The export with its files' download URLs once it succeeded (presigned now, for PRESIGN_SECONDS). */
async function toExport(job: ExportJob, now: Date) {
  if (job.state !== 'succeeded') return exportView(job);
  const expiresAt = new Date(now.getTime() + PRESIGN_SECONDS * 1000).toISOString();
  return exportView(job, await Promise.all(job.files.map(async (f) => ({ entity: f.entity, part: f.part, rows: f.rows, bytes: f.bytes, url: await presignGet(f.key), expiresAt }))));
}
