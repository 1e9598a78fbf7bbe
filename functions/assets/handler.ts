/** Assets feature: products customers own and their service schedule. Parameter plumbing only. */
import { createHttpHandler, created, noContent, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('assets', routes, {
  createAsset: async ({ principal, params, body, now }) => {
    const asset = await service.createAsset(principal, params.id, body, now);
    return created(asset, `/v1/assets/${asset.id}`);
  },
  listAssets: async ({ principal, params, query }) => ok(await service.listAssets(principal, params.id, query)),
  getAsset: async ({ principal, params }) => ok(await service.getAsset(principal, params.id)),
  updateAsset: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updateAsset(principal, params.id, body, expectedVersion, now)),
  deleteAsset: async ({ principal, params, expectedVersion, now }) => {
    await service.deleteAsset(principal, params.id, expectedVersion, now);
    return noContent();
  },
});
