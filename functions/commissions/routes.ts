/**
 * Route rows served by the `commissions` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { CommissionPlan, CommissionPlanInput, CommissionPlanListQuery, CommissionPlanPage, CommissionStatement, PlanIdParam, StatementQuery } from '../../schemas/commissions';

export const routes = [
  // commissions (C4)
  { method: 'PUT', path: '/v1/commissions/plans/{planId}', feature: 'commissions', operation: 'putCommissionPlan', tag: 'Commissions', summary: 'Create or replace a commission plan and assign users to it', permission: 'commissions:write', params: PlanIdParam, body: CommissionPlanInput, response: { status: 200, schema: CommissionPlan }, errors: [409, 412], conditional: true },
  { method: 'GET', path: '/v1/commissions/plans', feature: 'commissions', operation: 'listCommissionPlans', tag: 'Commissions', summary: 'List commission plans', permission: 'commissions:read', scope: 'lists only the plan the caller is on (at most one item, never a cursor)', query: CommissionPlanListQuery, response: { status: 200, schema: CommissionPlanPage } },
  { method: 'GET', path: '/v1/commissions/plans/{planId}', feature: 'commissions', operation: 'getCommissionPlan', tag: 'Commissions', summary: 'Read a commission plan', permission: 'commissions:read', scope: 'only the plan the caller is on; any other answers 404, exactly like an unknown id', params: PlanIdParam, response: { status: 200, schema: CommissionPlan }, errors: [404] },
  { method: 'GET', path: '/v1/commissions/statements', feature: 'commissions', operation: 'commissionStatement', tag: 'Commissions', summary: 'Commission statement of a user for a quarter or month (sales: your own)', permission: 'commissions:read', scope: 'only the caller\'s own statement; a `userId` naming someone else answers 403', query: StatementQuery, response: { status: 200, schema: CommissionStatement }, errors: [404] },
] as const satisfies readonly RouteDef[];
