/**
 * One page of a list: a single Query on one index partition, optionally narrowed on the sort key,
 * with any further equality or list-membership filters as a FilterExpression on the same Query.
 * Every list endpoint builds its plan (which index, which partition) and pages through this.
 *
 * Filters narrow what the caller may already see; they are never the row-level check. A caller
 * with scope `own` reads a partition keyed by their own id (owner, assignee) — filtering a shared
 * partition down to `ownerId = me` would bill them for everyone's items and leave another user's
 * key in LastEvaluatedKey, i.e. in the cursor (docs/access-patterns.md, "Own-scope lists").
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from './client';
import { INDEX_KEYS, withoutKeys } from './records';
import type { IndexName } from './table';

export interface IndexQuery {
  index: IndexName;
  partition: string;
  /** Sort-key condition: a prefix (name search), an upper bound, or an inclusive range. */
  sort?: { prefix: string } | { lt: string } | { between: [string, string] };
  /** attribute = value, for filters the index does not cover. */
  equals?: Record<string, string>;
  /** contains(list attribute, value), e.g. a tag. */
  contains?: Record<string, string>;
  /** Ascending by sort key unless false. */
  forward?: boolean;
}

export async function queryIndexPage<T = Record<string, unknown>>(query: IndexQuery, limit: number, startKey: Record<string, unknown> | undefined) {
  const [pkName, skName] = INDEX_KEYS[query.index];
  const names: Record<string, string> = { '#pk': pkName };
  const values: Record<string, unknown> = { ':pk': query.partition };
  let keyCondition = '#pk = :pk';
  const sort = query.sort;
  if (sort) {
    names['#sk'] = skName;
    if ('prefix' in sort) {
      values[':prefix'] = sort.prefix;
      keyCondition += ' AND begins_with(#sk, :prefix)';
    } else if ('lt' in sort) {
      values[':lt'] = sort.lt;
      keyCondition += ' AND #sk < :lt';
    } else {
      values[':from'] = sort.between[0];
      values[':to'] = sort.between[1];
      keyCondition += ' AND #sk BETWEEN :from AND :to';
    }
  }
  const filters: string[] = [];
  let n = 0;
  for (const [field, value] of Object.entries(query.equals ?? {})) {
    names[`#f${n}`] = field;
    values[`:f${n}`] = value;
    filters.push(`#f${n} = :f${n}`);
    n++;
  }
  for (const [field, value] of Object.entries(query.contains ?? {})) {
    names[`#f${n}`] = field;
    values[`:f${n}`] = value;
    filters.push(`contains(#f${n}, :f${n})`);
    n++;
  }
  const out = await ddb().send(
    new QueryCommand({
      TableName: config().tableName,
      IndexName: query.index,
      KeyConditionExpression: keyCondition,
      ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: query.forward ?? true,
      Limit: limit,
      ExclusiveStartKey: startKey,
    }),
  );
  return { items: (out.Items ?? []).map((item) => withoutKeys<T>(item)), lastKey: out.LastEvaluatedKey };
}
