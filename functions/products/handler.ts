/** Products feature: adapts routes to the service. */
import { createHttpHandler, created, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('products', routes, {
  createProduct: async ({ principal, body, now }) => {
    const product = await service.createProduct(principal, body, now);
    return created(product, `/v1/products/${product.id}`);
  },
  listProducts: async ({ query }) => ok(await service.listProducts(query)),
  getProduct: async ({ params }) => ok(await service.getProduct(params.productId)),
  updateProduct: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updateProduct(principal, params.productId, body, expectedVersion, now)),
});
