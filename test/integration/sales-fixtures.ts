/**
 * Fixtures for the quotes, orders and commissions tests. Deals belong to the deals feature; these
 * tests store a deal item exactly as that feature does (keys from functions/data/keys.ts), so they
 * exercise quotes against the real key layout without depending on the deal routes' inputs.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { keys, newId } from '../../functions/data/keys';
import type { TestStack } from '../support/stack';

export async function createCustomer(crm: TestStack, ownerId: string): Promise<string> {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Buyer ${Math.random().toString(36).slice(2)}`, ownerId } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

export interface DealFixture {
  id: string;
  customerId: string;
  ownerId: string;
}

export async function putDeal(crm: TestStack, d: { ownerId: string; customerId: string; amount?: { amount: number; currency: string }; status?: 'open' | 'won' | 'lost'; closedAt?: string; name?: string }): Promise<DealFixture> {
  const id = newId('deal');
  const at = new Date().toISOString();
  const deal = {
    id,
    name: d.name ?? `Deal ${id.slice(-6)}`,
    customerId: d.customerId,
    ownerId: d.ownerId,
    pipelineId: 'pip_00000000000000000000000000',
    stageId: 'stg_00000000000000000000000000',
    amount: d.amount ?? { amount: 100_000, currency: 'EUR' },
    probability: 50,
    status: d.status ?? 'open',
    ...(d.closedAt ? { closedAt: d.closedAt } : {}),
    stageEnteredAt: at,
    historyCount: 1,
    stagesEntered: ['stg_00000000000000000000000000'],
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: 'fixture',
    updatedBy: 'fixture',
  };
  await crm.ddb.send(new PutCommand({ TableName: crm.tableName, Item: { ...keys.deal.primary(id), ...keys.deal.indexes(deal), kind: 'deal', ...deal } }));
  return { id, customerId: d.customerId, ownerId: d.ownerId };
}

let skuSeq = 0;
export async function createProduct(crm: TestStack, body: Record<string, unknown> = {}): Promise<any> {
  const res = await crm.request('POST', '/v1/products', {
    role: 'admin',
    body: { sku: `SKU-${Date.now().toString(36)}-${skuSeq++}`, name: 'Widget', prices: [{ amount: 1999, currency: 'EUR' }, { amount: 2199, currency: 'USD' }], taxRateBp: 1900, ...body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

export const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** A sent quote on a fresh deal of `ownerId` (one free-text line: 2 × 50.00 at 19 %). */
export async function sentQuote(crm: TestStack, ownerId: string, customerId?: string): Promise<{ quote: any; deal: DealFixture }> {
  const deal = await putDeal(crm, { ownerId, customerId: customerId ?? (await createCustomer(crm, ownerId)) });
  const created = await crm.request('POST', `/v1/deals/${deal.id}/quotes`, {
    role: 'admin',
    body: { validUntil: inDays(30), lines: [{ description: 'Consulting day', unitPrice: 5000, quantity: 2, taxRateBp: 1900 }] },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const sent = await crm.request('POST', `/v1/quotes/${created.body.id}/send`, { role: 'admin' });
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  return { quote: sent.body, deal };
}
