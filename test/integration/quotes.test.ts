/**
 * Products and quotes end to end against DynamoDB Local: SKU uniqueness, server-computed totals,
 * lifecycle draft → sent → accepted/rejected, expiry, revisions (old versions readable and
 * frozen, only the latest can move), row level by the deal's owner, request counts.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/data/keys';
import { priceQuote } from '../../functions/quotes/pricing';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';
import { createCustomer, createProduct, inDays, putDeal, sentQuote } from './sales-fixtures';

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

describe('products', () => {
  it('creates a product, reads it with one GetItem, and refuses a duplicate SKU (any case) with 409', async () => {
    const p = await createProduct(crm, { sku: `dup-${Date.now()}`, name: 'Boiler X' });
    expect(p).toMatchObject({ name: 'Boiler X', active: true, taxRateBp: 1900, version: 1 });
    expect(p.sku).toBe(p.sku.toUpperCase());
    const got = await crm.request('GET', `/v1/products/${p.id}`, { role: 'sales' });
    expect(got.status).toBe(200);
    expect(got.headers.get('x-db-requests')).toBe('1');
    const dup = await crm.request('POST', '/v1/products', { role: 'admin', body: { sku: p.sku.toLowerCase(), name: 'Other', prices: [{ amount: 1, currency: 'EUR' }], taxRateBp: 0 } });
    expect(dup.status).toBe(409);
    expect(dup.body.existingId).toBe(p.id);
  });

  it('validates input precisely: bad SKU, negative price, tax rate over 100 %, two prices in one currency', async () => {
    const res = await crm.request('POST', '/v1/products', { role: 'admin', body: { sku: 'bad sku!', name: '', prices: [{ amount: -1, currency: 'EUR' }, { amount: 2, currency: 'EUR' }], taxRateBp: 10_001 } });
    expect(res.status).toBe(400);
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['sku', 'name', 'prices.0.amount', 'prices', 'taxRateBp']));
  });

  it('lists by active flag and name prefix with one Query per page; PATCH honours If-Match', async () => {
    const tag = `zz${Date.now().toString(36)}`;
    const a = await createProduct(crm, { name: `${tag} alpha` });
    const b = await createProduct(crm, { name: `${tag} beta` });
    const stale = await crm.request('PATCH', `/v1/products/${b.id}`, { role: 'manager', body: { active: false }, headers: { 'if-match': '"7"' } });
    expect(stale.status).toBe(412);
    const off = await crm.request('PATCH', `/v1/products/${b.id}`, { role: 'manager', body: { active: false }, headers: { 'if-match': '"1"' } });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ active: false, version: 2 });
    const active = await crm.request('GET', `/v1/products?active=true&q=${tag}`, { role: 'analyst' });
    expect(active.body.items.map((p: { id: string }) => p.id)).toEqual([a.id]);
    expect(active.headers.get('x-db-requests')).toBe('1');
    const all = await crm.request('GET', `/v1/products?q=${tag}&limit=1`, { role: 'analyst' });
    expect(all.body.items.map((p: { id: string }) => p.id)).toEqual([a.id]);
    const next = await crm.request('GET', `/v1/products?q=${tag}&limit=1&cursor=${all.body.nextCursor}`, { role: 'analyst' });
    expect(next.body.items.map((p: { id: string }) => p.id)).toEqual([b.id]);
    expect((await crm.request('GET', `/v1/products?q=${tag}&active=false&cursor=${all.body.nextCursor}`, { role: 'analyst' })).status).toBe(400);
  });
});

describe('quotes', () => {
  it('computes totals on the server from product and free-text lines, copying product name, price and tax rate', async () => {
    const product = await createProduct(crm, { name: 'Heat pump', prices: [{ amount: 1999, currency: 'EUR' }], taxRateBp: 1900 });
    const deal = await putDeal(crm, { ownerId: rep1, customerId: await createCustomer(crm, rep1) });
    const res = await crm.request('POST', `/v1/deals/${deal.id}/quotes`, {
      role: 'sales',
      body: {
        validUntil: inDays(14), discountBp: 500,
        lines: [
          { productId: product.id, quantity: 3, discountBp: 1000 },
          { description: 'Installation', unitPrice: 25, quantity: 0.5, taxRateBp: 700 },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const q = res.body;
    const expected = priceQuote([
      { unitPrice: 1999, quantityMilli: 3000, discountBp: 1000, taxRateBp: 1900 },
      { unitPrice: 25, quantityMilli: 500, discountBp: 0, taxRateBp: 700 },
    ], 500);
    expect(q.totals).toEqual({ ...expected.totals, subtotal: expected.totals.subtotal });
    expect(q).toMatchObject({ status: 'draft', currency: 'EUR', revision: 1, number: q.id, latest: true, ownerId: rep1, customerId: deal.customerId });
    expect(q.lines[0]).toMatchObject({ productId: product.id, sku: product.sku, description: 'Heat pump', unitPrice: 1999, quantity: 3, taxRateBp: 1900 });
    expect(q.lines[1]).toMatchObject({ description: 'Installation', quantity: 0.5, net: expected.lines[1]!.amounts.net });
    // Later price changes do not touch the quote.
    await crm.request('PATCH', `/v1/products/${product.id}`, { role: 'admin', body: { prices: [{ amount: 9999, currency: 'EUR' }] } });
    const read = await crm.request('GET', `/v1/quotes/${q.id}`, { role: 'sales' });
    expect(read.body.totals).toEqual(q.totals);
    expect(read.headers.get('x-db-requests')).toBe('2');
  });

  it('refuses inactive products, products without a price in the currency, too many decimals, and a past validUntil', async () => {
    const inactive = await createProduct(crm, { active: false });
    const eurOnly = await createProduct(crm, { prices: [{ amount: 100, currency: 'EUR' }] });
    const deal = await putDeal(crm, { ownerId: rep1, customerId: await createCustomer(crm, rep1) });
    const post = (body: unknown) => crm.request('POST', `/v1/deals/${deal.id}/quotes`, { role: 'admin', body });
    expect((await post({ validUntil: inDays(5), lines: [{ productId: inactive.id, quantity: 1 }] })).status).toBe(422);
    expect((await post({ currency: 'USD', validUntil: inDays(5), lines: [{ productId: eurOnly.id, quantity: 1 }] })).status).toBe(422);
    const decimals = await post({ validUntil: inDays(5), lines: [{ productId: eurOnly.id, quantity: 1.0005 }] });
    expect(decimals.status).toBe(400);
    expect(decimals.body.errors[0].path).toBe('lines.0.quantity');
    expect((await post({ validUntil: inDays(-2), lines: [{ productId: eurOnly.id, quantity: 1 }] })).status).toBe(400);
    expect((await post({ validUntil: inDays(5), lines: [{ description: 'No price', quantity: 1 }] })).status).toBe(400);
    expect((await crm.request('POST', `/v1/deals/deal_00000000000000000000000000/quotes`, { role: 'admin', body: { validUntil: inDays(5), lines: [{ productId: eurOnly.id, quantity: 1 }] } })).status).toBe(404);
    const list = await crm.request('GET', `/v1/deals/${deal.id}/quotes`, { role: 'admin' });
    expect(list.body.items).toEqual([]);
  });

  it('walks draft → sent → rejected; only drafts change (If-Match), only sent quotes are rejected', async () => {
    const deal = await putDeal(crm, { ownerId: rep1, customerId: await createCustomer(crm, rep1) });
    const q = (await crm.request('POST', `/v1/deals/${deal.id}/quotes`, { role: 'sales', body: { validUntil: inDays(10), lines: [{ description: 'A', unitPrice: 1000, quantity: 1, taxRateBp: 0 }] } })).body;
    expect((await crm.request('POST', `/v1/quotes/${q.id}/reject`, { role: 'sales' })).status).toBe(409);
    expect((await crm.request('PATCH', `/v1/quotes/${q.id}`, { role: 'sales', body: { discountBp: 1000 }, headers: { 'if-match': '"5"' } })).status).toBe(412);
    const patched = await crm.request('PATCH', `/v1/quotes/${q.id}`, { role: 'sales', body: { discountBp: 1000 }, headers: { 'if-match': '"1"' } });
    expect(patched.status).toBe(200);
    expect(patched.body.totals).toMatchObject({ subtotal: 1000, discount: 100, net: 900, total: 900 });
    const sent = await crm.request('POST', `/v1/quotes/${q.id}/send`, { role: 'sales' });
    expect(sent.body).toMatchObject({ status: 'sent', version: 3 });
    expect((await crm.request('PATCH', `/v1/quotes/${q.id}`, { role: 'sales', body: { discountBp: 0 } })).status).toBe(409);
    expect((await crm.request('POST', `/v1/quotes/${q.id}/send`, { role: 'sales' })).status).toBe(409);
    const rejected = await crm.request('POST', `/v1/quotes/${q.id}/reject`, { role: 'sales', body: { reason: 'Too expensive' } });
    expect(rejected.body).toMatchObject({ status: 'rejected', rejectionReason: 'Too expensive' });
    expect((await crm.request('POST', `/v1/quotes/${q.id}/accept`, { role: 'sales' })).status).toBe(409);
  });

  it('revises into a new version: the old one stays readable with the same totals, only the latest can be sent or accepted', async () => {
    const { quote: v1, deal } = await sentQuote(crm, rep1);
    const rev = await crm.request('POST', `/v1/quotes/${v1.id}/revise`, { role: 'sales', body: { discountBp: 2000 } });
    expect(rev.status, JSON.stringify(rev.body)).toBe(201);
    const v2 = rev.body;
    expect(v2).toMatchObject({ status: 'draft', revision: 2, number: v1.id, previousId: v1.id, latest: true, lines: v1.lines.map((l: any) => ({ ...l, discount: expect.any(Number), net: expect.any(Number), tax: expect.any(Number), total: expect.any(Number) })) });
    expect(v2.totals.net).toBe(8000);
    const old = (await crm.request('GET', `/v1/quotes/${v1.id}`, { role: 'sales' })).body;
    expect(old).toMatchObject({ status: 'sent', supersededBy: v2.id, latest: false, totals: v1.totals, lines: v1.lines, version: v1.version });
    expect((await crm.request('POST', `/v1/quotes/${v1.id}/accept`, { role: 'sales' })).status).toBe(409);
    expect((await crm.request('POST', `/v1/quotes/${v1.id}/revise`, { role: 'sales', body: {} })).status).toBe(409);
    expect((await crm.request('PATCH', `/v1/quotes/${v1.id}`, { role: 'sales', body: { discountBp: 0 } })).status).toBe(409);
    // A revision without changes preserves the totals.
    const v3 = (await crm.request('POST', `/v1/quotes/${v2.id}/revise`, { role: 'sales', body: {} })).body;
    expect(v3.totals).toEqual(v2.totals);
    const list = await crm.request('GET', `/v1/deals/${deal.id}/quotes`, { role: 'sales' });
    expect(list.body.items.map((q: any) => [q.id, q.revision])).toEqual([[v3.id, 3], [v2.id, 2], [v1.id, 1]]);
    expect(list.headers.get('x-db-requests')).toBe('2');
    expect((await crm.request('POST', `/v1/quotes/${v3.id}/send`, { role: 'sales' })).status).toBe(200);
    expect((await crm.request('POST', `/v1/quotes/${v3.id}/accept`, { role: 'sales' })).status).toBe(200);
    expect((await crm.request('POST', `/v1/quotes/${v3.id}/revise`, { role: 'sales', body: {} })).status).toBe(409);
  });

  it('shows a quote past validUntil as expired and refuses to accept it (409), creating no order', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    await crm.ddb.send(new UpdateCommand({ TableName: crm.tableName, Key: keys.quote.primary(quote.id), UpdateExpression: 'SET validUntil = :d', ExpressionAttributeValues: { ':d': inDays(-1) } }));
    const read = await crm.request('GET', `/v1/quotes/${quote.id}`, { role: 'sales' });
    expect(read.body.status).toBe('expired');
    const accept = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales' });
    expect(accept.status).toBe(409);
    expect(accept.body.detail).toContain('expired');
    const orders = await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'admin' });
    expect(orders.body.items).toEqual([]);
    // A revision with a new validUntil revives it.
    const rev = await crm.request('POST', `/v1/quotes/${quote.id}/revise`, { role: 'sales', body: { validUntil: inDays(7) } });
    expect(rev.body.status).toBe('draft');
  });

  it('follows the deal owner: another rep gets 404 on every quote route, managers see all', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    const asRep2 = (method: string, path: string, body?: unknown) => crm.request(method, path, { role: 'sales', userId: rep2, body });
    expect((await asRep2('GET', `/v1/quotes/${quote.id}`)).status).toBe(404);
    expect((await asRep2('GET', `/v1/deals/${deal.id}/quotes`)).status).toBe(404);
    expect((await asRep2('POST', `/v1/deals/${deal.id}/quotes`, { validUntil: inDays(3), lines: [{ description: 'x', unitPrice: 1, quantity: 1, taxRateBp: 0 }] })).status).toBe(404);
    expect((await asRep2('PATCH', `/v1/quotes/${quote.id}`, { discountBp: 1 })).status).toBe(404);
    for (const action of ['send', 'accept', 'reject', 'revise']) expect((await asRep2('POST', `/v1/quotes/${quote.id}/${action}`, {})).status).toBe(404);
    expect((await crm.request('GET', `/v1/quotes/${quote.id}`, { role: 'manager' })).status).toBe(200);
    expect((await crm.request('GET', `/v1/quotes/${quote.id}`, { role: 'marketing' })).status).toBe(403);
  });
});
