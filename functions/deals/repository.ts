/** Deals, stage history and quotas: DynamoDB access only. */
import { queryIndexPage } from '../data/query';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import type { IndexName } from '../data/table';
import type { DealItem, StageHistoryItem } from './model';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

function strip<T>(item: Stored | undefined): T | undefined {
  return item ? withoutKeys<T>(item) : undefined;
}

export const dealStored = (d: DealItem): Stored => ({ ...keys.deal.primary(d.id), ...keys.deal.indexes(d), kind: 'deal', ...d });
export const historyStored = (dealId: string, h: StageHistoryItem): Stored => ({ ...keys.deal.history(dealId, h.n), kind: 'deal-stage', dealId, ...h });

/** One strongly consistent GetItem. */
export async function getDeal(id: string): Promise<DealItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.deal.primary(id), ConsistentRead: true }));
  return strip<DealItem>(out.Item);
}

/** Stage history in order: one Query on the deal's partition (`#HIST#` prefix). */
export async function getHistory(id: string): Promise<StageHistoryItem[]> {
  const items: StageHistoryItem[] = [];
  let startKey: Stored | undefined;
  do {
    const out = await ddb().send(new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.deal.partition(id), ':prefix': keys.deal.historyPrefix },
      ConsistentRead: true,
      ExclusiveStartKey: startKey,
    }));
    for (const i of out.Items ?? []) {
      const { dealId: _d, ...h } = strip<Stored>(i)!;
      items.push(h as unknown as StageHistoryItem);
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}

export interface DealQueryPlan {
  index: IndexName;
  partition: string;
  /** Sort-key range [from, to] or a prefix. */
  from?: string;
  to?: string;
  prefix?: string;
  filters: Record<string, string>;
}

/** One Query per page; other filters are a FilterExpression on that Query. */
export async function queryDeals(plan: DealQueryPlan, limit: number, startKey: Stored | undefined) {
  const sort = plan.prefix !== undefined
    ? { prefix: plan.prefix }
    : plan.from !== undefined || plan.to !== undefined
      ? { between: [plan.from ?? '', plan.to ?? '~~'] as [string, string] }
      : undefined;
  const page = await queryIndexPage<DealItem>({ index: plan.index, partition: plan.partition, sort, equals: plan.filters }, limit, startKey);
  return { items: page.items, lastKey: page.lastKey };
}

/** Won deals of an owner closed in [from, to): one Query per page on gsi3. */
export async function queryWon(ownerId: string, from: string, to: string, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi3',
    KeyConditionExpression: 'gsi3pk = :pk AND gsi3sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': keys.deal.closedPartition(ownerId, 'won'), ':from': from, ':to': to },
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => strip<DealItem>(i)!), lastKey: out.LastEvaluatedKey };
}

// Quotas -----------------------------------------------------------------------------------------

export interface QuotaItem {
  userId: string;
  period: string;
  amount: { amount: number; currency: string };
  version: number;
  updatedAt: string;
  updatedBy: string;
}

export const quotaStored = (q: QuotaItem): Stored => ({ ...keys.quota.primary(q.userId, q.period), ...keys.quota.byPeriod(q.period, q.userId), kind: 'quota', ...q });

/** One GetItem. */
export async function getQuota(userId: string, period: string): Promise<QuotaItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.quota.primary(userId, period), ConsistentRead: true }));
  return strip<QuotaItem>(out.Item);
}

/** All quotas of a period: one Query per page on gsi1. */
export async function queryQuotas(period: string, limit: number, startKey: Stored | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.quota.periodPartition(period) },
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => strip<QuotaItem>(i)!), lastKey: out.LastEvaluatedKey };
}
