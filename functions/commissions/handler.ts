/** Commissions feature: plans and statements. */
import { createHttpHandler, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('commissions', routes, {
  putCommissionPlan: async ({ principal, params, body, expectedVersion, now }) => ok(await service.putPlan(principal, params.planId!, body, expectedVersion, now)),
  listCommissionPlans: async ({ query }) => ok(await service.listPlans(query)),
  getCommissionPlan: async ({ params }) => ok(await service.getPlan(params.planId!)),
  commissionStatement: async ({ principal, scope, query }) => ok(await service.statement(principal, scope, query)),
});
