/** Pipelines: define, rename, reorder and retire stages. The default pipeline appears on first read. */
import { auditItem, diff } from '../audit/audit';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { Conflict, NotFound, PreconditionFailed, Unprocessable } from '../http/problem';
import type { Principal } from '../security/principal';
import { DEFAULT_PIPELINE_ID, type PipelineItem, type Stage, toPipeline } from './model';
import * as repo from './repository';
import type { Infer } from '../../schemas/once';
import type { PipelineCreate, PipelineListQuery, PipelinePatch, StageInput as StageInputSchema } from '../../schemas/pipelines';

const DEFAULT_LIMIT = 25;
const FIELDS = ['name', 'currency', 'stages'] as const;
type StageInput = Infer<typeof StageInputSchema>;

/** The audit/outbox entry of a pipeline change lives in the pipeline's partition and names no customer. */
function pipelineAudit(principal: Principal, before: PipelineItem | undefined, after: PipelineItem, now: Date) {
  const changes = diff(before, after, FIELDS, []);
  const base = auditItem({ customerId: '-', entityType: 'pipeline', entityId: after.id, action: before ? 'updated' : 'created', actor: principal, at: now, version: after.version, changes });
  return { ...base, ...keys.pipeline.audit(after.id, base.at as string, base.id as string) };
}

/** Builds the ordered stage list: known ids keep theirs, new stages get `stg_…`; none may be dropped. */
export function applyStages(current: Stage[], input: StageInput[], at: string): Stage[] {
  const byId = new Map(current.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const stages = input.map((s, i) => {
    if (s.id !== undefined) {
      const old = byId.get(s.id);
      if (!old) throw Unprocessable(`stages[${i}]: no stage ${s.id} in this pipeline`);
      if (seen.has(s.id)) throw Unprocessable(`stages[${i}]: stage ${s.id} is listed twice`);
      seen.add(s.id);
      const retiredAt = s.retired === undefined ? old.retiredAt : s.retired ? (old.retiredAt ?? at) : undefined;
      return { id: old.id, name: s.name, probability: s.probability, ...(retiredAt ? { retiredAt } : {}) };
    }
    return { id: newId('stg'), name: s.name, probability: s.probability, ...(s.retired ? { retiredAt: at } : {}) };
  });
  const dropped = current.filter((s) => !seen.has(s.id));
  if (dropped.length) throw Unprocessable(`Stages cannot be removed, only retired: ${dropped.map((s) => s.id).join(', ')} missing`);
  if (!stages.some((s) => !s.retiredAt)) throw Unprocessable('A pipeline needs at least one active stage');
  return stages;
}

/** Ensures the default pipeline (GetItem, a conditional Put the very first time), then one Query per page. */
export async function listPipelines(query: Infer<typeof PipelineListQuery>, now: Date) {
  const fingerprint = 'pipelines';
  const startKey = await decodeCursor(query.cursor, fingerprint);
  if (!startKey) await repo.ensureDefaultPipeline(now);
  const page = await repo.queryPipelines(query.limit ?? DEFAULT_LIMIT, startKey);
  return { items: page.items.map(toPipeline), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

export async function getPipeline(id: string, now: Date) {
  const item = id === DEFAULT_PIPELINE_ID ? await repo.ensureDefaultPipeline(now) : await repo.getPipeline(id);
  if (!item) throw NotFound('No such pipeline');
  return toPipeline(item);
}

export async function createPipeline(principal: Principal, body: Infer<typeof PipelineCreate>, now: Date) {
  const at = now.toISOString();
  const item: PipelineItem = {
    id: newId('pip'),
    name: body.name,
    ...(body.currency ? { currency: body.currency } : {}),
    stages: applyStages([], body.stages, at),
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  await repo.savePipeline(undefined, item, pipelineAudit(principal, undefined, item, now));
  return toPipeline(item);
}

export async function updatePipeline(principal: Principal, id: string, patch: Infer<typeof PipelinePatch>, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = id === DEFAULT_PIPELINE_ID ? await repo.ensureDefaultPipeline(now) : await repo.getPipeline(id);
    if (!current) throw NotFound('No such pipeline');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const next: PipelineItem = { ...current };
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.currency === null) delete next.currency;
    else if (patch.currency !== undefined) next.currency = patch.currency;
    if (patch.stages !== undefined) next.stages = applyStages(current.stages, patch.stages, now.toISOString());
    if (diff(current, next, FIELDS, []).length === 0) return toPipeline(current);
    next.version = current.version + 1;
    next.updatedAt = now.toISOString();
    next.updatedBy = principal.userId;
    try {
      await repo.savePipeline(current, next, pipelineAudit(principal, current, next, now));
      return toPipeline(next);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt < 3) continue;
      throw Conflict('The pipeline is being changed by someone else right now; retry');
    }
  }
}
