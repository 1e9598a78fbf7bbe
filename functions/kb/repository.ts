/**
 * DynamoDB access for knowledge-base articles. The article item carries the list index keys but no
 * body; the body is its own item beside it (`#ARTICLE#BODY`), so the four index copies stay small
 * (an article body may be 50 KB) and a write that leaves the body alone does not rewrite it.
 * Every write is one labelled transaction: the article (new, or `version` unchanged), the body
 * when new or changed, the version item (`#VER#<n>`, new), the audit entry. Lists are one Query
 * page of one title-sorted partition (keys.article.listPartition).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { INDEX_KEYS, withoutKeys } from '../data/records';
import { Transaction } from '../data/transaction';
import { type ArticleItem, type ArticleVersionItem, versionOf } from './model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;
export type ArticleMeta = Omit<ArticleItem, 'body'>;

function stored(a: ArticleItem): Stored {
  const { body: _body, ...meta } = a;
  return { ...keys.article.primary(a.id), ...keys.article.indexes(a), kind: 'article', ...meta };
}

/** The article with its body: one strongly consistent Query of `#ARTICLE` and `#ARTICLE#BODY`. */
export async function getArticle(id: string): Promise<ArticleItem | undefined> {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.article.partition(id), ':prefix': keys.article.recordPrefix },
    ConsistentRead: true,
  }));
  const items = out.Items ?? [];
  const meta = items.find((i) => i.sk === keys.article.primary(id).sk);
  if (!meta) return undefined;
  const body = items.find((i) => i.sk === keys.article.body(id).sk);
  return { ...withoutKeys<ArticleMeta>(meta), body: (body?.body as string | undefined) ?? '' };
}

export async function saveArticle(before: ArticleItem | undefined, after: ArticleItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  tx.put('article', stored(after), before ? { expression: 'version = :v', values: { ':v': before.version } } : { expression: 'attribute_not_exists(pk)' });
  if (!before || before.body !== after.body) tx.put('body', { ...keys.article.body(after.id), kind: 'article-body', articleId: after.id, body: after.body });
  tx.put('version', { ...keys.article.version(after.id, after.version), kind: 'article-version', ...versionOf(after) }, { expression: 'attribute_not_exists(pk)' });
  tx.put('audit', audit);
  await tx.commit();
}

export async function queryArticles(partition: { index: 'gsi1' | 'gsi2' | 'gsi3' | 'gsi4'; value: string }, prefix: string | undefined, limit: number, startKey: Stored | undefined) {
  const [pkName, skName] = INDEX_KEYS[partition.index];
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: partition.index,
    KeyConditionExpression: prefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
    ExpressionAttributeNames: { '#pk': pkName, ...(prefix ? { '#sk': skName } : {}) },
    ExpressionAttributeValues: { ':pk': partition.value, ...(prefix ? { ':prefix': prefix } : {}) },
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<ArticleMeta>(i)), lastKey: out.LastEvaluatedKey };
}

/** One page of an article's versions, newest first. */
export async function queryVersions(id: string, limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': keys.article.partition(id), ':prefix': keys.article.versionPrefix },
    ScanIndexForward: false,
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<ArticleVersionItem>(i)), lastKey: out.LastEvaluatedKey };
}
