/** Commissions feature: plans and statements. */
import { createHttpHandler, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('commissions', routes, {
  putCommissionPlan: async ({ principal, params, body, expectedVersion, now }) => ok(await service.putPlan(principal, params.planId, body, expectedVersion, now)),
  listCommissionPlans: async ({ principal, scope, query }) => ok(await service.listPlans(principal, scope, query)),
  getCommissionPlan: async ({ principal, scope, params }) => ok(await service.getPlan(principal, scope, params.planId)),
  commissionStatement: async ({ principal, scope, query }) => ok(await service.statement(principal, scope, query)),
});
