/**
 * Pipelines and their stages (pure). Won and lost are deal *statuses*, not stages: every stage of a
 * pipeline is an open stage with a win probability, and POST /v1/deals/{id}/won|lost closes a deal
 * wherever it stands. So a pipeline needs no special won/lost stages and cannot be misconfigured.
 */
export interface Stage {
  id: string;
  name: string;
  /** Win probability 0–100 a deal gets when it enters the stage (unless overridden on the deal). */
  probability: number;
  /** Retired stages keep their deals readable; no deal may move into them any more. */
  retiredAt?: string;
}

export interface PipelineItem {
  id: string;
  name: string;
  currency?: string;
  stages: Stage[];
  isDefault?: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

/**
 * The default pipeline has fixed ids so that concurrent first starts create the same item (one
 * conditional Put wins, the others read it back).
 */
export const DEFAULT_PIPELINE_ID = 'pip_00000000000000000000000000';

export function defaultPipeline(now: Date): PipelineItem {
  const at = now.toISOString();
  const stage = (n: number, name: string, probability: number): Stage => ({ id: `stg_${String(n).padStart(26, '0')}`, name, probability });
  return {
    id: DEFAULT_PIPELINE_ID,
    name: 'Sales',
    isDefault: true,
    stages: [stage(1, 'Qualification', 10), stage(2, 'Needs analysis', 25), stage(3, 'Proposal', 50), stage(4, 'Negotiation', 75)],
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: 'system',
    updatedBy: 'system',
  };
}

export const activeStages = (p: PipelineItem) => p.stages.filter((s) => !s.retiredAt);
export const findStage = (p: PipelineItem, stageId: string) => p.stages.find((s) => s.id === stageId);

/** The stage before `stageId` in the pipeline's order (retired stages included), for funnel counts. */
export function previousStageId(p: PipelineItem, stageId: string): string | undefined {
  const i = p.stages.findIndex((s) => s.id === stageId);
  return i > 0 ? p.stages[i - 1]!.id : undefined;
}

export function toPipeline(p: PipelineItem) {
  return {
    id: p.id,
    name: p.name,
    ...(p.currency ? { currency: p.currency } : {}),
    isDefault: p.isDefault === true,
    stages: p.stages.map((s, i) => ({ id: s.id, name: s.name, probability: s.probability, position: i, retired: !!s.retiredAt, ...(s.retiredAt ? { retiredAt: s.retiredAt } : {}) })),
    version: p.version,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    createdBy: p.createdBy,
    updatedBy: p.updatedBy,
  };
}
