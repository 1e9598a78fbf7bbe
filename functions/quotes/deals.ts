/**
 * The one place the quotes feature reads a deal (helper G's item, key from data/keys.ts): the deal
 * decides row level (its owner) and names the customer an accepted quote's order belongs to.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';

export interface DealForQuote {
  id: string;
  name: string;
  customerId: string;
  ownerId: string;
  status: string;
  amount?: { amount: number; currency: string };
}

export function toDealForQuote(item: Record<string, unknown> | undefined): DealForQuote | undefined {
  if (!item) return undefined;
  return {
    id: item.id as string,
    name: item.name as string,
    customerId: item.customerId as string,
    ownerId: item.ownerId as string,
    status: item.status as string,
    amount: item.amount as DealForQuote['amount'],
  };
}

export async function getDealForQuote(dealId: string): Promise<DealForQuote | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: keys.deal.primary(dealId), ConsistentRead: true }));
  return toDealForQuote(out.Item);
}
