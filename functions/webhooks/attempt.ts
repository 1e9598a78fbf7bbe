/**
 * One attempt of one claimed delivery — the same code for the deliverer's first attempt, the retry
 * job's attempts and a redelivery: sign, send (SSRF-guarded, 10 s), record the outcome under the
 * lease, and keep the webhook's health: a success clears its failing clock; a failure starts it,
 * and a webhook that has failed for DISABLE_AFTER_MS without a single success is disabled and its
 * admins get an in-app notification.
 */
import { newId } from '../data/keys';
import type { NotificationItem } from '../notifications/model';
import { DELIVERY_ID_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader, TIMESTAMP_HEADER } from './signing';
import { type DeliveryItem, DISABLE_AFTER_MS, HISTORY_LIMIT, nextAttempt, type WebhookItem } from './model';
import { webhookAudit, WEBHOOK_SYSTEM } from './audit';
import * as repo from './repository';
import { sendSigned, type SendOutcome } from './send';

export interface AttemptResult {
  delivery: DeliveryItem;
  outcome: SendOutcome | undefined;
  /** The webhook was disabled by this attempt. */
  disabled: boolean;
  /** False when the lease was lost (another run took over): nothing was recorded. */
  recorded: boolean;
}

/** The secrets that sign at `now`: the current one, and the previous one during its overlap. */
export function signingSecrets(webhook: WebhookItem, now: Date): string[] {
  const secrets = [webhook.secret.secret];
  if (webhook.previousSecret && webhook.previousSecretExpiresAt && Date.parse(webhook.previousSecretExpiresAt) > now.getTime()) {
    secrets.push(webhook.previousSecret.secret);
  }
  return secrets;
}

/**
 * Attempts `delivery` (claimed with `leaseId`) for `webhook` (undefined: deleted) at `now`, the
 * run's time (injected by jobs' --now). The signature's timestamp is the wall clock of sending,
 * which is what the receiver compares with its own clock.
 */
export async function attemptDelivery(delivery: DeliveryItem, webhook: WebhookItem | undefined, leaseId: string, now: Date, options: { force?: boolean } = {}): Promise<AttemptResult> {
  const at = now.toISOString();
  if (!webhook || (!webhook.active && !options.force)) {
    // Nothing to send to: the delivery ends here (a redelivery after re-enabling sends it again).
    const dead: DeliveryItem = { ...delivery, status: 'dead', deadAt: at, lastError: webhook ? 'webhook-inactive' : 'webhook-deleted', nextAttemptAt: undefined };
    const recorded = await repo.recordOutcome(dead, leaseId, now);
    return { delivery: dead, outcome: undefined, disabled: false, recorded };
  }
  const timestamp = Math.floor(Date.now() / 1000);
  const outcome = await sendSigned({
    url: webhook.url,
    body: delivery.body,
    headers: {
      [SIGNATURE_HEADER]: signatureHeader(signingSecrets(webhook, now), timestamp, delivery.body),
      [TIMESTAMP_HEADER]: String(timestamp),
      [EVENT_ID_HEADER]: delivery.eventId,
      [EVENT_TYPE_HEADER]: delivery.eventType,
      [DELIVERY_ID_HEADER]: delivery.id,
    },
  });
  const attempts = delivery.attempts + 1;
  const history = [...(delivery.history ?? []), { at, latencyMs: outcome.latencyMs, ...(outcome.statusCode ? { statusCode: outcome.statusCode } : {}), ...(outcome.error ? { error: outcome.error } : {}) }].slice(-HISTORY_LIMIT);
  const common = { ...delivery, attempts, history, lastAttemptAt: at, lastLatencyMs: outcome.latencyMs, lastStatusCode: outcome.statusCode, lastError: outcome.error };
  let after: DeliveryItem;
  if (outcome.ok) {
    after = { ...common, status: 'delivered', deliveredAt: at, nextAttemptAt: undefined, lastError: undefined };
  } else {
    const next = nextAttempt({ createdAt: delivery.createdAt, windowStartedAt: delivery.windowStartedAt, attempts }, now);
    after = next
      ? { ...common, status: 'pending', nextAttemptAt: next.toISOString() }
      : { ...common, status: 'dead', deadAt: at, nextAttemptAt: undefined };
  }
  const recorded = await repo.recordOutcome(after, leaseId, now);
  if (!recorded) return { delivery: after, outcome, disabled: false, recorded };

  let disabled = false;
  if (outcome.ok) {
    if (webhook.failingSince) await repo.markWebhookHealthy(webhook.id, now);
  } else if (!webhook.failingSince) {
    await repo.markWebhookFailing(webhook.id, now);
  } else if (webhook.active && now.getTime() - Date.parse(webhook.failingSince) >= DISABLE_AFTER_MS) {
    const reason = `No successful delivery since ${webhook.failingSince}`;
    const after: WebhookItem = { ...webhook, active: false, disabledReason: reason, version: webhook.version + 1 };
    disabled = await repo.disableWebhook(webhook, reason, adminNotifications(webhook, at), webhookAudit(webhook, after, 'disabled', WEBHOOK_SYSTEM, now), now);
  }
  return { delivery: after, outcome, disabled, recorded };
}

/**
 * Who hears of a disabled webhook: the admins who created and last changed it (users live in
 * Cognito, so these are the admins the CRM knows for this webhook). API keys have no inbox.
 */
export function adminNotifications(webhook: WebhookItem, at: string): NotificationItem[] {
  const users = [...new Set([webhook.createdBy, webhook.updatedBy])].filter((u) => u && !u.startsWith('key_'));
  const host = (() => { try { return new URL(webhook.url).host; } catch { return 'its URL'; } })();
  return users.map((userId) => ({
    id: newId('ntf'),
    userId,
    type: 'webhook.disabled',
    title: `Webhook to ${host} disabled`,
    body: `Deliveries to ${host} have failed since ${webhook.failingSince}, so the webhook was disabled. Fix the receiver, re-enable it with PATCH /v1/webhooks/${webhook.id} {"active": true}, and redeliver what failed.`,
    link: `/v1/webhooks/${webhook.id}`,
    createdAt: at,
  }));
}
