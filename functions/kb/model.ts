/** Knowledge-base articles and their versions, as stored and as returned. */
import { renderMarkdown } from './markdown';

export type ArticleStatus = 'draft' | 'published';

export interface ArticleItem {
  id: string;
  title: string;
  /** Markdown source; rendered on read, so a renderer fix applies to every article at once. */
  body: string;
  category: string;
  tags: string[];
  status: ArticleStatus;
  authorId: string;
  publishedAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

/** One version item per write (`KBA#<id>` / `#VER#<version>`): the article as it was saved. */
export interface ArticleVersionItem {
  articleId: string;
  version: number;
  title: string;
  body: string;
  category: string;
  tags: string[];
  status: ArticleStatus;
  editedBy: string;
  editedAt: string;
}

export const ARTICLE_FIELDS = ['title', 'body', 'category', 'tags', 'status'] as const;

export async function toArticle(item: ArticleItem) {
  return {
    id: item.id,
    title: item.title,
    body: item.body,
    bodyHtml: await renderMarkdown(item.body),
    category: item.category,
    tags: item.tags,
    status: item.status,
    authorId: item.authorId,
    publishedAt: item.publishedAt,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}

export function toSummary(item: Omit<ArticleItem, 'body'>) {
  return {
    id: item.id,
    title: item.title,
    category: item.category,
    tags: item.tags,
    status: item.status,
    authorId: item.authorId,
    publishedAt: item.publishedAt,
    version: item.version,
    updatedAt: item.updatedAt,
  };
}

export function versionOf(item: ArticleItem): ArticleVersionItem {
  return {
    articleId: item.id,
    version: item.version,
    title: item.title,
    body: item.body,
    category: item.category,
    tags: item.tags,
    status: item.status,
    editedBy: item.updatedBy,
    editedAt: item.updatedAt,
  };
}

export function toVersion(item: ArticleVersionItem) {
  return { ...item };
}
