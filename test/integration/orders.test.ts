/**
 * Accepting a quote: the order (the customer's transaction record) and the customer's purchase
 * summary change in the same transaction as the quote; repeated or concurrent accepts create one
 * order; the customer's order history and orders follow the customer's owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';
import { createCustomer, inDays, putDeal, sentQuote } from './sales-fixtures';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

describe('accepting a quote', () => {
  it('creates the order and raises lifetime value and last purchase, visible on GET /v1/customers/{id}', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    const accepted = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toMatchObject({ status: 'accepted', orderId: expect.stringMatching(/^ord_/) });
    // GetItem quote, BatchGet deal + purchase summary, TransactWriteItems
    expect(accepted.headers.get('x-db-requests')).toBe('3');
    const order = await crm.request('GET', `/v1/orders/${accepted.body.orderId}`, { role: 'sales' });
    expect(order.status).toBe(200);
    expect(order.body).toMatchObject({ customerId: deal.customerId, dealId: deal.id, quoteId: quote.id, currency: 'EUR', totals: quote.totals, total: { amount: 11_900, currency: 'EUR' }, lines: quote.lines });
    expect(order.headers.get('x-db-requests')).toBe('2');
    const customer = await crm.request('GET', `/v1/customers/${deal.customerId}`, { role: 'sales' });
    expect(customer.body.lifetimeValue).toEqual([{ amount: 10_000, currency: 'EUR' }]);
    expect(customer.body.lastPurchaseAt).toBe(order.body.orderedAt);
  });

  it('adds up orders per currency and only moves the last purchase forward', async () => {
    const customerId = await createCustomer(crm, rep1);
    const first = await sentQuote(crm, rep1, customerId);
    await crm.request('POST', `/v1/quotes/${first.quote.id}/accept`, { role: 'admin' });
    const second = await sentQuote(crm, rep1, customerId);
    await crm.request('POST', `/v1/quotes/${second.quote.id}/accept`, { role: 'admin' });
    const usdDeal = await putDeal(crm, { ownerId: rep1, customerId, amount: { amount: 1, currency: 'USD' } });
    const usd = (await crm.request('POST', `/v1/deals/${usdDeal.id}/quotes`, { role: 'admin', body: { validUntil: inDays(3), lines: [{ description: 'USD', unitPrice: 333, quantity: 3, taxRateBp: 1000 }] } })).body;
    expect(usd.currency).toBe('USD');
    await crm.request('POST', `/v1/quotes/${usd.id}/send`, { role: 'admin' });
    const third = await crm.request('POST', `/v1/quotes/${usd.id}/accept`, { role: 'admin' });
    expect(third.status).toBe(200);
    const customer = (await crm.request('GET', `/v1/customers/${customerId}`, { role: 'admin' })).body;
    expect(customer.lifetimeValue).toEqual([{ amount: 20_000, currency: 'EUR' }, { amount: 999, currency: 'USD' }]);
    const orders = await crm.request('GET', `/v1/customers/${customerId}/orders`, { role: 'sales' });
    expect(orders.body.items).toHaveLength(3);
    expect(orders.body.items[0].quoteId).toBe(usd.id);
    expect(customer.lastPurchaseAt).toBe(orders.body.items[0].orderedAt);
    expect(orders.headers.get('x-db-requests')).toBe('2');
    const page1 = await crm.request('GET', `/v1/customers/${customerId}/orders?limit=2`, { role: 'sales' });
    const page2 = await crm.request('GET', `/v1/customers/${customerId}/orders?limit=2&cursor=${page1.body.nextCursor}`, { role: 'sales' });
    expect([...page1.body.items, ...page2.body.items].map((o: any) => o.id)).toEqual(orders.body.items.map((o: any) => o.id));
  });

  it('a repeated accept is 409 and creates no second order', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    expect((await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales' })).status).toBe(200);
    const again = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales' });
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('already accepted');
    const orders = await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'admin' });
    expect(orders.body.items).toHaveLength(1);
    const customer = (await crm.request('GET', `/v1/customers/${deal.customerId}`, { role: 'admin' })).body;
    expect(customer.lifetimeValue).toEqual([{ amount: 10_000, currency: 'EUR' }]);
  });

  it('an Idempotency-Key retry replays the first answer', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    const headers = { 'idempotency-key': `acc-${quote.id}` };
    const a = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales', headers });
    const b = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales', headers });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body.orderId).toBe(a.body.orderId);
    expect((await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'admin' })).body.items).toHaveLength(1);
  });

  it('concurrent accepts of one quote create exactly one order', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    const results = await Promise.all(Array.from({ length: 6 }, () => crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales' })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 409 || s === 503)).toBe(true);
    const orders = await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'admin' });
    expect(orders.body.items).toHaveLength(1);
    const customer = (await crm.request('GET', `/v1/customers/${deal.customerId}`, { role: 'admin' })).body;
    expect(customer.lifetimeValue).toEqual([{ amount: 10_000, currency: 'EUR' }]);
  });

  it('concurrent accepts of different quotes of one new customer both count (no lost increment)', async () => {
    const customerId = await createCustomer(crm, rep1);
    const quotes = await Promise.all([sentQuote(crm, rep1, customerId), sentQuote(crm, rep1, customerId), sentQuote(crm, rep1, customerId)]);
    const results = await Promise.all(quotes.map(({ quote }) => crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'admin' })));
    const ok = results.filter((r) => r.status === 200).length;
    const customer = (await crm.request('GET', `/v1/customers/${customerId}`, { role: 'admin' })).body;
    const orders = (await crm.request('GET', `/v1/customers/${customerId}/orders`, { role: 'admin' })).body.items;
    expect(orders).toHaveLength(ok);
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(customer.lifetimeValue).toEqual([{ amount: 10_000 * ok, currency: 'EUR' }]);
  });
});

describe('order visibility', () => {
  it('follows the customer owner: another rep gets 404, service and analysts read all, marketing is 403', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    const orderId = (await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'admin' })).body.orderId;
    expect((await crm.request('GET', `/v1/orders/${orderId}`, { role: 'sales', userId: rep2 })).status).toBe(404);
    expect((await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'sales', userId: rep2 })).status).toBe(404);
    expect((await crm.request('GET', `/v1/orders/${orderId}`, { role: 'service' })).status).toBe(200);
    expect((await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'analyst' })).status).toBe(200);
    expect((await crm.request('GET', `/v1/orders/${orderId}`, { role: 'marketing' })).status).toBe(403);
    expect((await crm.request('GET', '/v1/orders/ord_00000000000000000000000000', { role: 'admin' })).status).toBe(404);
    expect((await crm.request('GET', '/v1/customers/cus_00000000000000000000000000/orders', { role: 'admin' })).status).toBe(404);
  });

  it('puts the order on the customer timeline and publishes order.created and quote.accepted', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    const orderId = (await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'admin' })).body.orderId;
    const timeline = await crm.request('GET', `/v1/customers/${deal.customerId}/timeline`, { role: 'admin' });
    expect(JSON.stringify(timeline.body)).toContain(orderId);
    const types = (await crm.waitForEvents((e: any) => JSON.stringify(e).includes(quote.id) || JSON.stringify(e).includes(orderId), 2)).map((e: any) => e.detailType ?? e.DetailType ?? e['detail-type']);
    expect(types).toEqual(expect.arrayContaining(['order.created', 'quote.accepted']));
  });
});
