/** Knowledge-base feature: articles and their versions. Parameter plumbing only. */
import { createHttpHandler, created, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('kb', routes, {
  createArticle: async ({ principal, body, now }) => {
    const article = await service.createArticle(principal, body, now);
    return created(article, `/v1/kb/articles/${article.id}`);
  },
  listArticles: async ({ scope, query }) => ok(await service.listArticles(scope, query)),
  getArticle: async ({ scope, params }) => ok(await service.getArticle(scope, params.articleId!)),
  updateArticle: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updateArticle(principal, params.articleId!, body, expectedVersion, now)),
  listArticleVersions: async ({ scope, params, query }) => ok(await service.listVersions(scope, params.articleId!, query)),
});
