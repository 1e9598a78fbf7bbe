/** Customer merge: adapts the route to the service. */
import { createHttpHandler, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('merge', routes, {
  mergeCustomer: async ({ principal, params, body, now }) => ok(await service.mergeCustomers(principal, params.id, body.duplicateId, now)),
});
