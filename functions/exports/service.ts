/**
 * On-demand exports: start one, read its progress and files, list your own. The work itself is
 * done by the export worker (functions/exports/worker.ts), which the export item's stream record
 * starts; this module only writes that item and reads it back.
 */
import { decodeCursor, encodeCursor } from '../data/cursor';
import { Forbidden, NotFound } from '../http/problem';
import { PERMISSIONS, type Scope } from '../security/permissions';
import { canAccess, type Principal, scopeFor } from '../security/principal';
import { EXPORT_ENTITIES, type ExportEntity } from '../../schemas/exports';
import { type ExportJob, getJob, queryJobsOf } from './repository';
import { ENTITY_PLANS } from './plans';
import { exportView, queueExport } from './start';
import { PRESIGN_SECONDS, presignGet } from './storage';

export const DEFAULT_LIMIT = 25;

/**
 * An export holds every record of each entity, so it needs what listing them all through the API
 * needs: the read permission of the entity's list route (ENTITY_PLANS `read`) with scope `all`.
 * Without it (a role or an API key's scopes lacking it) or with scope `own` (the export is not
 * filtered by owner), 403 naming the entity, before anything is written.
 */
export function assertExportable(principal: Principal, entities: readonly ExportEntity[]): void {
  for (const entity of entities) {
    const action = ENTITY_PLANS[entity].read;
    const scope = scopeFor(principal, action);
    if (scope === 'all') continue;
    if (scope === 'own') {
      throw Forbidden(`An export holds every record of ${entity}; your role (${principal.role}) reads only its own (${action} scope own)`);
    }
    if (principal.scopes && PERMISSIONS[principal.role][action]) {
      throw Forbidden(`This API key's scopes do not include ${action}, so it may not export ${entity}`);
    }
    throw Forbidden(`Your role (${principal.role}) lacks ${action}, so it may not export ${entity}`);
  }
}

export async function startExport(principal: Principal, body: { entities: ExportEntity[]; format?: 'csv' | 'parquet' }, now: Date) {
  const format = body.format ?? 'csv';
  // Entities in a fixed order, whatever the order asked: the files and progress read the same way.
  const entities = EXPORT_ENTITIES.filter((e) => body.entities.includes(e));
  assertExportable(principal, entities);
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
