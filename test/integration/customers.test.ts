/**
 * Customers and contacts end to end: HTTP through the local gateway into the real handler, against
 * DynamoDB Local. Request counts come from the x-db-* headers the middleware adds in tests.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;
let seq = 0;
const uniq = () => `${Date.now().toString(36)}${(seq++).toString(36)}`;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

async function createCustomer(body: Record<string, unknown>, role: 'admin' | 'sales' | 'manager' = 'admin', userId?: string) {
  const res = await crm.request('POST', '/v1/customers', { role, userId, body: { type: 'company', ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('creating customers', () => {
  it('creates a customer with classification and basic info, version 1, ETag and Location', async () => {
    const res = await crm.request('POST', '/v1/customers', {
      role: 'sales',
      body: {
        type: 'company', name: 'Acme GmbH', industry: 'Manufacturing', tier: 'A', lifecycleStage: 'customer', source: 'referral',
        tags: ['VIP', 'vip', 'Berlin'], email: `info-${uniq()}@acme.example`, phone: `+49 30 ${Math.floor(Math.random() * 1e7)}`,
        address: { line1: 'Hauptstr. 1', city: 'Berlin', postalCode: '10115', country: 'DE' }, website: 'https://acme.example', taxId: 'DE123456789',
      },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Acme GmbH', tier: 'A', ownerId: rep1, tags: ['vip', 'berlin'], version: 1, contactCount: 0, createdBy: rep1 });
    expect(res.body.id).toMatch(/^cus_[0-9A-Z]{26}$/);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe(`/v1/customers/${res.body.id}`);
  });

  it('rejects invalid fields with a problem listing each one, and writes nothing', async () => {
    const before = await crm.request('GET', '/v1/customers?limit=100', { role: 'admin' });
    const res = await crm.request('POST', '/v1/customers', {
      role: 'admin',
      body: { type: 'alien', name: '', tier: 'Z', email: 'not-an-email', website: 'javascript:alert(1)', address: { city: 'X' }, extra: 1 },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['type', 'name', 'tier', 'email', 'website', 'address.line1', 'address.country']));
    expect(res.body.requestId).toBeTruthy();
    const after = await crm.request('GET', '/v1/customers?limit=100', { role: 'admin' });
    expect(after.body.items.length).toBe(before.body.items.length);
  });

  it('answers malformed JSON 400, a non-JSON body 415 and an oversized body 413', async () => {
    expect((await crm.request('POST', '/v1/customers', { role: 'admin', rawBody: '{"type":' })).status).toBe(400);
    expect((await crm.request('POST', '/v1/customers', { role: 'admin', rawBody: 'type=company', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    const big = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'x'.repeat(300 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.type).toContain('payload-too-large');
  });

  it('answers hostile input with 4xx problems, never a 500', async () => {
    const bodies = [
      '{"type":"company","name":"X","__proto__":{"isAdmin":true}}',
      '{"type":"company","name":"X","constructor":{"prototype":{"polluted":1}}}',
      '[]', 'null', '"just a string"', '{"type":"company","name":{"$gt":""}}',
      `{"type":"company","name":"X","tags":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      '{"type":"company","name":"X","tags":["' + 'a'.repeat(41) + '"]}',
      '\u0000\u0001',
    ];
    for (const rawBody of bodies) {
      const res = await crm.request('POST', '/v1/customers', { role: 'admin', rawBody });
      expect(res.status, rawBody.slice(0, 40)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    for (const path of ['/v1/customers/%00', '/v1/customers/cus_%2F..%2F..', '/v1/customers/' + 'x'.repeat(2000), '/v1/customers?cursor=' + 'A'.repeat(5000)]) {
      const res = await crm.request('GET', path, { role: 'admin' });
      expect([400, 404], path.slice(0, 40)).toContain(res.status);
    }
  });

  it('detects a duplicate email or phone (normalised) and names the existing customer', async () => {
    const email = `dup-${uniq()}@example.com`;
    const phone = `+49 89 ${uniq().length}${Math.floor(Math.random() * 1e8)}`;
    const first = await createCustomer({ name: 'First', email, phone });
    const byEmail = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'person', name: 'Second', email: email.toUpperCase() } });
    expect(byEmail.status).toBe(409);
    expect(byEmail.body.existingId).toBe(first.id);
    const byPhone = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'person', name: 'Third', phone: phone.replace('+', '00').replace(/ /g, '-') } });
    expect(byPhone.status).toBe(409);
    expect(byPhone.body.existingId).toBe(first.id);
  });

  it('lets exactly one of many concurrent creates with the same email win', async () => {
    const email = `race-${uniq()}@example.com`;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'person', name: `Racer ${i}`, email } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
  });

  it('does not let a sales rep create a customer for someone else', async () => {
    const res = await crm.request('POST', '/v1/customers', { role: 'sales', body: { type: 'company', name: 'Not mine', ownerId: rep2 } });
    expect(res.status).toBe(403);
  });
});

describe('idempotent creates', () => {
  it('replays the first response for a retried key and creates nothing new', async () => {
    const key = `idem-${uniq()}-0000`;
    const body = { type: 'company', name: `Idem ${uniq()}` };
    const first = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers: { 'idempotency-key': key } });
    const again = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const list = await crm.request('GET', `/v1/customers?q=${encodeURIComponent(body.name)}`, { role: 'admin' });
    expect(list.body.items).toHaveLength(1);
  });

  it('answers 422 for the same key with a different body', async () => {
    const key = `idem-${uniq()}-0001`;
    await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'One' }, headers: { 'idempotency-key': key } });
    const other = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Two' }, headers: { 'idempotency-key': key } });
    expect(other.status).toBe(422);
  });

  it('releases the key when the first attempt failed, so a corrected retry succeeds', async () => {
    const key = `idem-${uniq()}-0002`;
    const email = `idem-${uniq()}@example.com`;
    await createCustomer({ name: 'Holder', email });
    const failed = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Dup', email }, headers: { 'idempotency-key': key } });
    expect(failed.status).toBe(409);
    const retried = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Dup', email }, headers: { 'idempotency-key': key } });
    expect(retried.status).toBe(409);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });
});

describe('reading and row-level visibility', () => {
  it('reads a customer in one DynamoDB request', async () => {
    const c = await createCustomer({ name: 'One Request' });
    const res = await crm.request('GET', `/v1/customers/${c.id}`, { role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-db-requests')).toBe('1');
    expect(res.headers.get('etag')).toBe('"1"');
  });

  it('hides other reps\' customers as if they did not exist', async () => {
    const theirs = await createCustomer({ name: 'Theirs', ownerId: rep2 });
    const res = await crm.request('GET', `/v1/customers/${theirs.id}`, { role: 'sales', userId: rep1 });
    expect(res.status).toBe(404);
    const unknown = await crm.request('GET', '/v1/customers/cus_01JAAAAAAAAAAAAAAAAAAAAAAA', { role: 'sales', userId: rep1 });
    expect(unknown.status).toBe(404);
    expect(res.body.detail).toBe(unknown.body.detail);
    expect((await crm.request('GET', `/v1/customers/${theirs.id}`, { role: 'sales', userId: rep2 })).status).toBe(200);
    expect((await crm.request('GET', '/v1/customers/not-an-id', { role: 'admin' })).status).toBe(404);
  });

  it('masks personal fields for marketing and analysts only', async () => {
    const c = await createCustomer({ name: 'Private Person', email: `p-${uniq()}@example.com`, phone: `+1 555 ${Math.floor(Math.random() * 1e7)}`, taxId: 'X-1', address: { line1: 'Secret 1', city: 'Paris', country: 'FR' }, ownerId: rep1 });
    for (const role of ['marketing', 'analyst'] as const) {
      const res = await crm.request('GET', `/v1/customers/${c.id}`, { role });
      expect(res.status).toBe(200);
      expect(res.body.email).toMatch(/^p\*\*\*@example\.com$/);
      expect(res.body.taxId).toBe('***');
      expect(res.body.address).toEqual({ city: 'Paris', country: 'FR' });
      expect(res.body.masked).toEqual(expect.arrayContaining(['email', 'phone', 'address', 'taxId']));
      expect(res.text).not.toContain('Secret 1');
    }
    for (const role of ['admin', 'manager', 'service'] as const) {
      const res = await crm.request('GET', `/v1/customers/${c.id}`, { role });
      expect(res.body.taxId).toBe('X-1');
      expect(res.body.masked).toBeUndefined();
    }
  });
});

describe('listing with index-backed filters', () => {
  const tag = `t${uniq()}`;
  const names = ['Ölwerk Zürich', 'Olive Oil Co', 'olympus partners', '王小明', '王大力', 'Zeta Systems'];
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    for (const [i, name] of names.entries()) {
      const c = await createCustomer({
        name, type: i % 2 ? 'person' : 'company', tags: [tag, i < 3 ? 'oil' : 'other'], tier: i % 2 ? 'B' : 'A',
        lifecycleStage: i < 2 ? 'lead' : 'customer', ownerId: i < 4 ? rep1 : rep2,
      });
      ids[name] = c.id;
    }
  });

  const list = async (query: string, role: 'admin' | 'sales' = 'admin', userId?: string, requests = '1') => {
    const res = await crm.request('GET', `/v1/customers?tag=${tag}&${query}`, { role, userId });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('x-db-requests')).toBe(requests);
    return res.body.items.map((c: { name: string }) => c.name);
  };

  it('finds names by prefix regardless of case and accents, Chinese included', async () => {
    expect(await list('q=ol')).toEqual(['Ölwerk Zürich', 'Olive Oil Co', 'olympus partners'].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
    expect(await list('q=OLW')).toEqual(['Ölwerk Zürich']);
    expect(await list(`q=${encodeURIComponent('王')}`)).toEqual(['王大力', '王小明']);
  });

  it('combines tag with tier, stage and owner', async () => {
    expect(await list('tier=B')).toEqual(expect.arrayContaining(['Olive Oil Co', '王小明']));
    expect((await list('tier=B')).length).toBe(3);
    expect(await list('lifecycleStage=lead')).toEqual(expect.arrayContaining(['Ölwerk Zürich', 'Olive Oil Co']));
    expect((await list(`ownerId=${rep2}`)).sort()).toEqual(['Zeta Systems', '王大力'].sort());
  });

  it('shows a sales rep only their own customers', async () => {
    const mine = await list('', 'sales', rep1);
    expect(mine.sort()).toEqual(names.slice(0, 4).sort());
    // Asking for another rep's customers is answered without touching the database.
    expect(await list(`ownerId=${rep2}`, 'sales', rep1, '0')).toEqual([]);
  });

  it('pages with a signed cursor and rejects tampered or foreign cursors', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: { name: string }[]; nextCursor: string | null } } = await crm.request('GET', `/v1/customers?tag=${tag}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { role: 'admin' });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((c) => c.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(names.length);
    expect(new Set(seen).size).toBe(names.length);

    const page = await crm.request('GET', `/v1/customers?tag=${tag}&limit=2`, { role: 'admin' });
    const good: string = page.body.nextCursor;
    // Cursors are AES-GCM sealed (functions/data/cursor.ts): a forged plaintext, a flipped byte, a cut tag and garbage all fail.
    const raw = Buffer.from(good, 'base64url');
    const flipped = Buffer.from(raw);
    flipped[20] = flipped[20]! ^ 1;
    const forged = Buffer.from(JSON.stringify({ pk: 'CUS#x', sk: '#PROFILE' })).toString('base64url');
    for (const bad of [forged, flipped.toString('base64url'), raw.subarray(0, raw.length - 1).toString('base64url'), 'garbage', `${good}.x`]) {
      const res = await crm.request('GET', `/v1/customers?tag=${tag}&limit=2&cursor=${encodeURIComponent(bad)}`, { role: 'admin' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe('cursor');
    }
    const foreign = await crm.request('GET', `/v1/customers?tag=${tag}&tier=A&limit=2&cursor=${encodeURIComponent(good)}`, { role: 'admin' });
    expect(foreign.status).toBe(400);
  });

  it('rejects bad filter values with 400', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'tier=E', 'lifecycleStage=zombie', 'archived=maybe', 'unknown=1']) {
      const res = await crm.request('GET', `/v1/customers?${q}`, { role: 'admin' });
      expect(res.status, q).toBe(400);
    }
  });
});

describe('updating with optimistic concurrency', () => {
  it('updates with If-Match, bumps the version and answers 412 for a stale ETag', async () => {
    const c = await createCustomer({ name: 'Versioned' });
    const ok = await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { tier: 'B', industry: null }, headers: { 'if-match': '"1"' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ tier: 'B', version: 2 });
    expect(ok.headers.get('etag')).toBe('"2"');
    const stale = await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { tier: 'C' }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect((await crm.request('GET', `/v1/customers/${c.id}`, { role: 'admin' })).body.tier).toBe('B');
  });

  it('loses no update when concurrent PATCHes without If-Match change different fields', async () => {
    const c = await createCustomer({ name: 'Busy' });
    const patches = [{ tier: 'A' }, { industry: 'Retail' }, { source: 'web' }, { lifecycleStage: 'prospect' }, { website: 'https://busy.example' }];
    const results = await Promise.all(patches.map((body) => crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body })));
    const succeeded = results.filter((r) => r.status === 200).length;
    const final = (await crm.request('GET', `/v1/customers/${c.id}`, { role: 'admin' })).body;
    expect(final.version).toBe(1 + succeeded);
    for (const [i, body] of patches.entries()) if (results[i]!.status === 200) expect(final).toMatchObject(body);
    for (const r of results) expect([200, 409]).toContain(r.status);
    expect(succeeded).toBeGreaterThanOrEqual(3);
  });

  it('checks duplicates when the email changes and frees the old address', async () => {
    const taken = `taken-${uniq()}@example.com`;
    const old = `old-${uniq()}@example.com`;
    const holder = await createCustomer({ name: 'Holder', email: taken });
    const c = await createCustomer({ name: 'Mover', email: old });
    const clash = await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { email: taken } });
    expect(clash.status).toBe(409);
    expect(clash.body.existingId).toBe(holder.id);
    expect((await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { email: `new-${uniq()}@example.com` } })).status).toBe(200);
    await createCustomer({ name: 'Reuser', email: old });
  });

  it('lets only managers and admins reassign the owner', async () => {
    const c = await createCustomer({ name: 'Owned', ownerId: rep1 });
    expect((await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'sales', userId: rep1, body: { ownerId: rep2 } })).status).toBe(403);
    expect((await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'sales', userId: rep1, body: { name: 'Owned & renamed' } })).status).toBe(200);
    expect((await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'manager', body: { ownerId: rep2 } })).body.ownerId).toBe(rep2);
    expect((await crm.request('GET', `/v1/customers/${c.id}`, { role: 'sales', userId: rep1 })).status).toBe(404);
  });

  it('keeps the tag lists in step with tag changes, renames and archiving', async () => {
    const [keep, drop] = [`k${uniq()}`, `d${uniq()}`];
    const c = await createCustomer({ name: 'Tagged', tags: [keep, drop] });
    const names = async (tag: string) => (await crm.request('GET', `/v1/customers?tag=${tag}`, { role: 'admin' })).body.items.map((x: { name: string }) => x.name);
    await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { tags: [keep], name: 'Tagged renamed' } });
    expect(await names(drop)).toEqual([]);
    expect(await names(keep)).toEqual(['Tagged renamed']);
    await crm.request('DELETE', `/v1/customers/${c.id}`, { role: 'admin' });
    expect(await names(keep)).toEqual([]);
    await crm.request('POST', `/v1/customers/${c.id}/restore`, { role: 'admin' });
    expect(await names(keep)).toEqual(['Tagged renamed']);
  });

  it('rejects an empty or unknown patch', async () => {
    const c = await createCustomer({ name: 'Patchy' });
    expect((await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: {} })).status).toBe(400);
    expect((await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { version: 9 } })).status).toBe(400);
  });
});

describe('archive and restore', () => {
  it('hides an archived customer from lists, keeps it readable, frees its email, and restores it', async () => {
    const email = `arch-${uniq()}@example.com`;
    const name = `Archivable ${uniq()}`;
    const c = await createCustomer({ name, email, tier: 'D' });
    const archived = await crm.request('DELETE', `/v1/customers/${c.id}`, { role: 'admin', headers: { 'if-match': '"1"' } });
    expect(archived.status).toBe(200);
    expect(archived.body.archivedAt).toBeTruthy();
    expect((await crm.request('GET', `/v1/customers?q=${encodeURIComponent(name)}`, { role: 'admin' })).body.items).toHaveLength(0);
    expect((await crm.request('GET', `/v1/customers?tier=D&q=${encodeURIComponent(name)}`, { role: 'admin' })).body.items).toHaveLength(0);
    expect((await crm.request('GET', `/v1/customers?archived=true&q=${encodeURIComponent(name)}`, { role: 'admin' })).body.items).toHaveLength(1);
    expect((await crm.request('GET', `/v1/customers/${c.id}`, { role: 'admin' })).body.archivedAt).toBeTruthy();
    expect((await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { tier: 'A' } })).status).toBe(409);

    const again = await crm.request('DELETE', `/v1/customers/${c.id}`, { role: 'admin' });
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(archived.body.version);

    const restored = await crm.request('POST', `/v1/customers/${c.id}/restore`, { role: 'admin' });
    expect(restored.status).toBe(200);
    expect(restored.body.archivedAt).toBeUndefined();
    expect((await crm.request('GET', `/v1/customers?q=${encodeURIComponent(name)}`, { role: 'admin' })).body.items).toHaveLength(1);
  });

  it('refuses to restore when a live customer took the email meanwhile', async () => {
    const email = `reuse-${uniq()}@example.com`;
    const c = await createCustomer({ name: 'Gone', email });
    await crm.request('DELETE', `/v1/customers/${c.id}`, { role: 'admin' });
    const newcomer = await createCustomer({ name: 'Newcomer', email });
    const res = await crm.request('POST', `/v1/customers/${c.id}/restore`, { role: 'admin' });
    expect(res.status).toBe(409);
    expect(res.body.existingId).toBe(newcomer.id);
  });
});

describe('contacts', () => {
  it('adds, lists, reads (one request), updates and deletes contacts of a customer', async () => {
    const tag = `ct${uniq()}`;
    const c = await createCustomer({ name: 'With Contacts', ownerId: rep1, tags: [tag] });
    const a = await crm.request('POST', `/v1/customers/${c.id}/contacts`, { role: 'sales', userId: rep1, body: { firstName: 'Ana', lastName: 'Zed', email: 'ana@with.example', jobTitle: 'CEO' } });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ customerId: c.id, isPrimary: true, version: 1 });
    const b = await crm.request('POST', `/v1/customers/${c.id}/contacts`, { role: 'sales', userId: rep1, body: { firstName: 'Bo', lastName: 'Alpha', isPrimary: true } });
    expect(b.body.isPrimary).toBe(true);
    expect((await crm.request('GET', `/v1/contacts/${a.body.id}`, { role: 'sales', userId: rep1 })).body.isPrimary).toBe(false);

    const list = await crm.request('GET', `/v1/customers/${c.id}/contacts`, { role: 'sales', userId: rep1 });
    expect(list.body.items.map((x: { lastName: string }) => x.lastName)).toEqual(['Alpha', 'Zed']);
    expect((await crm.request('GET', `/v1/customers/${c.id}`, { role: 'admin' })).body.contactCount).toBe(2);
    expect((await crm.request('GET', `/v1/customers?tag=${tag}`, { role: 'admin' })).body.items[0].contactCount).toBe(2);

    const got = await crm.request('GET', `/v1/contacts/${a.body.id}`, { role: 'sales', userId: rep1 });
    expect(got.headers.get('x-db-requests')).toBe('1');
    const patched = await crm.request('PATCH', `/v1/contacts/${a.body.id}`, { role: 'sales', userId: rep1, body: { jobTitle: 'CFO' }, headers: { 'if-match': got.headers.get('etag')! } });
    expect(patched.body).toMatchObject({ jobTitle: 'CFO', version: got.body.version + 1 });
    expect((await crm.request('DELETE', `/v1/contacts/${a.body.id}`, { role: 'sales', userId: rep1, headers: { 'if-match': '"1"' } })).status).toBe(412);
    expect((await crm.request('DELETE', `/v1/contacts/${a.body.id}`, { role: 'sales', userId: rep1 })).status).toBe(204);
    expect((await crm.request('GET', `/v1/contacts/${a.body.id}`, { role: 'admin' })).status).toBe(404);
    expect((await crm.request('GET', `/v1/customers/${c.id}`, { role: 'admin' })).body.contactCount).toBe(1);
    expect((await crm.request('GET', `/v1/customers?tag=${tag}`, { role: 'admin' })).body.items[0].contactCount).toBe(1);
  });

  it('moves contact visibility with the customer when the owner changes', async () => {
    const c = await createCustomer({ name: 'Handover', ownerId: rep1 });
    const contact = (await crm.request('POST', `/v1/customers/${c.id}/contacts`, { role: 'admin', body: { lastName: 'Handed', phone: '+44 20 7946 0000' } })).body;
    expect((await crm.request('GET', `/v1/contacts/${contact.id}`, { role: 'sales', userId: rep1 })).status).toBe(200);
    expect((await crm.request('GET', `/v1/contacts/${contact.id}`, { role: 'sales', userId: rep2 })).status).toBe(404);
    await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'manager', body: { ownerId: rep2 } });
    expect((await crm.request('GET', `/v1/contacts/${contact.id}`, { role: 'sales', userId: rep1 })).status).toBe(404);
    expect((await crm.request('GET', `/v1/contacts/${contact.id}`, { role: 'sales', userId: rep2 })).status).toBe(200);
    const masked = await crm.request('GET', `/v1/contacts/${contact.id}`, { role: 'analyst' });
    expect(masked.body.phone).toBe('***00');
  });

  it('answers 404 for contacts of an unknown or invisible customer', async () => {
    const c = await createCustomer({ name: 'Invisible', ownerId: rep2 });
    expect((await crm.request('POST', `/v1/customers/${c.id}/contacts`, { role: 'sales', userId: rep1, body: { lastName: 'X' } })).status).toBe(404);
    expect((await crm.request('GET', '/v1/customers/cus_01JAAAAAAAAAAAAAAAAAAAAAAA/contacts', { role: 'admin' })).status).toBe(404);
  });
});

describe('history, audit and domain events', () => {
  it('records every change newest first, without sensitive values', async () => {
    const c = await createCustomer({ name: 'Audited', email: `aud-${uniq()}@example.com` });
    await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { email: `aud2-${uniq()}@example.com`, tier: 'C' } });
    await crm.request('POST', `/v1/customers/${c.id}/contacts`, { role: 'admin', body: { lastName: 'Logged' } });
    await crm.request('DELETE', `/v1/customers/${c.id}`, { role: 'admin' });
    const res = await crm.request('GET', `/v1/customers/${c.id}/history?limit=2`, { role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.body.items.map((e: { action: string; entityType: string }) => `${e.entityType}.${e.action}`)).toEqual(['customer.archived', 'contact.created']);
    const rest = await crm.request('GET', `/v1/customers/${c.id}/history?limit=10&cursor=${encodeURIComponent(res.body.nextCursor)}`, { role: 'admin' });
    expect(rest.body.items.map((e: { action: string }) => e.action)).toEqual(['updated', 'created']);
    const update = rest.body.items[0];
    expect(update.changes).toEqual(expect.arrayContaining([{ field: 'email', redacted: true }, { field: 'tier', to: 'C' }]));
    expect(JSON.stringify([res.body, rest.body])).not.toContain('aud2-');
  });

  it('publishes a thin domain event for every committed write, once', async () => {
    const c = await createCustomer({ name: 'Eventful', email: `ev-${uniq()}@example.com` });
    await crm.request('PATCH', `/v1/customers/${c.id}`, { role: 'admin', body: { tier: 'A' } });
    const events = await crm.waitForEvents((e) => JSON.stringify(e).includes(c.id), 2);
    const types = events.map((e) => e.DetailType ?? e.detailType ?? e['detail-type']);
    expect(types.filter((t) => t === 'customer.created')).toHaveLength(1);
    expect(types.filter((t) => t === 'customer.updated')).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain('ev-');
  });
});

describe('system routes', () => {
  it('serves health without a token and me with one', async () => {
    const health = await crm.request('GET', '/v1/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect((await crm.request('GET', '/v1/me')).status).toBe(401);
    const me = await crm.request('GET', '/v1/me', { role: 'sales', userId: rep1 });
    expect(me.body).toMatchObject({ userId: rep1, role: 'sales', permissions: { 'customers:read': 'own' } });
    expect(me.body.permissions['pii:read']).toBe('own');
  });
});

describe('idempotency when its record cannot be completed', () => {
  it('still answers the committed create with 201, and a retry replays it instead of creating a second customer', async () => {
    const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
    const original = DynamoDBDocumentClient.prototype.send;
    // Failure injection: the write that stores the idempotent response fails once.
    let failed = false;
    const spy = vi.spyOn(DynamoDBDocumentClient.prototype, 'send').mockImplementation(function (this: unknown, command: any, ...rest: any[]) {
      const key = command?.input?.Key?.pk;
      if (!failed && command?.constructor?.name === 'UpdateCommand' && typeof key === 'string' && key.startsWith('IDEM#')) {
        failed = true;
        return Promise.reject(Object.assign(new Error('simulated outage'), { name: 'InternalServerError' }));
      }
      return (original as any).call(this, command, ...rest);
    });
    try {
      const key = `idem-${uniq()}-broken`;
      const name = `Committed ${uniq()}`;
      const first = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name }, headers: { 'idempotency-key': key } });
      expect(failed).toBe(true);
      expect(first.status).toBe(201);
      const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name }, headers: { 'idempotency-key': key } });
      // The key was marked committed in the create's own transaction: the retry rebuilds the answer.
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body.id).toBe(first.body.id);
      const list = await crm.request('GET', `/v1/customers?q=${encodeURIComponent(name)}`, { role: 'admin' });
      expect(list.body.items).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });
});
