/** Pipelines: DynamoDB access only. */
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import { Transaction } from '../data/transaction';
import { defaultPipeline, DEFAULT_PIPELINE_ID, type PipelineItem } from './model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

function strip(item: Stored | undefined): PipelineItem | undefined {
  return item ? withoutKeys<PipelineItem>(item) : undefined;
}

export const pipelineStored = (p: PipelineItem): Stored => ({ ...keys.pipeline.primary(p.id), ...keys.pipeline.list(p.name, p.id), kind: 'pipeline', ...p });

/** One strongly consistent GetItem. */
export async function getPipeline(id: string): Promise<PipelineItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.pipeline.primary(id), ConsistentRead: true }));
  return strip(out.Item);
}

/**
 * The default pipeline, created on first use with a conditional Put (attribute_not_exists): the
 * first caller creates it, concurrent callers lose the condition and read the winner's item.
 * Costs one GetItem once it exists.
 */
export async function ensureDefaultPipeline(now: Date): Promise<PipelineItem> {
  const existing = await getPipeline(DEFAULT_PIPELINE_ID);
  if (existing) return existing;
  const item = defaultPipeline(now);
  try {
    await ddb().send(new PutCommand({ TableName: table(), Item: pipelineStored(item), ConditionExpression: 'attribute_not_exists(pk)' }));
    return item;
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    return (await getPipeline(DEFAULT_PIPELINE_ID))!;
  }
}

/** Pipelines by name: one Query per page on gsi1. */
export async function queryPipelines(limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.pipeline.listPartition },
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => strip(i)!), lastKey: out.LastEvaluatedKey };
}

/** Creates (before undefined) or replaces a pipeline if its version is unchanged. Label: `pipeline`. */
export async function savePipeline(before: PipelineItem | undefined, after: PipelineItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  tx.put('pipeline', pipelineStored(after), before
    ? { expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': before.version } }
    : { expression: 'attribute_not_exists(pk)' });
  tx.put('audit', audit);
  await tx.commit();
}
