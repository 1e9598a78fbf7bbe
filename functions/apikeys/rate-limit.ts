/**
 * Counting an API key's requests: a fixed one-minute window per key, one counter item per window
 * (`APIKEY#<keyId>` / `RATE#<window start>`, keys.apiKey.rateWindow) incremented with one
 * UpdateItem `ADD` per request — about 1 write unit each, no index copies, expired by TTL two
 * minutes after its window. Called by the API key authorizer (in AWS and through the local
 * gateway alike), which hands the result to the function (functions/apikeys/rate-policy.ts).
 *
 * Once a container has seen a key over its limit, further requests of that key in the same window
 * are refused without a write (a flood costs nothing more). A counter that cannot be written fails
 * open: authentication never depends on bookkeeping, and the request carries no RateLimit headers.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { RATE_WINDOW_SECONDS, type RateState } from './rate-policy';

const WINDOW_MS = RATE_WINDOW_SECONDS * 1000;
/** Counters outlive their window by this much before TTL may delete them. */
const KEEP_SECONDS = 2 * RATE_WINDOW_SECONDS;

/** keyId → start of the window in which this container saw it over its limit. */
const overLimit = new Map<string, number>();

export function clearRateMemo(): void {
  overLimit.clear();
}

/** Counts one request of `keyId` against `limit` per minute; undefined when the counter could not be written. */
export async function countRequest(keyId: string, limit: number, now = new Date()): Promise<RateState | undefined> {
  const windowStart = Math.floor(now.getTime() / WINDOW_MS) * WINDOW_MS;
  const resetSeconds = Math.max(1, Math.ceil((windowStart + WINDOW_MS - now.getTime()) / 1000));
  if (overLimit.get(keyId) === windowStart) return { limit, count: limit + 1, resetSeconds };
  try {
    const out = await ddb().send(new UpdateCommand({
      TableName: config().tableName,
      Key: keys.apiKey.rateWindow(keyId, new Date(windowStart).toISOString()),
      UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :ttl)',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':one': 1, ':ttl': Math.floor((windowStart + WINDOW_MS) / 1000) + KEEP_SECONDS },
      ReturnValues: 'UPDATED_NEW',
    }));
    const count = Number(out.Attributes?.count ?? 1);
    if (count > limit) {
      if (overLimit.size > 10_000) overLimit.clear();
      overLimit.set(keyId, windowStart);
    }
    return { limit, count, resetSeconds };
  } catch {
    return undefined;
  }
}
