/** Pipelines feature: adapts routes to the service. */
import { createHttpHandler, created, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('pipelines', routes, {
  listPipelines: async ({ query, now }) => ok(await service.listPipelines(query, now)),
  createPipeline: async ({ principal, body, now }) => {
    const pipeline = await service.createPipeline(principal, body, now);
    return created(pipeline, `/v1/pipelines/${pipeline.id}`);
  },
  getPipeline: async ({ params, now }) => ok(await service.getPipeline(params.pipelineId, now)),
  updatePipeline: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updatePipeline(principal, params.pipelineId, body, expectedVersion, now)),
});
