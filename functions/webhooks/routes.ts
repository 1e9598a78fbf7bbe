/**
 * Route rows served by the `webhooks` feature (admins: `webhooks:manage`). The deliverer and the
 * retry job have no routes: EventBridge and the schedule table drive them.
 */
import type { RouteDef } from '../api/route-def';
import {
  Delivery, DeliveryListQuery, DeliveryPage, DeliveryParams, RotateSecret, Webhook, WebhookCreate, WebhookIdParam, WebhookListQuery,
  WebhookPage, WebhookPatch, WebhookWithSecret,
} from '../../schemas/webhooks';

export const routes = [
  { method: 'POST', path: '/v1/webhooks', feature: 'webhooks', operation: 'createWebhook', tag: 'Webhooks', summary: 'Create a webhook; the answer carries its signing secret, shown only this once', permission: 'webhooks:manage', body: WebhookCreate, response: { status: 201, schema: WebhookWithSecret } },
  { method: 'GET', path: '/v1/webhooks', feature: 'webhooks', operation: 'listWebhooks', tag: 'Webhooks', summary: 'List webhooks (secrets are never shown again)', permission: 'webhooks:manage', query: WebhookListQuery, response: { status: 200, schema: WebhookPage } },
  { method: 'GET', path: '/v1/webhooks/{id}', feature: 'webhooks', operation: 'getWebhook', tag: 'Webhooks', summary: 'Read a webhook, with its health (failingSince, disabledAt)', permission: 'webhooks:manage', params: WebhookIdParam, response: { status: 200, schema: Webhook }, errors: [404] },
  { method: 'PATCH', path: '/v1/webhooks/{id}', feature: 'webhooks', operation: 'updateWebhook', tag: 'Webhooks', summary: 'Change a webhook (URL, events, field filter, active; active=true re-enables a disabled one)', permission: 'webhooks:manage', params: WebhookIdParam, body: WebhookPatch, response: { status: 200, schema: Webhook }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/webhooks/{id}', feature: 'webhooks', operation: 'deleteWebhook', tag: 'Webhooks', summary: 'Delete a webhook (pending deliveries end; the log expires after 30 days)', permission: 'webhooks:manage', params: WebhookIdParam, response: { status: 204 }, errors: [404, 412], conditional: true },
  { method: 'POST', path: '/v1/webhooks/{id}/rotate-secret', feature: 'webhooks', operation: 'rotateSecret', tag: 'Webhooks', summary: 'Issue a new signing secret (shown once); the old one keeps signing during the overlap', permission: 'webhooks:manage', params: WebhookIdParam, body: RotateSecret, response: { status: 200, schema: WebhookWithSecret }, errors: [404, 409] },
  { method: 'GET', path: '/v1/webhooks/{id}/deliveries', feature: 'webhooks', operation: 'listDeliveries', tag: 'Webhooks', summary: 'The delivery log, newest first: status, attempts, latency, response code', permission: 'webhooks:manage', params: WebhookIdParam, query: DeliveryListQuery, response: { status: 200, schema: DeliveryPage }, errors: [404] },
  { method: 'POST', path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', feature: 'webhooks', operation: 'redeliver', tag: 'Webhooks', summary: 'Send a delivery again now (same event id and body); answers with the delivery after the attempt', permission: 'webhooks:manage', params: DeliveryParams, response: { status: 200, schema: Delivery }, errors: [404, 409] },
] as const satisfies readonly RouteDef[];
