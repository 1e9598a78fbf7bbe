/**
 * Route rows served by the `kb` feature (knowledge base), in table order. functions/api/routes.ts
 * assembles every feature's rows into the one route table.
 */
import type { RouteDef } from '../api/route-def';
import { PERMISSIONS, ROLES } from '../security/permissions';
import { Article, ArticleCreate, ArticleIdParam, ArticleListQuery, ArticlePage, ArticlePatch, ArticleVersionPage, ArticleVersionsQuery } from '../../schemas/kb';

/**
 * What scope `own` of kb:read means, stated on a route (and in the API docs) once a role holds it:
 * giving the self-service portal's role `'kb:read': 'own'` in functions/security/permissions.ts
 * is then the one change that opens published articles to it (the services already answer such a
 * caller with published articles only).
 */
const ownKbRead = (meaning: string) => (ROLES.some((role) => PERMISSIONS[role]['kb:read'] === 'own') ? meaning : undefined);

export const routes = [
  // knowledge base (C5): shared articles, not owned records
  { method: 'POST', path: '/v1/kb/articles', feature: 'kb', operation: 'createArticle', tag: 'Knowledge base', summary: 'Write an article (Markdown body; draft by default)', permission: 'kb:write', body: ArticleCreate, response: { status: 201, schema: Article }, idempotent: true },
  { method: 'GET', path: '/v1/kb/articles', feature: 'kb', operation: 'listArticles', tag: 'Knowledge base', summary: 'Articles by title; q (title prefix), category, status', permission: 'kb:read', scope: ownKbRead('published articles only (status is always published)'), query: ArticleListQuery, response: { status: 200, schema: ArticlePage } },
  { method: 'GET', path: '/v1/kb/articles/{articleId}', feature: 'kb', operation: 'getArticle', tag: 'Knowledge base', summary: 'Read an article with its body rendered to safe HTML', permission: 'kb:read', scope: ownKbRead('published articles only; a draft answers 404, exactly like an unknown id'), params: ArticleIdParam, response: { status: 200, schema: Article }, errors: [404] },
  { method: 'PATCH', path: '/v1/kb/articles/{articleId}', feature: 'kb', operation: 'updateArticle', tag: 'Knowledge base', summary: 'Change or publish an article (each change is kept as a version)', permission: 'kb:write', params: ArticleIdParam, body: ArticlePatch, response: { status: 200, schema: Article }, errors: [404, 409, 412], conditional: true },
  { method: 'GET', path: '/v1/kb/articles/{articleId}/versions', feature: 'kb', operation: 'listArticleVersions', tag: 'Knowledge base', summary: 'An article\'s versions, newest first', permission: 'kb:read', scope: ownKbRead('no versions: every article answers 404'), params: ArticleIdParam, query: ArticleVersionsQuery, response: { status: 200, schema: ArticleVersionPage }, errors: [404] },
] as const satisfies readonly RouteDef[];
