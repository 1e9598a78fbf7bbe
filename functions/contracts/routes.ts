/**
 * Route rows served by the `contracts` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { Contract, ContractCreate, ContractListQuery, ContractPage, ContractPatch, CustomerContractsQuery, Entitlement, EntitlementQuery } from '../../schemas/contracts';

const cus = IdParam('cus');
const ctr = IdParam('ctr');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_CONTRACT = 'only contracts of customers the caller owns; any other answers 404, exactly like an unknown id';
const OWN_CUSTOMER = 'only customers the caller owns; any other customer answers 404';

export const routes = [
  // service contracts (C5): row level follows the customer
  { method: 'POST', path: '/v1/contracts', feature: 'contracts', operation: 'createContract', tag: 'Contracts', summary: 'Create a service contract (409 on a duplicate number or an archived customer)', permission: 'contracts:write', body: ContractCreate, response: { status: 201, schema: Contract }, errors: [409], idempotent: true },
  { method: 'GET', path: '/v1/contracts', feature: 'contracts', operation: 'listContracts', tag: 'Contracts', summary: 'All contracts by end date; filter status', permission: 'contracts:read', scope: 'callers with scope own cannot list every contract (403); they list their customers\' contracts with GET /v1/customers/{id}/contracts', query: ContractListQuery, response: { status: 200, schema: ContractPage } },
  { method: 'GET', path: '/v1/contracts/{id}', feature: 'contracts', operation: 'getContract', tag: 'Contracts', summary: 'Read a contract', permission: 'contracts:read', scope: OWN_CONTRACT, params: ctr, response: { status: 200, schema: Contract }, errors: [404] },
  { method: 'PATCH', path: '/v1/contracts/{id}', feature: 'contracts', operation: 'updateContract', tag: 'Contracts', summary: 'Change a contract or move its status (illegal moves answer 409)', permission: 'contracts:write', params: ctr, body: ContractPatch, response: { status: 200, schema: Contract }, errors: [404, 409, 412], conditional: true },
  { method: 'GET', path: '/v1/customers/{id}/contracts', feature: 'contracts', operation: 'listCustomerContracts', tag: 'Contracts', summary: 'A customer\'s contracts, newest start first', permission: 'contracts:read', scope: OWN_CUSTOMER, params: cus, query: CustomerContractsQuery, response: { status: 200, schema: ContractPage }, errors: [404] },
  { method: 'GET', path: '/v1/customers/{id}/entitlements', feature: 'contracts', operation: 'customerEntitlement', tag: 'Contracts', summary: 'What covers service today: an active contract (for the asset), else the asset\'s warranty', permission: 'contracts:read', scope: OWN_CUSTOMER, params: cus, query: EntitlementQuery, response: { status: 200, schema: Entitlement }, errors: [404] },
] as const satisfies readonly RouteDef[];
