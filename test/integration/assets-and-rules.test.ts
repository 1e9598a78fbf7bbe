/**
 * Customer assets and the service rules end to end, against DynamoDB Local: validation, row level,
 * optimistic concurrency, request counts, and the service schedule each asset carries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, formatDate, localDateOf } from '../../functions/calendar/business-calendar';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;
const today = () => localDateOf(new Date(), 'UTC');

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

const RULES = {
  categories: [{ category: 'Washing-Machine', intervalMonths: 24 }, { category: 'boiler', intervalMonths: 12 }],
  tierIntervalMonths: { A: 12 },
  leadDays: 14,
  assignTo: 'owner',
  warrantyReminderDays: 30,
  dormancyDays: { A: 30, B: 60 },
};

async function customer(ownerId = rep1, tier = 'B') {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'person', name: `Asset owner ${Math.random()}`, ownerId, tier } });
  return res.body as { id: string };
}

describe('service rules', () => {
  it('starts from defaults (version 0), is replaced with If-Match, and refuses stale or invalid rules', async () => {
    const initial = await crm.request('GET', '/v1/settings/service-rules', { role: 'service' });
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({ version: 0, categories: [], leadDays: 14, assignTo: 'owner', timeZone: 'UTC' });
    expect(initial.headers.get('x-db-requests')).toBe('1');

    const put = await crm.request('PUT', '/v1/settings/service-rules', { role: 'admin', body: RULES, headers: { 'if-match': '"0"' } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ version: 1, categories: [{ category: 'washing-machine', intervalMonths: 24 }, { category: 'boiler', intervalMonths: 12 }], tierIntervalMonths: { A: 12 } });
    expect(put.headers.get('etag')).toBe('"1"');
    expect((await crm.request('PUT', '/v1/settings/service-rules', { role: 'admin', body: RULES, headers: { 'if-match': '"0"' } })).status).toBe(412);
    expect((await crm.request('PUT', '/v1/settings/service-rules', { role: 'manager', body: RULES })).status).toBe(403);

    const invalid: [Record<string, unknown>, string][] = [
      [{ ...RULES, assignTo: 'queue' }, 'queueUserId'],
      [{ ...RULES, categories: [{ category: 'boiler', intervalMonths: 12 }, { category: 'Boiler', intervalMonths: 6 }] }, 'categories'],
      [{ ...RULES, tierIntervalMonths: { Z: 3 } }, 'tierIntervalMonths'],
      [{ ...RULES, leadDays: -1 }, 'leadDays'],
      [{ ...RULES, dormancyDays: { A: 0 } }, 'dormancyDays.A'],
      [{ ...RULES, categories: [{ category: 'boiler', intervalMonths: 0 }] }, 'categories.0.intervalMonths'],
    ];
    for (const [body, path] of invalid) {
      const res = await crm.request('PUT', '/v1/settings/service-rules', { role: 'admin', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path).join(' '), JSON.stringify(res.body)).toContain(path);
    }
    const now = await crm.request('GET', '/v1/settings/service-rules', { role: 'manager' });
    expect(now.body.version).toBe(1);
  });
});

describe('assets', () => {
  it('records an asset with its next service date from the category, or the tier when shorter', async () => {
    const b = await customer(rep1, 'B');
    const a = await customer(rep1, 'A');
    const t = today();
    const bought = formatDate({ ...addDays(t, 10), year: addDays(t, 10).year - 2 }); // two years ago, in ten days
    const res = await crm.request('POST', `/v1/customers/${b.id}/assets`, {
      role: 'sales', body: { productName: 'Washer 3000', category: 'Washing-Machine', serialNumber: 'WM-1', purchaseDate: bought, warrantyEndsOn: formatDate(addDays(t, 100)) },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ customerId: b.id, category: 'washing-machine', version: 1, createdBy: rep1 });
    expect(res.body.id).toMatch(/^ast_[0-9A-Z]{26}$/);
    expect(res.headers.get('location')).toBe(`/v1/assets/${res.body.id}`);
    expect(res.headers.get('x-db-commands')).toBe('BatchGetItem,TransactWriteItems');
    // 24-month interval for tier B: the second anniversary, ten days ahead (unless clamped at a month end).
    expect(res.body.nextServiceOn.slice(0, 7)).toBe(formatDate(addDays(t, 10)).slice(0, 7));

    const vip = await crm.request('POST', `/v1/customers/${a.id}/assets`, { role: 'admin', body: { productName: 'Washer', category: 'washing-machine', purchaseDate: formatDate({ ...t, year: t.year - 1, day: Math.min(t.day, 28) }) } });
    // Tier A: yearly. Bought a year ago (on or before today): next is a year after that anniversary… or today.
    expect(Number(vip.body.nextServiceOn.slice(0, 4)) - (t.year - 1)).toBeLessThanOrEqual(2);
    expect(vip.body.nextServiceOn >= formatDate(t)).toBe(true);

    const none = await crm.request('POST', `/v1/customers/${b.id}/assets`, { role: 'admin', body: { productName: 'Lamp', category: 'lighting', purchaseDate: '2020-01-01' } });
    expect(none.status).toBe(201);
    expect(none.body.nextServiceOn).toBeUndefined();

    const read = await crm.request('GET', `/v1/assets/${res.body.id}`, { role: 'admin' });
    expect(read.status).toBe(200);
    expect(read.headers.get('x-db-requests')).toBe('1');
    const readAsRep = await crm.request('GET', `/v1/assets/${res.body.id}`, { role: 'sales' });
    expect(readAsRep.headers.get('x-db-requests')).toBe('2');

    const list = await crm.request('GET', `/v1/customers/${b.id}/assets?limit=1`, { role: 'sales' });
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { purchaseDate: string }) => i.purchaseDate)).toEqual(['2020-01-01']);
    expect(list.headers.get('x-db-commands')).toBe('GetItem,Query');
    const next = await crm.request('GET', `/v1/customers/${b.id}/assets?cursor=${encodeURIComponent(list.body.nextCursor)}`, { role: 'sales' });
    expect(next.body.items.map((i: { id: string }) => i.id)).toEqual([res.body.id]);
  });

  it('validates dates and fields precisely', async () => {
    const c = await customer();
    const cases: [Record<string, unknown>, string][] = [
      [{ productName: 'X', category: 'boiler', purchaseDate: '2026-02-30' }, 'purchaseDate'],
      [{ productName: 'X', category: 'boiler', purchaseDate: '2025-05-01', warrantyEndsOn: '2025-04-30' }, 'warrantyEndsOn'],
      [{ productName: '', category: 'boiler', purchaseDate: '2025-05-01' }, 'productName'],
      [{ productName: 'X', category: '!!', purchaseDate: '2025-05-01' }, 'category'],
      [{ productName: 'X', category: 'boiler', purchaseDate: '2025-05-01', colour: 'red' }, ''],
    ];
    for (const [body, path] of cases) {
      const res = await crm.request('POST', `/v1/customers/${c.id}/assets`, { role: 'admin', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path).join(' ')).toContain(path);
    }
    expect((await crm.request('GET', `/v1/customers/${c.id}/assets`, { role: 'admin' })).body.items).toEqual([]);
  });

  it('follows the customer for row level, refuses archived customers, and honours If-Match', async () => {
    const theirs = await customer(rep2);
    const asRep1 = { role: 'sales' as const, userId: rep1 };
    const body = { productName: 'Boiler', category: 'boiler', purchaseDate: '2025-03-31' };
    expect((await crm.request('POST', `/v1/customers/${theirs.id}/assets`, { ...asRep1, body })).status).toBe(404);
    expect((await crm.request('GET', `/v1/customers/${theirs.id}/assets`, asRep1)).status).toBe(404);
    const asset = (await crm.request('POST', `/v1/customers/${theirs.id}/assets`, { role: 'admin', body })).body;
    expect((await crm.request('GET', `/v1/assets/${asset.id}`, asRep1)).status).toBe(404);
    expect((await crm.request('PATCH', `/v1/assets/${asset.id}`, { ...asRep1, body: { notes: 'x' } })).status).toBe(404);
    expect((await crm.request('DELETE', `/v1/assets/${asset.id}`, asRep1)).status).toBe(404);
    expect((await crm.request('GET', `/v1/assets/${asset.id}`, { role: 'sales', userId: rep2 })).status).toBe(200);
    expect((await crm.request('POST', `/v1/customers/${theirs.id}/assets`, { role: 'marketing', body })).status).toBe(403);

    const stale = await crm.request('PATCH', `/v1/assets/${asset.id}`, { role: 'admin', body: { notes: 'Basement' }, headers: { 'if-match': '"9"' } });
    expect(stale.status).toBe(412);
    const patched = await crm.request('PATCH', `/v1/assets/${asset.id}`, { role: 'admin', body: { notes: 'Basement', purchaseDate: '2024-02-29' }, headers: { 'if-match': '"1"' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ version: 2, purchaseDate: '2024-02-29', notes: 'Basement' });
    // Yearly on 29 Feb: 28 Feb in common years.
    expect(patched.body.nextServiceOn.slice(5)).toMatch(/^02-2[89]$/);
    expect((await crm.request('PATCH', `/v1/assets/${asset.id}`, { role: 'admin', body: { warrantyEndsOn: '2024-01-01' } })).status).toBe(400);

    const archived = await customer();
    await crm.request('DELETE', `/v1/customers/${archived.id}`, { role: 'admin' });
    expect((await crm.request('POST', `/v1/customers/${archived.id}/assets`, { role: 'admin', body })).status).toBe(409);

    expect((await crm.request('DELETE', `/v1/assets/${asset.id}`, { role: 'admin', headers: { 'if-match': '"1"' } })).status).toBe(412);
    expect((await crm.request('DELETE', `/v1/assets/${asset.id}`, { role: 'admin', headers: { 'if-match': '"2"' } })).status).toBe(204);
    expect((await crm.request('GET', `/v1/assets/${asset.id}`, { role: 'admin' })).status).toBe(404);
  });

  it('puts "asset added" on the customer timeline', async () => {
    const c = await customer();
    const asset = (await crm.request('POST', `/v1/customers/${c.id}/assets`, { role: 'admin', body: { productName: 'Oven', category: 'oven', purchaseDate: '2023-07-01' } })).body;
    const records = await crm.request('GET', `/v1/customers/${c.id}/timeline?type=record`, { role: 'admin' });
    expect(records.body.items[0].record).toMatchObject({ event: 'asset.created', entityId: asset.id });
  });
});
