/**
 * API keys as stored and as returned. A key is `crm_<keyId>_<secret>`: the key id (`key_<ULID>`)
 * finds the item with one GetItem, and the item holds only the SHA-256 of the whole key — a
 * 256-bit random secret needs no slow hash, and nothing stored lets anyone rebuild the key.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Action, Role } from '../security/permissions';
import { defaultRateLimit } from './rate-policy';

export interface ApiKeyItem {
  id: string;
  name: string;
  role: Role;
  scopes?: Action[];
  /** Requests per minute for this key; absent: the stage's default (functions/apikeys/rate-policy.ts). */
  rateLimitPerMinute?: number;
  /** Hex SHA-256 of the whole key. */
  hash: string;
  /** `crm_key_01J…` (the key id part): recognisable in a list, useless to authenticate. */
  prefix: string;
  expiresAt?: string;
  revokedAt?: string;
  revokedBy?: string;
  lastUsedAt?: string;
  createdAt: string;
  createdBy: string;
  /** Bumped by every change (PATCH, revocation): If-Match and the audit trail use it. */
  version?: number;
  updatedAt?: string;
  updatedBy?: string;
}

const KEY_PATTERN = /^crm_(key_[0-9A-HJKMNP-TV-Z]{26})_([A-Za-z0-9_-]{43})$/;

/** A new key for `keyId`: its text (shown once) and the hash to store. */
export function newKey(keyId: string): { key: string; hash: string; prefix: string } {
  const key = `crm_${keyId}_${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashKey(key), prefix: `crm_${keyId}` };
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The key id a presented key names, or undefined when it is no CRM key at all. */
export function keyIdOf(key: string): string | undefined {
  return KEY_PATTERN.exec(key)?.[1];
}

/** Constant-time comparison of a presented key with the stored hash. */
export function matchesHash(key: string, hash: string): boolean {
  const a = Buffer.from(hashKey(key), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function statusOf(item: Pick<ApiKeyItem, 'revokedAt' | 'expiresAt'>, now: Date): 'active' | 'expired' | 'revoked' {
  if (item.revokedAt) return 'revoked';
  if (item.expiresAt && Date.parse(item.expiresAt) <= now.getTime()) return 'expired';
  return 'active';
}

export function toApiKey(item: ApiKeyItem, now: Date) {
  return {
    id: item.id,
    name: item.name,
    role: item.role,
    scopes: item.scopes,
    rateLimitPerMinute: item.rateLimitPerMinute ?? defaultRateLimit(),
    rateLimitDefault: item.rateLimitPerMinute === undefined,
    prefix: item.prefix,
    expiresAt: item.expiresAt,
    revokedAt: item.revokedAt,
    lastUsedAt: item.lastUsedAt,
    status: statusOf(item, now),
    createdAt: item.createdAt,
    createdBy: item.createdBy,
    ...(item.updatedAt ? { updatedAt: item.updatedAt } : {}),
    version: item.version ?? 1,
  };
}

/**
 * The key a request presents: `Authorization: ApiKey <key>` or `x-api-key: <key>` (header names
 * lower-case, as API Gateway's payload v2 delivers them). Undefined when neither is there.
 */
export function presentedKey(headers: Record<string, string | undefined> | undefined): string | undefined {
  const authorization = headers?.authorization?.trim();
  const fromAuthorization = authorization && /^apikey\s+/i.test(authorization) ? authorization.replace(/^apikey\s+/i, '').trim() : undefined;
  return fromAuthorization || headers?.['x-api-key']?.trim() || undefined;
}
