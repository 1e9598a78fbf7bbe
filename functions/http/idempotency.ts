/**
 * Idempotency-Key for POST. The first request with a key takes a lock item (conditional put);
 * on success the response is stored with it for 24 h. A retry with the same key and body replays
 * the stored response; the same key with a different body is a 422; a retry while the first is
 * still running is a 409. A failed first attempt releases the key so the client can retry.
 * Keys are scoped per user: two users cannot collide or read each other's responses.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { BadRequest, Conflict, Unprocessable } from './problem';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** A request still "in progress" after this long is presumed dead and the key may be retried. */
const LOCK_SECONDS = 60;

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

/** Returns a stored response to replay, or undefined when the caller should proceed. */
export async function beginIdempotent(userId: string, key: string, print: string, now: Date): Promise<StoredResponse | undefined> {
  const nowSec = Math.floor(now.getTime() / 1000);
  try {
    await ddb().send(
      new PutCommand({
        TableName: config().tableName,
        Item: {
          ...keys.idempotency(userId, key),
          kind: 'idempotency',
          state: 'in_progress',
          fingerprint: print,
          lockedUntil: nowSec + LOCK_SECONDS,
          expiresAt: nowSec + IDEMPOTENCY_TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR (#state = :progress AND lockedUntil < :now)',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':now': nowSec, ':progress': 'in_progress' },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return undefined;
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    const existing = (err as { Item?: Record<string, unknown> }).Item;
    // lib-dynamodb returns the old item marshalled; read the few attributes we need either way.
    const attr = (name: string) => {
      const v = existing?.[name] as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        if ('S' in o) return o.S;
        if ('N' in o) return Number(o.N);
      }
      return v;
    };
    if (attr('fingerprint') !== print) {
      throw Unprocessable('This Idempotency-Key was already used with a different request body');
    }
    if (attr('state') === 'completed') {
      return {
        statusCode: Number(attr('statusCode')),
        headers: JSON.parse(String(attr('responseHeaders') ?? '{}')),
        body: String(attr('responseBody') ?? ''),
      };
    }
    throw Conflict('A request with this Idempotency-Key is still in progress; retry in a moment');
  }
}

export async function completeIdempotent(userId: string, key: string, response: StoredResponse): Promise<void> {
  await ddb().send(
    new UpdateCommand({
      TableName: config().tableName,
      Key: keys.idempotency(userId, key),
      UpdateExpression: 'SET #state = :done, statusCode = :status, responseHeaders = :headers, responseBody = :body',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':done': 'completed',
        ':status': response.statusCode,
        ':headers': JSON.stringify(response.headers),
        ':body': response.body,
      },
    }),
  );
}

export async function releaseIdempotent(userId: string, key: string): Promise<void> {
  await ddb().send(
    new DeleteCommand({
      TableName: config().tableName,
      Key: keys.idempotency(userId, key),
      ConditionExpression: '#state = :progress',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':progress': 'in_progress' },
    }),
  ).catch(() => undefined);
}
