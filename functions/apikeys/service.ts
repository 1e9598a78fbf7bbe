/**
 * API key rules: admins create keys bound to a role (and optionally fewer permissions: scopes);
 * the key is returned once and only its hash is stored; revocation is permanent. A request made
 * with an API key may not manage keys, so a leaked key cannot mint successors that outlive its
 * revocation.
 */
import { decodeCursor, encodeCursor } from '../data/cursor';
import { newId } from '../data/keys';
import { Forbidden, NotFound } from '../http/problem';
import type { Action, Role } from '../security/permissions';
import type { Principal } from '../security/principal';
import { type ApiKeyItem, newKey, toApiKey } from './model';
import * as repo from './repository';

export const DEFAULT_LIMIT = 25;

function humansOnly(principal: Principal): void {
  if (principal.apiKeyId) throw Forbidden('API keys cannot manage API keys; sign in as an admin');
}

export async function createKey(principal: Principal, body: { name: string; role: Role; scopes?: Action[]; expiresAt?: string }, now: Date) {
  humansOnly(principal);
  const id = newId('key');
  const { key, hash, prefix } = newKey(id);
  const item: ApiKeyItem = {
    id, name: body.name, role: body.role,
    ...(body.scopes ? { scopes: body.scopes } : {}),
    hash, prefix,
    ...(body.expiresAt ? { expiresAt: body.expiresAt } : {}),
    createdAt: now.toISOString(), createdBy: principal.userId,
  };
  await repo.putKey(item);
  return { ...toApiKey(item, now), key };
}

export async function listKeys(principal: Principal, query: { limit?: number; cursor?: string }, now: Date) {
  humansOnly(principal);
  const fingerprint = JSON.stringify(['api-keys']);
  const page = await repo.queryKeys(query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map((item) => toApiKey(item, now)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

export async function revokeKey(principal: Principal, id: string, now: Date) {
  humansOnly(principal);
  const item = await repo.revokeKey(id, principal.userId, now.toISOString());
  if (!item) throw NotFound('No such API key');
  return toApiKey(item, now);
}
