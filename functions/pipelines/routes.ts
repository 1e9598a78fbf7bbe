/**
 * Route rows served by the `pipelines` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { Pipeline, PipelineCreate, PipelineListQuery, PipelinePage, PipelinePatch } from '../../schemas/pipelines';

const pipelineIdParam = IdParam('pip', 'pipelineId');

export const routes = [
  // pipelines and their stages (C4)
  { method: 'GET', path: '/v1/pipelines', feature: 'pipelines', operation: 'listPipelines', tag: 'Pipelines', summary: 'List pipelines with their stages (the default pipeline is created on first read)', permission: 'pipelines:read', query: PipelineListQuery, response: { status: 200, schema: PipelinePage } },
  { method: 'POST', path: '/v1/pipelines', feature: 'pipelines', operation: 'createPipeline', tag: 'Pipelines', summary: 'Define a pipeline and its ordered stages', permission: 'pipelines:write', body: PipelineCreate, response: { status: 201, schema: Pipeline }, errors: [422], idempotent: true },
  { method: 'GET', path: '/v1/pipelines/{pipelineId}', feature: 'pipelines', operation: 'getPipeline', tag: 'Pipelines', summary: 'Read a pipeline', permission: 'pipelines:read', params: pipelineIdParam, response: { status: 200, schema: Pipeline }, errors: [404] },
  { method: 'PATCH', path: '/v1/pipelines/{pipelineId}', feature: 'pipelines', operation: 'updatePipeline', tag: 'Pipelines', summary: 'Rename; add, rename, reorder or retire stages (stages are never removed)', permission: 'pipelines:write', params: pipelineIdParam, body: PipelinePatch, response: { status: 200, schema: Pipeline }, errors: [404, 409, 412, 422], conditional: true },
] as const satisfies readonly RouteDef[];
