/**
 * The EventBridge rule target (lib/constructs/domain-events.ts, WebhookDelivery): every CRM domain
 * event on the bus arrives here once per invocation (EventBridge retries a failed invocation for
 * 24 h). The event is matched against the active webhooks (one Query); for each match a delivery
 * is created — idempotently, keyed by the event id, so an event that arrives twice is delivered
 * once — and attempted at once, in parallel. A failed attempt is left pending in the due index for
 * the `webhooks` job (functions/webhooks/retry.ts). Locally the EventBridge stand-in
 * (local/engines/events.ts) invokes this same handler for every event it accepts.
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { mapLimit } from '../jobs/concurrency';
import { attemptDelivery } from './attempt';
import { type DeliveryItem, deliveryBody, deliveryIdFor, type EventDetail, LEASE_MS, wants } from './model';
import * as repo from './repository';
import { lazyLogger } from '../aws/logger';

const logger = lazyLogger('crm-webhooks');

/** Parallel first attempts per event. */
const CONCURRENCY = 10;

export interface FanOutResult {
  matched: number;
  created: number;
  delivered: number;
}

export async function fanOut(detail: EventDetail, now: Date): Promise<FanOutResult> {
  if (!detail?.eventId || !detail.type) return { matched: 0, created: 0, delivered: 0 };
  const webhooks = (await repo.activeWebhooks()).filter((w) => wants(w, detail));
  const body = deliveryBody(detail);
  const at = now.toISOString();
  const results = await mapLimit(webhooks, CONCURRENCY, async (webhook) => {
    const leaseId = randomUUID();
    const delivery: DeliveryItem = {
      id: deliveryIdFor(detail.eventId),
      webhookId: webhook.id,
      eventId: detail.eventId,
      eventType: detail.type,
      body,
      status: 'pending',
      attempts: 0,
      // Leased from the start: the retry job leaves it alone while this first attempt runs, and
      // takes it over if this invocation dies.
      nextAttemptAt: new Date(now.getTime() + LEASE_MS).toISOString(),
      leaseId,
      createdAt: at,
      history: [],
    };
    if (!(await repo.createDelivery(delivery))) return 'existing' as const;
    const result = await attemptDelivery(delivery, webhook, leaseId, now);
    return result.outcome?.ok ? 'delivered' as const : 'pending' as const;
  });
  return { matched: webhooks.length, created: results.filter((r) => r !== 'existing').length, delivered: results.filter((r) => r === 'delivered').length };
}

export const handler = async (event: EventBridgeEvent<string, EventDetail>): Promise<FanOutResult> => {
  const result = await fanOut(event.detail, new Date());
  // Ids and counts only: event details carry no personal data, but bodies are never logged anyway.
  if (result.matched > 0) logger().info('webhooks fan-out', { eventId: event.detail?.eventId, type: event['detail-type'], ...result });
  return result;
};
