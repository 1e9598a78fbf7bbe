/**
 * Idempotency-Key for POST: a retry with the same key and body either replays the committed
 * result or runs exactly once — also when the first attempt's outcome was unknown.
 *
 * The lock item (`IDEM#<user>#<key>`) moves through three states:
 *   in_progress — taken by a conditional Put with a fresh lock token;
 *   committed   — set by the protected change's own TransactWriteItems (data/transaction.ts),
 *                 conditioned on the token, with the ids of the records it wrote;
 *   completed   — the full response stored after it, best effort, for an exact replay.
 * A retry that finds `completed` replays the response; `committed` rebuilds it from the record
 * (functions/http/chain.ts); `in_progress` is a 409 until the lock expires. A lock is released
 * only by a conditional delete on its token, which doubles as a fence: once it succeeds, the
 * change can no longer commit, so a retry may run. If the release itself fails, the key stays
 * locked. Keys are scoped per user: two users cannot collide or read each other's responses.
 */
import { createHash, randomUUID } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb, type IdempotencyGuard } from '../data/client';
import { keys } from '../data/keys';
import { deleteHeldLock } from '../data/transaction';
import { BadRequest, HttpError, Unprocessable } from './problem';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/**
 * A lock still "in progress" after this long may be taken over by a retry. Longer than any HTTP
 * function's timeout, so its holder is gone; even if its transaction were still in flight, the
 * marker's condition on the old token refuses it.
 */
export const LOCK_SECONDS = 60;

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Visible ASCII, 8–255 characters (a UUID fits). Also published in the OpenAPI document. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{8,255}$';
const keyPattern = new RegExp(IDEMPOTENCY_KEY_PATTERN);

export function validateKey(key: string): string {
  if (!keyPattern.test(key)) {
    throw BadRequest('Idempotency-Key must be 8–255 visible ASCII characters (a UUID is ideal)', [
      { path: 'header.Idempotency-Key', message: 'Invalid idempotency key' },
    ]);
  }
  return key;
}

export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path}\n${canonicalJson(body)}`).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** What a request with a key does next. */
export type Begin =
  | { kind: 'proceed'; guard: IdempotencyGuard }
  | { kind: 'replay'; response: StoredResponse }
  /** Committed, but the response was never stored: rebuild it from the records it wrote. */
  | { kind: 'rebuild'; resultIds: string[]; guard: IdempotencyGuard };

/** Reads a few attributes of an old item returned by a failed condition (marshalled or not). */
function attributes(existing: Record<string, unknown> | undefined) {
  return (name: string): unknown => {
    const v = existing?.[name] as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if ('S' in o) return o.S;
      if ('N' in o) return Number(o.N);
      if ('L' in o) return (o.L as Record<string, unknown>[]).map((e) => e.S);
    }
    return v;
  };
}

/** Takes the key's lock, or says what to answer instead (replay, rebuild, 422, 409). */
export async function beginIdempotent(userId: string, key: string, print: string, now: Date): Promise<Begin> {
  const nowSec = Math.floor(now.getTime() / 1000);
  const guard: IdempotencyGuard = { key: keys.idempotency(userId, key), token: randomUUID() };
  try {
    await ddb().send(
      new PutCommand({
        TableName: config().tableName,
        Item: {
          ...guard.key,
          kind: 'idempotency',
          state: 'in_progress',
          fingerprint: print,
          lockToken: guard.token,
          lockedUntil: nowSec + LOCK_SECONDS,
          expiresAt: nowSec + IDEMPOTENCY_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR (#state = :progress AND lockedUntil < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':now': nowSec, ':progress': 'in_progress' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { kind: 'proceed', guard };
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    const attr = attributes((err as { Item?: Record<string, unknown> }).Item);
    if (attr('fingerprint') !== print) {
      throw Unprocessable('This Idempotency-Key was already used with a different request body');
    }
    if (attr('state') === 'completed') {
      return {
        kind: 'replay',
        response: {
          statusCode: Number(attr('statusCode')),
          headers: JSON.parse(String(attr('responseHeaders') ?? '{}')),
          body: String(attr('responseBody') ?? ''),
        },
      };
    }
    if (attr('state') === 'committed') {
      const ids = attr('resultIds');
      return {
        kind: 'rebuild',
        resultIds: Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [],
        // Lets the rebuilt answer be stored for the next retry; `committed`: never released.
        guard: { key: guard.key, token: String(attr('lockToken')), committed: true },
      };
    }
    const wait = Math.max(1, Number(attr('lockedUntil')) - nowSec || LOCK_SECONDS);
    throw new HttpError(409, 'conflict', 'Conflict',
      'A request with this Idempotency-Key is still running, or its outcome is not known yet. Retry after the Retry-After interval: you get its result, or it runs once',
      { headers: { 'retry-after': String(wait) } });
  }
}

/** Stores the response for exact replays. Only the lock's holder can, whether or not it committed. */
export async function completeIdempotent(guard: IdempotencyGuard, response: StoredResponse): Promise<void> {
  await ddb().send(
    new UpdateCommand({
      TableName: config().tableName,
      Key: guard.key,
      UpdateExpression: 'SET #state = :done, statusCode = :status, responseHeaders = :headers, responseBody = :body',
      ConditionExpression: 'lockToken = :token',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':done': 'completed',
        ':status': response.statusCode,
        ':headers': JSON.stringify(response.headers),
        ':body': response.body,
        ':token': guard.token,
      },
    }),
  );
}

/**
 * What became of a request that failed: `released` — the lock is gone and the change can no
 * longer commit (the marker's condition needs the lock), so a retry runs; `committed` — the change
 * committed under this lock; `unknown` — the release failed too, and the key stays locked.
 */
export type Settled = 'released' | 'committed' | 'unknown';

export async function releaseIdempotent(guard: IdempotencyGuard): Promise<Settled> {
  if (guard.committed) return 'committed';
  try {
    const released = await deleteHeldLock(guard);
    if (released.deleted) return 'released';
    // Committed under our token; anything else (gone, taken over) cannot commit our change.
    return released.old?.lockToken === guard.token && released.old?.state !== 'in_progress' ? 'committed' : 'released';
  } catch {
    return 'unknown';
  }
}
