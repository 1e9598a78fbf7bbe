/** DynamoDB access for territories: one versioned rules item, one atomic counter per team rule. */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { Transaction } from '../data/transaction';
import { EMPTY_TERRITORIES, type StoredTerritories } from './rules';

export async function getTerritories(): Promise<StoredTerritories> {
  const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: keys.territories.current(), ConsistentRead: true }));
  if (!out.Item) return { ...EMPTY_TERRITORIES };
  const { pk: _pk, sk: _sk, kind: _kind, ...rest } = out.Item;
  return rest as StoredTerritories;
}

/** Replaces the rules; condition label `territories`: the version read is still current. */
export async function saveTerritories(beforeVersion: number, next: StoredTerritories, audit: Record<string, unknown>): Promise<void> {
  const tx = new Transaction();
  tx.put(
    'territories',
    { ...keys.territories.current(), kind: 'territories', ...next },
    beforeVersion === 0 ? { expression: 'attribute_not_exists(pk)' } : { expression: 'version = :v', values: { ':v': beforeVersion } },
  );
  tx.put('audit', audit);
  await tx.commit();
}

/**
 * Advances a team rule's round-robin counter and returns the new value: one UpdateItem with ADD
 * and ReturnValues, so concurrent callers each get a distinct number (no read-then-write race).
 */
export async function nextTurn(ruleId: string): Promise<number> {
  const out = await ddb().send(new UpdateCommand({
    TableName: config().tableName,
    Key: keys.territories.roundRobin(ruleId),
    UpdateExpression: 'ADD turns :one SET kind = :kind',
    ExpressionAttributeValues: { ':one': 1, ':kind': 'territory-counter' },
    ReturnValues: 'UPDATED_NEW',
  }));
  return Number(out.Attributes?.turns ?? 1);
}
