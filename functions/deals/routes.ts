/**
 * Route rows served by the `deals` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { BoardQuery, Deal, DealCreate, DealHistory, DealListQuery, DealLost, DealPage, DealPatch, DealWon, StageMove } from '../../schemas/deals';

const dealParam = IdParam('deal');
const pipelineIdParam = IdParam('pip', 'pipelineId');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_DEAL = 'only deals the caller owns (the deal\'s `ownerId`, not the customer\'s); any other answers 404, exactly like an unknown id';

export const routes = [
  // deals, stage moves and history, the board (C4): every deal write updates the forecast/report aggregates in its transaction
  { method: 'GET', path: '/v1/pipelines/{pipelineId}/deals', feature: 'deals', operation: 'pipelineBoard', tag: 'Deals', summary: 'The board: open deals of a pipeline by stage (one stage with ?stage=)', permission: 'deals:read', scope: 'shows only the open deals the caller owns', params: pipelineIdParam, query: BoardQuery, response: { status: 200, schema: DealPage } },
  { method: 'POST', path: '/v1/deals', feature: 'deals', operation: 'createDeal', tag: 'Deals', summary: 'Create a deal on a visible customer (defaults: default pipeline, first stage)', permission: 'deals:write', scope: 'the new deal is owned by the caller (another `ownerId` answers 403), on a customer the caller owns (404 otherwise)', body: DealCreate, response: { status: 201, schema: Deal }, errors: [403, 404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/deals', feature: 'deals', operation: 'listDeals', tag: 'Deals', summary: 'List deals; filters owner, status, pipeline, stage, closing period or from/to', permission: 'deals:read', scope: 'lists only deals the caller owns; an `ownerId` filter naming someone else returns an empty page', query: DealListQuery, response: { status: 200, schema: DealPage } },
  { method: 'GET', path: '/v1/deals/{id}', feature: 'deals', operation: 'getDeal', tag: 'Deals', summary: 'Read a deal', permission: 'deals:read', scope: OWN_DEAL, params: dealParam, response: { status: 200, schema: Deal }, errors: [404] },
  { method: 'PATCH', path: '/v1/deals/{id}', feature: 'deals', operation: 'updateDeal', tag: 'Deals', summary: 'Change an open deal (amount, close date, owner, probability, line items…)', permission: 'deals:write', scope: `${OWN_DEAL}; changing \`ownerId\` to someone else answers 403`, params: dealParam, body: DealPatch, response: { status: 200, schema: Deal }, errors: [403, 404, 409, 412, 422], conditional: true },
  { method: 'DELETE', path: '/v1/deals/{id}', feature: 'deals', operation: 'deleteDeal', tag: 'Deals', summary: 'Delete a deal (its forecast and report contributions are removed); a won or lost deal needs deals:delete-closed (admin)', permission: 'deals:write', scope: OWN_DEAL, params: dealParam, response: { status: 204 }, errors: [403, 404, 412], conditional: true },
  { method: 'POST', path: '/v1/deals/{id}/stage', feature: 'deals', operation: 'moveDealStage', tag: 'Deals', summary: 'Move a deal to a stage (409 for a retired stage or a closed deal; If-Match optional)', permission: 'deals:write', scope: OWN_DEAL, params: dealParam, body: StageMove, response: { status: 200, schema: Deal }, errors: [404, 409, 412, 422], idempotent: true, conditional: true },
  { method: 'POST', path: '/v1/deals/{id}/won', feature: 'deals', operation: 'winDeal', tag: 'Deals', summary: 'Mark a deal won', permission: 'deals:write', scope: OWN_DEAL, params: dealParam, body: DealWon, response: { status: 200, schema: Deal }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/deals/{id}/lost', feature: 'deals', operation: 'loseDeal', tag: 'Deals', summary: 'Mark a deal lost (reason required)', permission: 'deals:write', scope: OWN_DEAL, params: dealParam, body: DealLost, response: { status: 200, schema: Deal }, errors: [404, 409], idempotent: true },
  { method: 'GET', path: '/v1/deals/{id}/history', feature: 'deals', operation: 'dealHistory', tag: 'Deals', summary: 'Stage history: entered/left at and by whom, time in stage', permission: 'deals:read', scope: OWN_DEAL, params: dealParam, response: { status: 200, schema: DealHistory }, errors: [404] },
] as const satisfies readonly RouteDef[];
