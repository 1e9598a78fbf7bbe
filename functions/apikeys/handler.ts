/** API keys feature: adapts routes to the service. */
import { createHttpHandler, created, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('apikeys', routes, {
  createApiKey: async ({ principal, body, now }) => {
    const key = await service.createKey(principal, body, now);
    return created(key, `/v1/api-keys/${key.id}`);
  },
  listApiKeys: async ({ principal, query, now }) => ok(await service.listKeys(principal, query, now)),
  updateApiKey: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updateKey(principal, params.id, body, expectedVersion, now)),
  revokeApiKey: async ({ principal, params, now }) => ok(await service.revokeKey(principal, params.id, now)),
});
