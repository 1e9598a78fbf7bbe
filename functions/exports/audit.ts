/**
 * Audit entries of on-demand and list exports (and so their `export.*` domain events): who
 * exported what and when. `export.created` is written in the transaction that starts the export,
 * `export.completed` (rows, files and bytes per entity) or `export.failed` in the worker's last
 * step. They live in the export's own partition (`EXP#<id>` / `AUD#…`, keys.exportJob.audit).
 *
 * No personal data: the entities, the format, whether personal data was masked, for a list export
 * the *names* of its filters (never their values: a search term can be a name or an address), and
 * counts. The actor is the export's creator (the worker acts for them).
 */
import { auditItem, type FieldChange, NO_CUSTOMER } from '../audit/audit';
import { keys } from '../data/keys';
import type { ExportJob } from './repository';

export function exportAudit(job: ExportJob, action: 'created' | 'completed' | 'failed', now: Date): Record<string, unknown> {
  const changes: FieldChange[] = [];
  if (action === 'created') {
    changes.push({ field: 'entities', to: job.entities }, { field: 'format', to: job.format }, { field: 'masked', to: job.masked });
    if (job.list) {
      const source = job.list.source;
      const filters = [...Object.keys(source?.equals ?? {}), ...Object.keys(source?.contains ?? {}), ...(source?.sort ? ['sort'] : [])];
      changes.push({ field: 'list', to: { filters: [...new Set(filters)].sort(), empty: !source } });
    }
  } else {
    const rows: Record<string, number> = {};
    for (const entity of job.entities) rows[entity] = 0;
    for (const file of job.files) rows[file.entity] = (rows[file.entity] ?? 0) + file.rows;
    changes.push(
      { field: 'rows', to: rows },
      { field: 'files', to: job.files.length },
      { field: 'bytes', to: job.files.reduce((n, f) => n + f.bytes, 0) },
    );
    if (action === 'failed') changes.push({ field: 'state', to: 'failed' });
  }
  const item = auditItem({
    customerId: NO_CUSTOMER,
    entityType: 'export',
    entityId: job.id,
    action,
    // Only the user id is recorded (auditItem reads nothing else of the actor).
    actor: { userId: job.createdBy, role: 'analyst', groups: [] },
    at: now,
    version: job.step + 1,
    changes,
  });
  return { ...item, ...keys.exportJob.audit(job.id, String(item.at), String(item.id)) };
}
