/**
 * Verifying a presented API key — the one code path of the machine API's Lambda authorizer in AWS
 * (functions/apikeys/authorizer.ts) and of the local gateway (local/gateway.ts): one GetItem by the
 * key id the key carries, a constant-time hash comparison, revocation and expiry checks, and the
 * last-used time written at most once a minute per key (a conditional update; a per-container memo
 * skips even that). Results are cached per container for CACHE_TTL_MS, so a revocation takes
 * effect within that time (docs/auth.md, "API keys").
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import type { Action, Role } from '../security/permissions';
import { type ApiKeyItem, hashKey, keyIdOf, matchesHash, statusOf } from './model';

/** How long a verification is reused by a warm container: the revocation delay. */
export const CACHE_TTL_MS = 60_000;
/** Last-used time is written at most this often per key. */
export const LAST_USED_EVERY_MS = 60_000;

export interface ApiKeyIdentity {
  keyId: string;
  role: Role;
  scopes?: Action[];
  rateLimitPerMinute?: number;
}

const cache = new Map<string, { identity: ApiKeyIdentity | undefined; until: number; expiresAt?: number }>();
const lastUsedWritten = new Map<string, number>();
const MAX_CACHE = 10_000;

/** Forget cached verifications (tests; a revocation in the same process). */
export function clearApiKeyCache(): void {
  cache.clear();
  lastUsedWritten.clear();
}

/** The identity a key stands for, or undefined when it is unknown, wrong, revoked or expired. */
export async function verifyApiKey(key: string, now = new Date()): Promise<ApiKeyIdentity | undefined> {
  const keyId = keyIdOf(key);
  if (!keyId) return undefined;
  const cacheKey = hashKey(key);
  const cached = cache.get(cacheKey);
  if (cached && cached.until > Date.now() && (cached.expiresAt === undefined || cached.expiresAt > now.getTime())) {
    if (cached.identity) await touch(keyId, now);
    return cached.identity;
  }
  const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: keys.apiKey.primary(keyId) }));
  const item = out.Item ? withoutKeys<ApiKeyItem>(out.Item) : undefined;
  const valid = item && matchesHash(key, item.hash) && statusOf(item, now) === 'active';
  const identity: ApiKeyIdentity | undefined = valid ? { keyId, role: item.role, ...(item.scopes ? { scopes: item.scopes } : {}), ...(item.rateLimitPerMinute ? { rateLimitPerMinute: item.rateLimitPerMinute } : {}) } : undefined;
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(cacheKey, { identity, until: Date.now() + CACHE_TTL_MS, ...(item?.expiresAt ? { expiresAt: Date.parse(item.expiresAt) } : {}) });
  if (identity) await touch(keyId, now, item!.lastUsedAt);
  return identity;
}

/** Records the last use, at most once a minute per key (never failing the request over it). */
async function touch(keyId: string, now: Date, storedLastUsed?: string): Promise<void> {
  const known = Math.max(lastUsedWritten.get(keyId) ?? 0, storedLastUsed ? Date.parse(storedLastUsed) : 0);
  if (now.getTime() - known < LAST_USED_EVERY_MS) return;
  lastUsedWritten.set(keyId, now.getTime());
  try {
    await ddb().send(new UpdateCommand({
      TableName: config().tableName,
      Key: keys.apiKey.primary(keyId),
      UpdateExpression: 'SET lastUsedAt = :now',
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :before)',
      ExpressionAttributeValues: { ':now': now.toISOString(), ':before': new Date(now.getTime() - LAST_USED_EVERY_MS).toISOString() },
    }));
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') {
      // Best effort: authentication does not depend on bookkeeping.
      lastUsedWritten.delete(keyId);
    }
  }
}

/** What the authorizer hands the functions (`requestContext.authorizer.lambda`): strings only. */
export function authorizerContext(identity: ApiKeyIdentity): Record<string, string> {
  return { apiKeyId: identity.keyId, role: identity.role, scopes: (identity.scopes ?? []).join(' ') };
}
