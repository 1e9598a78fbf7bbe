/**
 * The caller's in-app notifications. Scope is always `own`: the caller's id is part of every key,
 * so another user's notification id is simply not found (404).
 */
import { decodeCursor, encodeCursor } from '../data/cursor';
import { NotFound } from '../http/problem';
import type { Principal } from '../security/principal';
import { toNotification } from './model';
import * as repo from './repository';
import type { Infer } from '../../schemas/once';
import type { NotificationListQuery } from '../../schemas/notifications';

export const DEFAULT_LIMIT = 25;
/** read-all marks at most this many per call (bounded work per request); `more` says to call again. */
export const READ_ALL_BATCH = 100;
const PARALLEL_UPDATES = 10;

export async function listNotifications(principal: Principal, query: Infer<typeof NotificationListQuery>) {
  const unread = query.unread === 'true';
  const fingerprint = `notifications:${principal.userId}:${unread}`;
  const page = await repo.queryNotifications(principal.userId, unread, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toNotification), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

export async function markRead(principal: Principal, id: string, now: Date) {
  const item = await repo.markRead(principal.userId, id, now);
  if (!item) throw NotFound('No such notification');
  return toNotification(item);
}

/** Marks up to READ_ALL_BATCH unread notifications read. Idempotent: a repeat marks what is left. */
export async function markAllRead(principal: Principal, now: Date) {
  const { ids, more } = await repo.unreadIds(principal.userId, READ_ALL_BATCH);
  let marked = 0;
  for (let i = 0; i < ids.length; i += PARALLEL_UPDATES) {
    const results = await Promise.all(ids.slice(i, i + PARALLEL_UPDATES).map((id) => repo.markRead(principal.userId, id, now)));
    marked += results.filter(Boolean).length;
  }
  return { marked, more };
}
