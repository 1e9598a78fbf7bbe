/**
 * Knowledge-base rules: every write keeps a version (GET …/versions), optimistic concurrency,
 * audit. Articles are shared, not owned: `kb:read` with scope `all` reads drafts and published
 * articles; scope `own` reads published articles only (the self-service portal's role gets
 * `'kb:read': 'own'` — one line in functions/security/permissions.ts). A draft answers 404 to
 * such a caller, exactly like an unknown id.
 */
import type { output } from 'zod/mini';
import { auditItem, diff } from '../audit/audit';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { applyPatch } from '../data/records';
import { ConditionsFailed } from '../data/transaction';
import { Conflict, NotFound, PreconditionFailed } from '../http/problem';
import type { Scope } from '../security/permissions';
import type { Principal } from '../security/principal';
import type { ArticleCreate, ArticleListQuery, ArticlePatch, ArticleVersionsQuery } from '../../schemas/kb';
import { ARTICLE_FIELDS, type ArticleItem, toArticle, toSummary, toVersion } from './model';
import * as repo from './repository';

export const DEFAULT_LIMIT = 25;
const MAX_ATTEMPTS = 3;

/** Scope own of kb:read: published articles only. */
const publishedOnly = (scope: Scope) => scope === 'own';

function articleAudit(before: ArticleItem | undefined, after: ArticleItem, actor: Principal, now: Date) {
  const changes = diff(before, after, ARTICLE_FIELDS, []);
  const item = auditItem({ customerId: '-', entityType: 'article', entityId: after.id, action: before ? 'updated' : 'created', actor, at: now, version: after.version, changes });
  return { ...item, ...keys.article.audit(after.id, item.at as string, item.id as string) };
}

export async function createArticle(principal: Principal, body: output<ReturnType<typeof ArticleCreate>>, now: Date) {
  const at = now.toISOString();
  const status = body.status ?? 'draft';
  const item: ArticleItem = {
    id: newId('kba'),
    title: body.title,
    body: body.body,
    category: body.category,
    tags: body.tags ?? [],
    status,
    authorId: principal.userId,
    ...(status === 'published' ? { publishedAt: at } : {}),
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  await repo.saveArticle(undefined, item, articleAudit(undefined, item, principal, now));
  return toArticle(item);
}

/** The article if the caller may read it: one Query (article and body). */
async function loadVisible(id: string, scope: Scope) {
  const item = await repo.getArticle(id);
  if (!item || (publishedOnly(scope) && item.status !== 'published')) throw NotFound('No such article');
  return item;
}

export async function getArticle(scope: Scope, id: string) {
  return toArticle(await loadVisible(id, scope));
}

export async function updateArticle(principal: Principal, id: string, patch: output<ReturnType<typeof ArticlePatch>>, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getArticle(id);
    if (!current) throw NotFound('No such article');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const merged = applyPatch(current, patch);
    if (diff(current, merged, ARTICLE_FIELDS, []).length === 0) return toArticle(current);
    const at = now.toISOString();
    const next: ArticleItem = {
      ...merged,
      ...(merged.status === 'published' && current.status !== 'published' ? { publishedAt: at } : {}),
      version: current.version + 1,
      updatedAt: at,
      updatedBy: principal.userId,
    };
    try {
      await repo.saveArticle(current, next, articleAudit(current, next, principal, now));
      return toArticle(next);
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.some((l) => l === 'article' || l === 'version')) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The article is being changed by someone else right now; retry');
    }
  }
}

/** Title-prefix search within a status and/or category: one Query per page. */
export async function listArticles(scope: Scope, query: output<ReturnType<typeof ArticleListQuery>>) {
  const status = publishedOnly(scope) ? 'published' : query.status;
  const partition = keys.article.listPartition(status, query.category);
  const prefix = query.q ? keys.article.titlePrefix(query.q) || undefined : undefined;
  const fingerprint = JSON.stringify(['kb', partition.value, prefix ?? '']);
  const page = await repo.queryArticles(partition, prefix, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toSummary), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** An article's versions, newest first: one GetItem (visibility) and one Query per page. */
export async function listVersions(scope: Scope, id: string, query: output<ReturnType<typeof ArticleVersionsQuery>>) {
  // The portal reads current published articles, not their drafting history.
  if (publishedOnly(scope)) throw NotFound('No such article');
  await loadVisible(id, scope);
  const fingerprint = JSON.stringify(['kb-versions', id]);
  const page = await repo.queryVersions(id, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toVersion), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}
