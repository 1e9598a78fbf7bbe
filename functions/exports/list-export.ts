/**
 * List exports: `GET /v1/customers/export.csv`, `/v1/contacts/export.csv` and `/v1/leads/export.csv`
 * export exactly what the list route shows the caller — its filters, its index choice, its
 * row-level scope (a sales rep exports their own customers) and its masking (personal fields in
 * clear only where the caller may see them) — as CSV, with no row cap.
 *
 * Asynchronous, on the on-demand export machinery (functions/exports/worker.ts): the list route's
 * feature plans the Query as for a page of the list and writes an export job carrying that plan;
 * the answer is `202` with the export (`Location: /v1/exports/{id}`), and the worker writes the
 * rows part by part (5,000 rows per file, each with a header row) into the exports bucket, resumable
 * and never twice. `GET /v1/exports/{id}` then lists presigned download URLs. Synchronous export
 * (303 to a file written within the request) was rejected: API Gateway ends a request after 30 s,
 * which caps the rows, and the list functions would need S3 in their bundles.
 */
import type { IndexQuery } from '../data/query';
import type { OperationResult } from '../http/chain';
import { type Principal, scopeFor } from '../security/principal';
import type { ExportJob } from './repository';
import { exportView, queueExport } from './start';

export type ListExportEntity = 'customers' | 'contacts' | 'leads';

/** A list's Query plan as the list services return it ('empty': nothing the caller may see). */
export interface ListPlan {
  index: IndexQuery['index'];
  partition: string;
  sortPrefix?: string;
  filters: Record<string, string>;
  tag?: string;
}

/** Starts the export of a list; answers 202 with the queued export and its Location. */
export async function startListExport(principal: Principal, entity: ListExportEntity, plan: ListPlan | 'empty', options: { bom?: 'true' | 'false' }, now: Date): Promise<OperationResult> {
  const pii = scopeFor(principal, 'pii:read') ?? 'none';
  const source: IndexQuery | undefined = plan === 'empty' ? undefined : {
    index: plan.index,
    partition: plan.partition,
    ...(plan.sortPrefix ? { sort: { prefix: plan.sortPrefix } } : {}),
    ...(Object.keys(plan.filters).length > 0 ? { equals: plan.filters } : {}),
    ...(plan.tag ? { contains: { tags: plan.tag } } : {}),
  };
  const job = await queueExport({
    format: 'csv',
    entities: [entity],
    masked: pii !== 'all',
    createdBy: principal.userId,
    list: { ...(source ? { source } : {}), pii },
    ...(options.bom === 'true' ? { bom: true } : {}),
  }, now);
  return { status: 202, body: exportView(job), headers: { location: `/v1/exports/${job.id}` } };
}

/** Whether a row of a list export is masked: as the list route masks it for its creator. */
export function rowMasked(spec: ExportJob['list'], createdBy: string, ownerId: unknown): boolean | undefined {
  if (!spec) return undefined;
  return !(spec.pii === 'all' || (spec.pii === 'own' && ownerId === createdBy));
}
