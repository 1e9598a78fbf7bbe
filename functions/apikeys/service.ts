/**
 * API key rules: admins create keys bound to a role (and optionally fewer permissions: scopes);
 * the key is returned once and only its hash is stored; revocation is permanent. A request made
 * with an API key may not manage keys, so a leaked key cannot mint successors that outlive its
 * revocation. Every change (created, updated, revoked) writes an audit entry — and so an
 * `api-key.*` event — in its own transaction; never the key, its hash or its prefix.
 */
import { auditItem, diff } from '../audit/audit';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { Conflict, Forbidden, NotFound, PreconditionFailed } from '../http/problem';
import type { Action, Role } from '../security/permissions';
import type { Principal } from '../security/principal';
import { type ApiKeyItem, newKey, toApiKey } from './model';
import * as repo from './repository';

export const DEFAULT_LIMIT = 25;

/** What an audit entry may record of a key: never `hash` or `prefix`. */
const AUDITED_FIELDS = ['name', 'role', 'scopes', 'expiresAt', 'rateLimitPerMinute', 'revokedAt'] as const;

function humansOnly(principal: Principal): void {
  if (principal.apiKeyId) throw Forbidden('API keys cannot manage API keys; sign in as an admin');
}

function keyAudit(before: ApiKeyItem | undefined, after: ApiKeyItem, action: 'created' | 'updated' | 'revoked', actor: Principal, now: Date) {
  const changes = diff(before, after, AUDITED_FIELDS, []);
  const item = auditItem({ customerId: '-', entityType: 'api-key', entityId: after.id, action, actor, at: now, version: after.version ?? 1, changes });
  return { ...item, ...keys.apiKey.audit(after.id, String(item.at), String(item.id)) };
}

export async function createKey(principal: Principal, body: { name: string; role: Role; scopes?: Action[]; expiresAt?: string; rateLimitPerMinute?: number }, now: Date) {
  humansOnly(principal);
  const id = newId('key');
  const { key, hash, prefix } = newKey(id);
  const at = now.toISOString();
  const item: ApiKeyItem = {
    id, name: body.name, role: body.role,
    ...(body.scopes ? { scopes: body.scopes } : {}),
    ...(body.rateLimitPerMinute ? { rateLimitPerMinute: body.rateLimitPerMinute } : {}),
    hash, prefix,
    ...(body.expiresAt ? { expiresAt: body.expiresAt } : {}),
    createdAt: at, createdBy: principal.userId,
    version: 1, updatedAt: at, updatedBy: principal.userId,
  };
  await repo.putKey(item, keyAudit(undefined, item, 'created', principal, now));
  return { ...toApiKey(item, now), key };
}

export async function listKeys(principal: Principal, query: { limit?: number; cursor?: string }, now: Date) {
  humansOnly(principal);
  const fingerprint = JSON.stringify(['api-keys']);
  const page = await repo.queryKeys(query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map((item) => toApiKey(item, now)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/**
 * Applies `change` to the current key at its version (If-Match optional), with the audit entry;
 * `undefined` from `change` means nothing to do (answers the key as it is). A takes effect in the
 * authorizer within its cache time (CACHE_TTL_MS, functions/apikeys/verify.ts).
 */
async function mutate(principal: Principal, id: string, expectedVersion: number | undefined, now: Date, action: 'updated' | 'revoked', change: (current: ApiKeyItem) => ApiKeyItem | undefined) {
  humansOnly(principal);
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getKey(id);
    if (!current) throw NotFound('No such API key');
    const version = current.version ?? 1;
    if (expectedVersion !== undefined && expectedVersion !== version) throw PreconditionFailed();
    const changed = change(current);
    if (!changed) return toApiKey(current, now);
    const next: ApiKeyItem = { ...changed, version: version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    if (await repo.replaceKey(current, next, keyAudit(current, next, action, principal, now))) return toApiKey(next, now);
    if (expectedVersion !== undefined) throw PreconditionFailed();
    if (attempt >= 3) throw Conflict('The API key is being changed by someone else right now; retry');
  }
}

export async function updateKey(principal: Principal, id: string, patch: { name?: string; rateLimitPerMinute?: number | null }, expectedVersion: number | undefined, now: Date) {
  return mutate(principal, id, expectedVersion, now, 'updated', (current) => {
    const next: ApiKeyItem = { ...current };
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.rateLimitPerMinute === null) delete next.rateLimitPerMinute;
    else if (patch.rateLimitPerMinute !== undefined) next.rateLimitPerMinute = patch.rateLimitPerMinute;
    return next.name === current.name && next.rateLimitPerMinute === current.rateLimitPerMinute ? undefined : next;
  });
}

/** Revokes once: a second revocation keeps the first time and revoker (and writes nothing). */
export async function revokeKey(principal: Principal, id: string, now: Date) {
  return mutate(principal, id, undefined, now, 'revoked', (current) =>
    (current.revokedAt ? undefined : { ...current, revokedAt: now.toISOString(), revokedBy: principal.userId }));
}
