/** Forecast and report aggregates: DynamoDB access only (reads; writes happen in deal transactions). */
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import type { PipelineItem } from '../pipelines/model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

/**
 * Aggregate items of the months [first, last] of one year partition, optionally of one owner
 * (FilterExpression): one Query (more only past 1 MB, i.e. thousands of owner×currency rows).
 */
async function queryMonths(partition: string, first: string, last: string, filters: Record<string, string>): Promise<Stored[]> {
  const items: Stored[] = [];
  let startKey: Stored | undefined;
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ':pk': partition, ':from': first, ':to': `${last}~` };
  const conditions: string[] = [];
  for (const [field, value] of Object.entries(filters)) {
    names[`#f_${field}`] = field;
    values[`:f_${field}`] = value;
    conditions.push(`#f_${field} = :f_${field}`);
  }
  do {
    const out = await ddb().send(new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ...(conditions.length ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ExclusiveStartKey: startKey,
    }));
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export const forecastItems = (months: string[], filters: Record<string, string>) =>
  queryMonths(keys.forecast.partition(months[0]!.slice(0, 4)), months[0]!, months.at(-1)!, filters);

export const reportItems = (months: string[], filters: Record<string, string>) =>
  queryMonths(keys.salesReport.partition(months[0]!.slice(0, 4)), months[0]!, months.at(-1)!, filters);

/** Pipelines by id: one BatchGetItem (≤ 100 ids). */
export async function pipelinesByIds(ids: string[]): Promise<Map<string, PipelineItem>> {
  const result = new Map<string, PipelineItem>();
  if (ids.length === 0) return result;
  let request: Record<string, { Keys: Stored[] }> | undefined = { [table()]: { Keys: ids.slice(0, 100).map((id) => keys.pipeline.primary(id)) } };
  while (request && Object.keys(request).length) {
    const out: { Responses?: Record<string, Stored[]>; UnprocessedKeys?: Record<string, unknown> } = await ddb().send(new BatchGetCommand({ RequestItems: request }));
    for (const item of out.Responses?.[table()] ?? []) result.set(item.id as string, item as unknown as PipelineItem);
    request = out.UnprocessedKeys as typeof request;
  }
  return result;
}
