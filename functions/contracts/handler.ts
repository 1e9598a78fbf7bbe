/** Contracts feature: service contracts and entitlements. Parameter plumbing only. */
import { createHttpHandler, created, ok } from '../http/chain';
import { customerEntitlement } from './entitlement';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('contracts', routes, {
  createContract: async ({ principal, body, now }) => {
    const contract = await service.createContract(principal, body, now);
    return created(contract, `/v1/contracts/${contract.id}`);
  },
  listContracts: async ({ principal, scope, query, now }) => ok(await service.listContracts(principal, scope, query, now)),
  getContract: async ({ principal, params, now }) => ok(await service.getContract(principal, params.id!, now)),
  updateContract: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updateContract(principal, params.id!, body, expectedVersion, now)),
  listCustomerContracts: async ({ principal, params, query, now }) => ok(await service.listCustomerContracts(principal, params.id!, query, now)),
  customerEntitlement: async ({ principal, params, query, now }) => ok(await customerEntitlement(principal, params.id!, query.assetId, now)),
});
