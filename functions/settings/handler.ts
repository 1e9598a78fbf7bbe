/** Settings feature (admin configuration): adapts routes to the service. */
import { createHttpHandler, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('settings', routes, {
  getServiceRules: async () => ok(await service.getServiceRules()),
  putServiceRules: async ({ principal, body, expectedVersion, now }) => ok(await service.putServiceRules(principal, body, expectedVersion, now)),
});
