/**
 * Custom fields, bulk writes and duplicate merge (issue 13), on the real local engines with one
 * runtime for the file:
 * - a value of each custom-field type round-trips; required, unique, bounds, options and unknown
 *   keys are 4xx naming `custom.<key>`; a unique value is free again once its holder changes it;
 *   a removed field keeps its stored values;
 * - a batch of mixed valid and invalid items answers 207 with a result per item, and retrying the
 *   batch with the same per-item keys replays the successes without creating anything twice;
 * - a merge moves contacts, activities, tasks, deals, orders, assets and tickets, keeps the counters
 *   right, leaves the duplicate archived with `mergedInto`, survives a crash in the middle (the retry
 *   continues) and is a no-op when repeated; quotes follow their deal, the survivor takes the
 *   duplicate's custom values it lacks (unique guard included), a chain of merges moves deals, and
 *   the survivor's last activity, last purchase and lifetime value include the duplicate's — once,
 *   even when the finish step is sent twice;
 * - a lead conversion carries custom values to the customer and contact by key and target rules.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keys } from '../../functions/data/keys';
import { Transaction } from '../../functions/data/transaction';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

vi.setConfig({ testTimeout: 300_000 });

let crm: TestStack;
const rep = SALES_REPS[0]!.id;
const tag = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

async function define(body: Record<string, unknown>, role: 'admin' | 'sales' = 'admin') {
  return crm.request('POST', '/v1/custom-fields', { role, body });
}

describe('custom fields', () => {
  it('round-trips a value of every type and refuses what the definitions do not allow', async () => {
    const fields = [
      { key: `ref${tag}`, label: 'Old CRM reference', type: 'text', unique: true, maxLength: 20 },
      { key: 'score', label: 'Score', type: 'number', min: 0, max: 100 },
      { key: 'creditLimit', label: 'Credit limit', type: 'money', currency: 'EUR' },
      { key: 'firstOrderOn', label: 'First order', type: 'date' },
      { key: 'vip', label: 'VIP', type: 'boolean' },
      { key: 'segment', label: 'Segment', type: 'select', options: [{ value: 'retail' }, { value: 'wholesale' }] },
      { key: 'channels', label: 'Channels', type: 'multiselect', options: [{ value: 'email' }, { value: 'phone' }, { value: 'visit' }] },
    ];
    for (const f of fields) expect((await define({ entity: 'customer', ...f })).status).toBe(201);
    // Rules that do not fit the type, a taken key, a role without the permission.
    expect((await define({ entity: 'customer', key: 'bad', label: 'Bad', type: 'boolean', unique: true })).body.errors[0].path).toBe('unique');
    expect((await define({ entity: 'customer', key: 'score', label: 'Again', type: 'number' })).status).toBe(409);
    expect((await define({ entity: 'customer', key: 'x', label: 'X', type: 'text' }, 'sales')).status).toBe(403);

    const listed = await crm.request('GET', '/v1/custom-fields?entity=customer', { role: 'sales' });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((f: { key: string }) => f.key).sort()).toEqual(fields.map((f) => f.key).sort());

    const custom = { [`ref${tag}`]: `  Ref-${tag}  `, score: 42.5, creditLimit: { amount: 500000, currency: 'EUR' }, firstOrderOn: '2019-03-01', vip: true, segment: 'retail', channels: ['email', 'visit', 'email'] };
    const created = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Custom ${tag}`, ownerId: rep, custom } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const read = await crm.request('GET', `/v1/customers/${created.body.id}`, { role: 'sales' });
    expect(read.body.custom).toEqual({ ...custom, [`ref${tag}`]: `Ref-${tag}`, channels: ['email', 'visit'] });

    // The definitions come from the container's cache: custom values cost no extra request (docs/custom-fields.md, "Cost").
    const plain = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Plain ${tag}` } });
    const withValues = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Valued ${tag}`, custom: { score: 7, vip: false, segment: 'wholesale' } } });
    expect(withValues.status).toBe(201);
    expect(withValues.headers.get('x-db-requests')).toBe(plain.headers.get('x-db-requests'));

    const bad = async (value: Record<string, unknown>) => {
      const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Bad custom', custom: value } });
      expect(res.status).toBe(400);
      return res.body.errors.map((e: { path: string }) => e.path);
    };
    expect(await bad({ score: 101 })).toEqual(['custom.score']);
    expect(await bad({ creditLimit: { amount: 1, currency: 'USD' } })).toEqual(['custom.creditLimit']);
    expect(await bad({ firstOrderOn: '2019-02-30' })).toEqual(['custom.firstOrderOn']);
    expect(await bad({ segment: 'other', vip: 'yes' })).toEqual(['custom.segment', 'custom.vip']);
    expect(await bad({ nosuch: 1 })).toEqual(['custom.nosuch']);

    // Unique: the same value in another case is taken; once the holder changes it, it is free.
    const clash = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Clash', custom: { [`ref${tag}`]: `ref-${tag}` } } });
    expect(clash.status).toBe(409);
    const moved = await crm.request('PATCH', `/v1/customers/${created.body.id}`, { role: 'admin', body: { custom: { [`ref${tag}`]: `New-${tag}`, score: null } } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.custom.score).toBeUndefined();
    const taken = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Takes it', custom: { [`ref${tag}`]: `ref-${tag}` } } });
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);

    // Removing a field keeps stored values; new writes may not name it.
    const segmentId = listed.body.items.find((f: { key: string }) => f.key === 'segment').id;
    expect((await crm.request('DELETE', `/v1/custom-fields/${segmentId}`, { role: 'admin' })).status).toBe(204);
    expect((await crm.request('GET', `/v1/customers/${created.body.id}`, { role: 'admin' })).body.custom.segment).toBe('retail');
    expect((await crm.request('PATCH', `/v1/customers/${created.body.id}`, { role: 'admin', body: { custom: { segment: 'wholesale' } } })).status).toBe(400);
    expect((await define({ entity: 'customer', key: 'segment', label: 'Reuse', type: 'text' })).status).toBe(409);
  });
});

describe('bulk writes', () => {
  it('answers each item on its own and replays a retried item instead of writing it twice', async () => {
    expect((await define({ entity: 'lead', key: 'budgetBand', label: 'Budget band', type: 'select', required: true, options: [{ value: 'S' }, { value: 'M' }, { value: 'L' }] })).status).toBe(201);
    const name = `Bulk${tag}`;
    const batch = {
      items: [
        { op: 'create', idempotencyKey: `bulk-${tag}-0`, body: { lastName: name, firstName: 'Ok', custom: { budgetBand: 'M' } } },
        { op: 'create', idempotencyKey: `bulk-${tag}-1`, body: { lastName: name, firstName: 'Missing' } },
        { op: 'create', body: { lastName: name, email: 'not-an-email', custom: { budgetBand: 'S' } } },
        { op: 'update', id: 'led_00000000000000000000000000', body: { notes: 'x' } },
      ],
    };
    const first = await crm.request('POST', '/v1/leads/batch', { role: 'sales', body: batch });
    expect(first.status).toBe(207);
    expect(first.body.results.map((r: { status: number }) => r.status)).toEqual([201, 400, 400, 404]);
    expect(first.body.results[1].problem.errors[0].path).toBe('custom.budgetBand');
    expect(first.body.results[2].problem.errors[0].path).toBe('email');
    expect(first.body).toMatchObject({ succeeded: 1, failed: 3 });

    const again = await crm.request('POST', '/v1/leads/batch', { role: 'sales', body: batch });
    expect(again.body.results[0]).toMatchObject({ status: 201, id: first.body.results[0].id, replayed: true });
    expect(again.body.results[1].status).toBe(400);
    const leads = await crm.request('GET', `/v1/leads?q=${name}`, { role: 'sales' });
    expect(leads.body.items).toHaveLength(1);

    // Customers: a create and an update pinned to a stale version in one call.
    const made = await crm.request('POST', '/v1/customers/batch', { role: 'admin', body: { items: [{ op: 'create', body: { type: 'person', name: `Batch ${tag}` } }] } });
    const id = made.body.results[0].id;
    const mixed = await crm.request('POST', '/v1/customers/batch', {
      role: 'admin',
      body: { items: [{ op: 'update', id, ifMatch: 1, body: { tier: 'A' } }, { op: 'update', id, ifMatch: 1, body: { tier: 'B' } }, { op: 'create', id, body: { type: 'person', name: 'x' } }] },
    });
    expect(mixed.body.results.map((r: { status: number }) => r.status)).toEqual([200, 412, 400]);
    expect((await crm.request('GET', `/v1/customers/${id}`, { role: 'admin' })).body.tier).toBe('A');
  });
});

describe('merging duplicates', () => {
  async function customer(name: string, extra: Record<string, unknown> = {}) {
    const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name, ownerId: rep, ...extra } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  }
  const dashboard = async () => (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.dashboard.customers(rep) }))).Item ?? {};

  it('moves every record, keeps counters right, redirects the duplicate, resumes after a crash and repeats safely', async () => {
    for (const field of [{ key: `note${tag}`, type: 'text' }, { key: `erp${tag}`, type: 'text', unique: true }, { key: `size${tag}`, type: 'number' }]) {
      expect((await define({ entity: 'customer', label: field.key, ...field })).status).toBe(201);
    }
    const survivor = await customer(`Survivor ${tag}`, { tags: ['merge'], custom: { [`note${tag}`]: 'mine' } });
    const duplicate = await customer(`Duplicate ${tag}`, { email: `dup-${tag}@example.com`, tags: ['merge'], custom: { [`note${tag}`]: 'theirs', [`erp${tag}`]: `K-${tag}`, [`size${tag}`]: 7 } });
    await crm.request('POST', `/v1/customers/${survivor}/contacts`, { role: 'admin', body: { lastName: 'Stays' } });
    for (const lastName of ['Moves', 'AlsoMoves']) await crm.request('POST', `/v1/customers/${duplicate}/contacts`, { role: 'admin', body: { lastName } });
    const ids = {
      activity: (await crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId: duplicate, type: 'call', direction: 'outbound' } })).body.id,
      task: (await crm.request('POST', '/v1/tasks', { role: 'admin', body: { title: 'Follow up', assigneeId: rep, customerId: duplicate } })).body.id,
      asset: (await crm.request('POST', `/v1/customers/${duplicate}/assets`, { role: 'admin', body: { productName: 'Boiler', category: 'boiler', purchaseDate: '2024-02-29' } })).body.id,
      deal: (await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Deal', customerId: duplicate, ownerId: rep, amount: { amount: 1000, currency: 'EUR' } } })).body.id,
      ticket: (await crm.request('POST', '/v1/tickets', { role: 'admin', body: { subject: 'Broken', channel: 'phone', customerId: duplicate } })).body.id,
    };
    const quote = await crm.request('POST', `/v1/deals/${ids.deal}/quotes`, { role: 'admin', body: { validUntil: '2099-12-31', lines: [{ description: 'Part', unitPrice: 2500, quantity: 2, taxRateBp: 0 }] } });
    await crm.request('POST', `/v1/quotes/${quote.body.id}/send`, { role: 'admin' });
    const order = (await crm.request('POST', `/v1/quotes/${quote.body.id}/accept`, { role: 'admin' })).body.orderId;
    for (const id of Object.values(ids)) expect(id).toBeTruthy();
    const liveBefore = Number((await dashboard()).live ?? 0);

    expect((await crm.request('POST', `/v1/customers/${survivor}/merge`, { role: 'sales', body: { duplicateId: duplicate } })).status).toBe(403);

    // A crash after the freeze and the first chunk: the request fails, nothing is half-moved.
    const commit = Transaction.prototype.commit;
    let commits = 0;
    const spy = vi.spyOn(Transaction.prototype, 'commit').mockImplementation(async function (this: Transaction, token?: string) {
      if (++commits === 3) throw Object.assign(new Error('injected crash'), { name: 'ThrottlingException' });
      return commit.call(this, token);
    });
    const crashed = await crm.request('POST', `/v1/customers/${survivor}/merge`, { role: 'manager', body: { duplicateId: duplicate } });
    spy.mockRestore();
    expect(crashed.status).toBe(503);
    const halfway = await crm.request('GET', `/v1/customers/${duplicate}`, { role: 'admin' });
    expect(halfway.body.mergedInto).toBe(survivor);
    expect((await crm.request('PATCH', `/v1/customers/${duplicate}`, { role: 'admin', body: { tier: 'A' } })).status).toBe(409);

    const merged = await crm.request('POST', `/v1/customers/${survivor}/merge`, { role: 'manager', body: { duplicateId: duplicate } });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body.moved).toMatchObject({ contacts: 2, activities: 1, tasks: 1, deals: 1, orders: 1, assets: 1, tickets: 1, quotes: 1 });
    expect(merged.body.survivor).toMatchObject({ id: survivor, contactCount: 3, lifetimeValue: [{ amount: 5000, currency: 'EUR' }] });
    // Custom values: the survivor's own win; those it lacked come from the duplicate, with their unique guard.
    expect(merged.body.survivor.custom).toEqual({ [`note${tag}`]: 'mine', [`erp${tag}`]: `K-${tag}`, [`size${tag}`]: 7 });
    const taken = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Third ${tag}`, custom: { [`erp${tag}`]: `K-${tag}` } } });
    expect(taken.status).toBe(409);
    // The quote follows its deal: it belongs to a live customer again.
    expect((await crm.request('GET', `/v1/quotes/${quote.body.id}`, { role: 'admin' })).body.customerId).toBe(survivor);

    const contacts = await crm.request('GET', `/v1/customers/${survivor}/contacts`, { role: 'sales' });
    expect(contacts.body.items).toHaveLength(3);
    expect(contacts.body.items.filter((c: { isPrimary: boolean }) => c.isPrimary)).toHaveLength(1);
    expect((await crm.request('GET', `/v1/customers/${duplicate}/contacts`, { role: 'admin' })).body.items).toHaveLength(0);
    const tagged = await crm.request('GET', '/v1/customers?tag=merge', { role: 'admin' });
    expect(tagged.body.items.find((c: { id: string }) => c.id === survivor).contactCount).toBe(3);
    expect(tagged.body.items.find((c: { id: string }) => c.id === duplicate)).toBeUndefined();
    for (const [path, id] of [['activities', ids.activity], ['tasks', ids.task], ['assets', ids.asset], ['deals', ids.deal], ['tickets', ids.ticket], ['orders', order]] as const) {
      const res = await crm.request('GET', `/v1/${path}/${id}`, { role: 'admin' });
      expect(res.body.customerId, path).toBe(survivor);
    }
    expect((await crm.request('GET', `/v1/customers/${survivor}/orders`, { role: 'admin' })).body.items).toHaveLength(1);
    expect((await crm.request('GET', `/v1/tickets?customerId=${survivor}`, { role: 'admin' })).body.items).toHaveLength(1);
    expect(Number((await dashboard()).live ?? 0)).toBe(liveBefore - 1);
    // The duplicate's email is free again: its guard went with the archive.
    expect((await customer(`Reuses ${tag}`, { email: `dup-${tag}@example.com` })).startsWith('cus_')).toBe(true);
    const history = await crm.request('GET', `/v1/customers/${survivor}/history`, { role: 'admin' });
    expect(history.body.items[0]).toMatchObject({ action: 'merged', changes: expect.arrayContaining([{ field: 'mergedFrom', to: duplicate }, expect.objectContaining({ field: 'custom' })]) });

    // Repeating the merge changes nothing and answers the same.
    const repeat = await crm.request('POST', `/v1/customers/${survivor}/merge`, { role: 'admin', body: { duplicateId: duplicate } });
    expect(repeat.status).toBe(200);
    expect(repeat.body.moved).toEqual(merged.body.moved);
    expect(repeat.body.survivor.contactCount).toBe(3);
    expect(repeat.body.survivor.version).toBe(merged.body.survivor.version);
    // …and the survivor cannot be merged into its own duplicate.
    expect((await crm.request('POST', `/v1/customers/${duplicate}/merge`, { role: 'admin', body: { duplicateId: survivor } })).status).toBe(409);
  });

  it('gives the survivor the later activity and the combined purchases, once even when the finish step runs twice', async () => {
    const survivor = await customer(`Older ${tag}`);
    const duplicate = await customer(`Newer ${tag}`);
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();
    const activity = async (customerId: string, occurredAt: string) => {
      const res = await crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId, type: 'call', direction: 'outbound', occurredAt } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    };
    const order = async (customerId: string, unitPrice: number, currency: string) => {
      const deal = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Order', customerId, ownerId: rep, amount: { amount: unitPrice, currency } } });
      const quote = await crm.request('POST', `/v1/deals/${deal.body.id}/quotes`, { role: 'admin', body: { currency, validUntil: '2099-12-31', lines: [{ description: 'Part', unitPrice, quantity: 1, taxRateBp: 0 }] } });
      expect(quote.status, JSON.stringify(quote.body)).toBe(201);
      expect((await crm.request('POST', `/v1/quotes/${quote.body.id}/send`, { role: 'admin' })).status).toBe(200);
      expect((await crm.request('POST', `/v1/quotes/${quote.body.id}/accept`, { role: 'admin' })).status).toBe(200);
    };
    await activity(survivor, daysAgo(30));
    await order(survivor, 1000, 'EUR');
    // Later than the survivor's creation too (at most a day ahead is allowed), so its dormancy clock moves.
    await activity(duplicate, daysAgo(-1 / 24));
    await order(duplicate, 2500, 'EUR');
    await order(duplicate, 700, 'USD');
    const [before, theirs] = [(await crm.request('GET', `/v1/customers/${survivor}`, { role: 'admin' })).body, (await crm.request('GET', `/v1/customers/${duplicate}`, { role: 'admin' })).body];
    expect(theirs.lastActivityAt > before.lastActivityAt && theirs.lastPurchaseAt > before.lastPurchaseAt).toBe(true);

    // The finish step applied twice: its transaction sent again after it committed must be refused
    // (the job is no longer `moving`), and the request that lost its answer is retried.
    const commit = Transaction.prototype.commit;
    let resent: unknown;
    const spy = vi.spyOn(Transaction.prototype, 'commit').mockImplementation(async function (this: Transaction, token?: string) {
      await commit.call(this, token);
      if (this.planned.some((item) => JSON.stringify(item).includes('finishedAt'))) {
        resent = await commit.call(this, token).then(() => 'applied', (err: Error) => err.message);
        throw Object.assign(new Error('answer lost'), { name: 'ThrottlingException' });
      }
    });
    const lost = await crm.request('POST', `/v1/customers/${survivor}/merge`, { role: 'admin', body: { duplicateId: duplicate } });
    spy.mockRestore();
    expect(lost.status).toBe(503);
    expect(resent).toMatch(/job/);
    const merged = await crm.request('POST', `/v1/customers/${survivor}/merge`, { role: 'admin', body: { duplicateId: duplicate } });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(merged.body.moved).toMatchObject({ activities: 1, orders: 2, deals: 2 });

    const after = (await crm.request('GET', `/v1/customers/${survivor}`, { role: 'admin' })).body;
    expect(after.lastActivityAt).toBe(theirs.lastActivityAt);
    expect(after.lastPurchaseAt).toBe(theirs.lastPurchaseAt);
    expect(after.lifetimeValue).toEqual([{ amount: 3500, currency: 'EUR' }, { amount: 700, currency: 'USD' }]);
    const stored = async (id: string, sk: string) => (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: { pk: `CUS#${id}`, sk }, ConsistentRead: true }))).Item ?? {};
    expect((await stored(survivor, '#PURCHASES')).orderCount).toBe(3);
    // The dormancy clock restarted with the duplicate's call, in the index too.
    const tracker = await stored(survivor, '#ACTIVITY');
    expect(tracker).toMatchObject({ lastActivityAt: theirs.lastActivityAt, touchedAt: theirs.lastActivityAt, gsi3sk: keys.customerActivity.dormancySort(theirs.lastActivityAt, survivor) });

    // Repeating the whole merge changes none of it.
    expect((await crm.request('POST', `/v1/customers/${survivor}/merge`, { role: 'admin', body: { duplicateId: duplicate } })).status).toBe(200);
    const again = (await crm.request('GET', `/v1/customers/${survivor}`, { role: 'admin' })).body;
    expect({ ...again, version: 0 }).toEqual({ ...after, version: 0 });
    expect(again.version).toBe(after.version);
    expect((await stored(survivor, '#PURCHASES')).orderCount).toBe(3);
    expect((await stored(survivor, '#ACTIVITY')).rev).toBe(tracker.rev);
  });

  it('finds the deals a duplicate got from an earlier merge, so a chain of merges moves them too', async () => {
    const [first, second, third] = [await customer(`ChainA ${tag}`), await customer(`ChainB ${tag}`), await customer(`ChainC ${tag}`)];
    const deal = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Chained', customerId: first, ownerId: rep, amount: { amount: 10, currency: 'EUR' } } });
    expect((await crm.request('POST', `/v1/customers/${second}/merge`, { role: 'admin', body: { duplicateId: first } })).body.moved.deals).toBe(1);
    expect((await crm.request('POST', `/v1/customers/${third}/merge`, { role: 'admin', body: { duplicateId: second } })).body.moved.deals).toBe(1);
    expect((await crm.request('GET', `/v1/deals/${deal.body.id}`, { role: 'admin' })).body.customerId).toBe(third);
  });
});

describe('lead conversion', () => {
  it('carries the lead\'s custom values to the customer and contact where they define the same key', async () => {
    for (const [entity, field] of [['lead', { key: `origin${tag}`, type: 'text' }], ['customer', { key: `origin${tag}`, type: 'text' }], ['lead', { key: `budget${tag}`, type: 'number' }],
      ['contact', { key: `budget${tag}`, type: 'number', max: 100 }], ['contact', { key: `origin${tag}`, type: 'select', options: [{ value: 'fair' }] }]] as const) {
      const res = await define({ entity, label: field.key, ...field });
      expect(res.status, res.text).toBe(201);
    }
    const lead = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: `Convert ${tag}`, companyName: `Lead Co ${tag}`, custom: { [`origin${tag}`]: 'web', [`budget${tag}`]: 50, budgetBand: 'M' } } });
    expect(lead.status, lead.text).toBe(201);
    const converted = await crm.request('POST', `/v1/leads/${lead.body.id}/convert`, { role: 'admin', body: {} });
    expect(converted.status, converted.text).toBe(200);
    expect((await crm.request('GET', `/v1/customers/${converted.body.customerId}`, { role: 'admin' })).body.custom).toEqual({ [`origin${tag}`]: 'web' });
    // The contact's `origin` is a select without the option "web": that value stays on the lead.
    expect((await crm.request('GET', `/v1/contacts/${converted.body.contactId}`, { role: 'admin' })).body.custom).toEqual({ [`budget${tag}`]: 50 });
  });
});
