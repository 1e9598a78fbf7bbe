/**
 * Commission plans: the plan item and one assignment item per user (a user is on at most one
 * plan), written together in one transaction (labels `plan`, `assign:<userId>`).
 */
import { withoutKeys } from '../data/records';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { Transaction } from '../data/transaction';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

export interface PlanItem {
  id: string;
  name: string;
  currency: string;
  rateBp: number;
  acceleratorRateBp?: number;
  userIds: string[];
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

function strip(item: Stored | undefined): PlanItem | undefined {
  return item ? withoutKeys<PlanItem>(item) : undefined;
}

export async function getPlan(id: string): Promise<PlanItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.commissionPlan.primary(id), ConsistentRead: true }));
  return strip(out.Item);
}

export async function getAssignment(userId: string): Promise<string | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.commissionPlan.assignment(userId), ConsistentRead: true }));
  return out.Item?.planId as string | undefined;
}

export async function savePlan(before: PlanItem | undefined, after: PlanItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  tx.put('plan', { ...keys.commissionPlan.primary(after.id), ...keys.commissionPlan.list(after.id), kind: 'commission-plan', ...after },
    before ? { expression: 'version = :v', values: { ':v': before.version } } : { expression: 'attribute_not_exists(pk)' });
  const old = new Set(before?.userIds ?? []);
  const now = new Set(after.userIds);
  for (const userId of old) {
    if (!now.has(userId)) tx.delete(`release:${userId}`, keys.commissionPlan.assignment(userId), { expression: 'attribute_not_exists(pk) OR planId = :plan', values: { ':plan': after.id } });
  }
  for (const userId of now) {
    if (!old.has(userId)) {
      tx.put(`assign:${userId}`, { ...keys.commissionPlan.assignment(userId), kind: 'commission-assignment', userId, planId: after.id }, { expression: 'attribute_not_exists(pk) OR planId = :plan', values: { ':plan': after.id } });
    }
  }
  tx.put('audit', audit);
  await tx.commit();
}

export async function queryPlans(limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.commissionPlan.listPartition },
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => strip(i)!), lastKey: out.LastEvaluatedKey };
}
