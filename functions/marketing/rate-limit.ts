/**
 * Fixed-window rate limits for public endpoints (the sign-up form), counted in DynamoDB so every
 * Lambda container shares them: one small item per limit, subject and window
 * (`RATE#<limit>#<hashed subject>` / `<window start>`), incremented with one conditional
 * UpdateItem that refuses to pass the limit, and expired by TTL a window after it closes. The key
 * names its window, so an item that TTL has not deleted yet is simply never read again (DynamoDB
 * deletes expired items late, DynamoDB Local never).
 *
 * A refused request counts nothing and answers 429 with Retry-After: the seconds left in the window.
 * Cost: 1 WRU per limit checked (≈ 100 bytes per item).
 */
import { createHash } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { TooManyRequests } from '../http/problem';

export interface RateLimit {
  /** Stable name of the limit, part of the key (`signup-ip`). */
  name: string;
  /** Requests allowed per window. */
  max: number;
  windowSeconds: number;
}

/** The subject as it appears in a key: a salted hash, never the address itself. */
export const subjectHash = (subject: string) => createHash('sha256').update(`crm-rate/${subject}`).digest('base64url').slice(0, 22);

/** The window `now` falls in: its start (ISO) and end (epoch seconds). Pure. */
export function windowOf(limit: RateLimit, now: Date): { start: string; endSec: number } {
  const nowSec = Math.floor(now.getTime() / 1000);
  const startSec = nowSec - (nowSec % limit.windowSeconds);
  return { start: new Date(startSec * 1000).toISOString(), endSec: startSec + limit.windowSeconds };
}

/** Counts one request of `subject` against `limit`; throws 429 (Retry-After) when the window is full. */
export async function take(limit: RateLimit, subject: string, now: Date): Promise<void> {
  const window = windowOf(limit, now);
  try {
    await ddb().send(new UpdateCommand({
      TableName: config().tableName,
      Key: keys.rateLimit.window(limit.name, subjectHash(subject), window.start),
      UpdateExpression: 'SET #kind = :kind, expiresAt = :exp ADD #n :one',
      ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
      ExpressionAttributeNames: { '#kind': 'kind', '#n': 'n' },
      ExpressionAttributeValues: { ':kind': 'rate-limit', ':exp': window.endSec + limit.windowSeconds, ':one': 1, ':max': limit.max },
    }));
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'ConditionalCheckFailedException') throw err;
    throw TooManyRequests(Math.max(1, window.endSec - Math.floor(now.getTime() / 1000)));
  }
}
