/** Territories feature: the assignment rules (admin configuration). Parameter plumbing only. */
import { createHttpHandler, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('territories', routes, {
  getTerritories: async () => ok(await service.getTerritories()),
  putTerritories: async ({ principal, body, expectedVersion, now }) => ok(await service.putTerritories(principal, body, expectedVersion, now)),
});
