import * as z from './zod';
import { once } from './once';
import { Id, IdParam, PageQuery, RecordMeta, Timestamp, pageOf } from './common';
import { Category } from './shared';
import { multilineText, text } from './text';

export const ARTICLE_STATUSES = ['draft', 'published'] as const;
/** Longest article body in characters (Markdown source). */
export const MAX_ARTICLE_BODY = 50_000;

const Tags = once(() => z.array(text(50)).check(
  z.maxLength(20),
  z.refine((tags) => new Set(tags).size === tags.length, 'Each tag at most once'),
));

const Body = once(() => multilineText(MAX_ARTICLE_BODY).check(z.meta({
  description: 'Markdown (a safe subset: headings, paragraphs, **bold**, *italic*, `code`, fenced code, lists, quotes, links to http(s)/mailto/relative URLs). Raw HTML is shown as text.',
})));

export const ArticleCreate = once(() => z
  .strictObject({
    title: text(200),
    body: Body(),
    category: Category(),
    tags: z.optional(Tags()),
    status: z.optional(z.enum(ARTICLE_STATUSES).check(z.meta({ description: 'Default draft' }))),
  })
  .check(z.meta({ id: 'ArticleCreate' })));

export const ArticlePatch = once(() => z
  .strictObject({
    title: z.optional(text(200)),
    body: z.optional(Body()),
    category: z.optional(Category()),
    tags: z.optional(Tags()),
    status: z.optional(z.enum(ARTICLE_STATUSES)),
  })
  .check(
    z.refine((v) => Object.keys(v).length > 0, 'Send at least one field to change'),
    z.meta({ id: 'ArticlePatch', description: 'Fields to change; every change is kept as a version (GET …/versions).' }),
  ));

export const Article = once(() => z
  .object({
    id: Id('kba'),
    title: z.string(),
    body: z.string().check(z.meta({ description: 'Markdown source' })),
    bodyHtml: z.string().check(z.meta({ description: 'The body rendered to HTML; every character of the source is escaped, only the supported Markdown becomes tags' })),
    category: z.string(),
    tags: z.array(z.string()),
    status: z.enum(ARTICLE_STATUSES),
    authorId: z.string(),
    publishedAt: z.optional(Timestamp().check(z.meta({ description: 'When the article was last published' }))),
    ...RecordMeta(),
  })
  .check(z.meta({ id: 'Article' })));

/** List entries carry no body: a page of 100 articles stays small. */
export const ArticleSummary = once(() => z
  .object({
    id: Id('kba'),
    title: z.string(),
    category: z.string(),
    tags: z.array(z.string()),
    status: z.enum(ARTICLE_STATUSES),
    authorId: z.string(),
    publishedAt: z.optional(Timestamp()),
    version: z.int(),
    updatedAt: Timestamp(),
  })
  .check(z.meta({ id: 'ArticleSummary' })));

export const ArticlePage = once(() => pageOf(ArticleSummary(), 'ArticlePage'));

export const ArticleListQuery = once(() => z.strictObject({
  ...PageQuery(),
  q: z.optional(text(100).check(z.meta({ description: 'Title prefix; case- and accent-insensitive' }))),
  category: z.optional(Category()),
  status: z.optional(z.enum(ARTICLE_STATUSES).check(z.meta({ description: 'Only drafts or only published articles (callers who read published articles only always get those)' }))),
}));

export const ArticleVersion = once(() => z
  .object({
    articleId: Id('kba'),
    version: z.int(),
    title: z.string(),
    body: z.string(),
    category: z.string(),
    tags: z.array(z.string()),
    status: z.enum(ARTICLE_STATUSES),
    editedBy: z.string(),
    editedAt: Timestamp(),
  })
  .check(z.meta({ id: 'ArticleVersion' })));

export const ArticleVersionPage = once(() => pageOf(ArticleVersion(), 'ArticleVersionPage'));
export const ArticleVersionsQuery = once(() => z.strictObject({ ...PageQuery() }));

/** Named `articleId` (not `id`): articles are shared, not records owned through a customer. */
export const ArticleIdParam = IdParam('kba', 'articleId');
