/**
 * Webhook rules: admins only (route permission `webhooks:manage`); the URL must pass the SSRF
 * guard's static checks (https, no private address literal) when stored; the secret is returned
 * only by create and rotate-secret; versions guard every change (If-Match optional).
 */
import { randomUUID } from 'node:crypto';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { newId } from '../data/keys';
import { applyPatch } from '../data/records';
import { BadRequest, Conflict, NotFound, PreconditionFailed } from '../http/problem';
import type { Principal } from '../security/principal';
import { attemptDelivery } from './attempt';
import { DEFAULT_OVERLAP_SECONDS, LEASE_MS, toDelivery, toWebhook, type WebhookItem } from './model';
import { webhookAudit } from './audit';
import * as repo from './repository';
import { newSecret } from './signing';
import { urlProblem } from './ssrf';

export const DEFAULT_LIMIT = 25;

interface WebhookInput {
  url: string;
  description?: string;
  events: string[];
  fieldFilter?: string[];
  active?: boolean;
}

function checkUrl(url: string): void {
  const problem = urlProblem(url);
  if (problem) throw BadRequest(`The webhook URL ${problem}`, [{ path: 'body.url', message: `The URL ${problem}` }]);
}

export async function createWebhook(principal: Principal, body: WebhookInput, now: Date) {
  checkUrl(body.url);
  const at = now.toISOString();
  const item: WebhookItem = {
    id: newId('whk'),
    url: body.url,
    ...(body.description ? { description: body.description } : {}),
    events: body.events,
    ...(body.fieldFilter ? { fieldFilter: body.fieldFilter } : {}),
    active: body.active ?? true,
    secret: { secret: newSecret(), createdAt: at },
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  await repo.saveWebhook(undefined, item, webhookAudit(undefined, item, 'created', principal, now));
  return { ...toWebhook(item), secret: item.secret.secret };
}

async function load(id: string): Promise<WebhookItem> {
  const item = await repo.getWebhook(id);
  if (!item) throw NotFound('No such webhook');
  return item;
}

export async function getWebhook(id: string) {
  return toWebhook(await load(id));
}

export async function listWebhooks(query: { limit?: number; cursor?: string }) {
  const fingerprint = JSON.stringify(['webhooks']);
  const page = await repo.queryWebhooks(query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toWebhook), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

export async function updateWebhook(principal: Principal, id: string, patch: Partial<Omit<WebhookInput, 'description' | 'fieldFilter'>> & { description?: string | null; fieldFilter?: string[] | null }, expectedVersion: number | undefined, now: Date) {
  if (patch.url !== undefined) checkUrl(patch.url);
  for (let attempt = 1; ; attempt++) {
    const current = await load(id);
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const merged = applyPatch(current, patch as Record<string, unknown>);
    const at = now.toISOString();
    // Re-enabling starts afresh: the failing clock and the disable note go.
    const reEnabled = patch.active === true && !current.active;
    const next: WebhookItem = {
      ...merged,
      ...(reEnabled || patch.active === false ? { failingSince: undefined, disabledAt: undefined, disabledReason: undefined } : {}),
      version: current.version + 1, updatedAt: at, updatedBy: principal.userId,
    };
    for (const field of ['failingSince', 'disabledAt', 'disabledReason'] as const) if (next[field] === undefined) delete next[field];
    if (await repo.saveWebhook(current, next, webhookAudit(current, next, 'updated', principal, now))) return toWebhook(next);
    if (expectedVersion !== undefined) throw PreconditionFailed();
    if (attempt >= 3) throw Conflict('The webhook is being changed by someone else right now; retry');
  }
}

export async function deleteWebhook(principal: Principal, id: string, expectedVersion: number | undefined, now: Date) {
  const current = await load(id);
  if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
  const audit = webhookAudit(current, { ...current, version: current.version + 1 }, 'deleted', principal, now);
  if (!(await repo.deleteWebhook(id, current.version, audit))) throw PreconditionFailed();
}

/**
 * A new secret, shown once; the previous one keeps signing (as a second `v1=`) for `overlapSeconds`
 * so receivers can switch without missing a delivery. Only one previous secret is kept: rotating
 * again ends the older overlap at once.
 */
export async function rotateSecret(principal: Principal, id: string, body: { overlapSeconds?: number } | undefined, now: Date) {
  const overlap = body?.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS;
  for (let attempt = 1; ; attempt++) {
    const current = await load(id);
    const at = now.toISOString();
    const next: WebhookItem = {
      ...current,
      secret: { secret: newSecret(), createdAt: at },
      version: current.version + 1, updatedAt: at, updatedBy: principal.userId,
    };
    if (overlap > 0) {
      next.previousSecret = current.secret;
      next.previousSecretExpiresAt = new Date(now.getTime() + overlap * 1000).toISOString();
    } else {
      delete next.previousSecret;
      delete next.previousSecretExpiresAt;
    }
    if (await repo.saveWebhook(current, next, webhookAudit(current, next, 'rotated', principal, now))) return { ...toWebhook(next), secret: next.secret.secret };
    if (attempt >= 3) throw Conflict('The webhook is being changed by someone else right now; retry');
  }
}

export async function listDeliveries(webhookId: string, query: { limit?: number; cursor?: string }) {
  await load(webhookId);
  const fingerprint = JSON.stringify(['webhook-deliveries', webhookId]);
  const page = await repo.queryDeliveries(webhookId, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toDelivery), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/**
 * Sends a delivery again now, whatever its state (delivered, dead or pending), with the same event
 * id and body, and answers with the delivery after that attempt. A failure puts it back on the
 * retry schedule; the retry window starts afresh. A disabled webhook refuses (409): re-enable first.
 */
export async function redeliver(webhookId: string, deliveryId: string, now: Date) {
  const webhook = await load(webhookId);
  const existing = await repo.getDelivery(webhookId, deliveryId);
  if (!existing) throw NotFound('No such delivery');
  if (!webhook.active) throw Conflict(`Webhook ${webhookId} is disabled; re-enable it with PATCH {"active": true} first`);
  const leaseId = randomUUID();
  const claimed = await repo.claimDelivery(webhookId, deliveryId, undefined, leaseId, new Date(now.getTime() + LEASE_MS));
  if (!claimed) throw NotFound('No such delivery');
  // A fresh retry window for the manual attempt; attempts and history keep counting.
  const restarted = { ...claimed, windowStartedAt: now.toISOString(), status: 'pending' as const, deadAt: undefined, deliveredAt: undefined };
  const result = await attemptDelivery(restarted, webhook, leaseId, now);
  if (!result.recorded) throw Conflict('The delivery is being attempted by another run right now; read it again shortly');
  return toDelivery(result.delivery);
}
