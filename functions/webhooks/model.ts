/**
 * Webhooks and deliveries as stored and as returned, and the pure rules of delivery: which events
 * a webhook takes (wildcards, field filter), the retry schedule and when a webhook counts as
 * failing for too long. No clients here: tested without AWS (test/unit/webhooks.test.ts).
 */
import { keys } from '../data/keys';

export interface WebhookSecret {
  /** `whsec_…`: the HMAC key. Kept to sign; shown to the admin only when created or rotated. */
  secret: string;
  createdAt: string;
}

export interface WebhookItem {
  id: string;
  url: string;
  description?: string;
  events: string[];
  fieldFilter?: string[];
  active: boolean;
  secret: WebhookSecret;
  /** The secret before the last rotation, still signing until previousSecretExpiresAt. */
  previousSecret?: WebhookSecret;
  previousSecretExpiresAt?: string;
  failingSince?: string;
  lastSuccessAt?: string;
  disabledAt?: string;
  disabledReason?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface AttemptRecord {
  at: string;
  statusCode?: number;
  latencyMs: number;
  error?: string;
}

export interface DeliveryItem {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  /** The exact body every attempt sends (fixed at fan-out, so retries are byte-identical). */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt?: string;
  /** Set while an attempt is in flight; the claim's owner records the outcome. */
  leaseId?: string;
  lastAttemptAt?: string;
  lastStatusCode?: number;
  lastLatencyMs?: number;
  lastError?: string;
  deliveredAt?: string;
  deadAt?: string;
  createdAt: string;
  /** Start of the current 24 h retry window: creation, or the last manual redelivery. */
  windowStartedAt?: string;
  history: AttemptRecord[];
}

/** Deliveries are retried until this long after the event reached the deliverer; then dead. */
export const RETRY_WINDOW_MS = 24 * 3600_000;
/** First retry delay; doubles per attempt up to MAX_DELAY_MS. */
export const BASE_DELAY_MS = 30_000;
export const MAX_DELAY_MS = 2 * 3600_000;
/** A webhook without a single successful delivery for this long is disabled and its admins notified. */
export const DISABLE_AFTER_MS = 24 * 3600_000;
/** An attempt holds its delivery this long (longer than any attempt: 10 s timeout, 60 s function). */
export const LEASE_MS = 2 * 60_000;
/** Each attempt gives up after this long. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** Attempts kept in a delivery's history. */
export const HISTORY_LIMIT = 25;
/** Finished deliveries stay in the log this long (TTL). */
export const DELIVERY_RETENTION_DAYS = 30;
/** Default overlap of an old secret after a rotation. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;

/** Whether `eventType` (`deal.updated`) matches a pattern (`deal.updated`, `deal.*`, `*`). */
export function matchesPattern(pattern: string, eventType: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return eventType.startsWith(pattern.slice(0, -1));
  return pattern === eventType;
}

export interface EventDetail {
  eventId: string;
  type: string;
  occurredAt: string;
  entityType?: string;
  entityId?: string;
  version?: number;
  changedFields?: string[];
  [field: string]: unknown;
}

/** Whether the webhook takes this event: an event pattern matches, and the field filter (if any) too. */
export function wants(webhook: Pick<WebhookItem, 'events' | 'fieldFilter' | 'active'>, detail: Pick<EventDetail, 'type' | 'changedFields'>): boolean {
  if (!webhook.active) return false;
  if (!webhook.events.some((pattern) => matchesPattern(pattern, detail.type))) return false;
  if (!webhook.fieldFilter?.length) return true;
  const changed = new Set(detail.changedFields ?? []);
  return webhook.fieldFilter.some((field) => changed.has(field));
}

/**
 * Delay before retry number `attempt` (1 = after the first failure): exponential from BASE_DELAY_MS,
 * capped at MAX_DELAY_MS, with "equal jitter" (half fixed, half random) so a receiver coming back
 * is not hit by every delivery at the same second, while the delay still grows every time.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/**
 * After a failed attempt at `now`: the next attempt's time, or undefined when the retry window is
 * over (the delivery is dead). The last retry falls at the end of the window (rounded up to the
 * second), so a delivery is tried for the whole 24 h.
 */
export function nextAttempt(delivery: Pick<DeliveryItem, 'createdAt' | 'windowStartedAt' | 'attempts'>, now: Date, random?: () => number): Date | undefined {
  const end = Date.parse(delivery.windowStartedAt ?? delivery.createdAt) + RETRY_WINDOW_MS;
  if (now.getTime() >= end) return undefined;
  // Whole seconds: schedules fire with second precision (Scheduler's scheduled time, `--now`).
  return new Date(Math.ceil(Math.min(end, now.getTime() + retryDelayMs(delivery.attempts, random)) / 1000) * 1000);
}

/** The delivery id of an event for a webhook: the event id's ULID, so the log sorts by event time. */
export function deliveryIdFor(eventId: string): string {
  const ulid = eventId.slice(eventId.indexOf('_') + 1);
  return `dlv_${ulid}`;
}

/** The body receivers get: the event id to deduplicate on, its type, time, and the thin detail. */
export function deliveryBody(detail: EventDetail): string {
  return JSON.stringify({ id: detail.eventId, type: detail.type, occurredAt: detail.occurredAt, data: detail });
}

export function toWebhook(item: WebhookItem) {
  return {
    id: item.id,
    url: item.url,
    description: item.description,
    events: item.events,
    fieldFilter: item.fieldFilter,
    active: item.active,
    disabledAt: item.disabledAt,
    disabledReason: item.disabledReason,
    failingSince: item.failingSince,
    lastSuccessAt: item.lastSuccessAt,
    previousSecretExpiresAt: item.previousSecret ? item.previousSecretExpiresAt : undefined,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}

export function toDelivery(item: DeliveryItem) {
  return {
    id: item.id,
    webhookId: item.webhookId,
    eventId: item.eventId,
    eventType: item.eventType,
    status: item.status,
    attempts: item.attempts,
    nextAttemptAt: item.status === 'pending' ? item.nextAttemptAt : undefined,
    lastAttemptAt: item.lastAttemptAt,
    lastStatusCode: item.lastStatusCode,
    lastLatencyMs: item.lastLatencyMs,
    lastError: item.lastError,
    deliveredAt: item.deliveredAt,
    deadAt: item.deadAt,
    createdAt: item.createdAt,
    history: item.history ?? [],
  };
}

/** The stored webhook: its key, the list index, and the active index while active. */
export function webhookStored(w: WebhookItem): Record<string, unknown> {
  return { ...keys.webhook.primary(w.id), ...keys.webhook.list(w.id), ...(w.active ? keys.webhook.active(w.id) : {}), kind: 'webhook', ...w };
}

/** The stored delivery: in the due index while pending. */
export function deliveryStored(d: DeliveryItem): Record<string, unknown> {
  return {
    ...keys.webhook.delivery(d.webhookId, d.id),
    ...(d.status === 'pending' && d.nextAttemptAt ? keys.webhook.due(d.nextAttemptAt, d.webhookId, d.id) : {}),
    kind: 'webhook-delivery',
    ...d,
  };
}
