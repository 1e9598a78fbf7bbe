/** Deals feature (deals, stage moves and history, the pipeline board): adapts routes to the service. */
import { createHttpHandler, created, noContent, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('deals', routes, {
  createDeal: async ({ principal, scope, body, now }) => {
    const deal = await service.createDeal(principal, scope, body, now);
    return created(deal, `/v1/deals/${deal.id}`);
  },
  listDeals: async ({ principal, scope, query }) => ok(await service.listDeals(principal, scope, query)),
  getDeal: async ({ principal, params }) => ok(await service.getDeal(principal, params.id)),
  updateDeal: async ({ principal, scope, params, body, expectedVersion, now }) => ok(await service.updateDeal(principal, scope, params.id, body, expectedVersion, now)),
  deleteDeal: async ({ principal, params, expectedVersion, now }) => {
    await service.deleteDeal(principal, params.id, expectedVersion, now);
    return noContent();
  },
  moveDealStage: async ({ principal, params, body, expectedVersion, now }) => ok(await service.moveStage(principal, params.id, body.stageId, expectedVersion, now)),
  winDeal: async ({ principal, params, body, now }) => ok(await service.closeDeal(principal, params.id, 'won', body.reason, now)),
  loseDeal: async ({ principal, params, body, now }) => ok(await service.closeDeal(principal, params.id, 'lost', body.reason, now)),
  dealHistory: async ({ principal, params, now }) => ok(await service.dealHistory(principal, params.id, now)),
  pipelineBoard: async ({ principal, scope, params, query }) => ok(await service.board(principal, scope, params.pipelineId, query)),
});
