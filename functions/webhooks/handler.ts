/** Webhooks feature: adapts routes to the service. */
import { createHttpHandler, created, noContent, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('webhooks', routes, {
  createWebhook: async ({ principal, body, now }) => {
    const webhook = await service.createWebhook(principal, body, now);
    return created(webhook, `/v1/webhooks/${webhook.id}`);
  },
  listWebhooks: async ({ query }) => ok(await service.listWebhooks(query)),
  getWebhook: async ({ params }) => ok(await service.getWebhook(params.id)),
  updateWebhook: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updateWebhook(principal, params.id, body, expectedVersion, now)),
  deleteWebhook: async ({ principal, params, expectedVersion, now }) => {
    await service.deleteWebhook(principal, params.id, expectedVersion, now);
    return noContent();
  },
  rotateSecret: async ({ principal, params, body, now }) => ok(await service.rotateSecret(principal, params.id, body, now)),
  listDeliveries: async ({ params, query }) => ok(await service.listDeliveries(params.id, query)),
  redeliver: async ({ params, now }) => ok(await service.redeliver(params.id, params.deliveryId, now)),
});
