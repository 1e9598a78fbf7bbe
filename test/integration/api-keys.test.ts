/**
 * API keys for machine clients, through the local gateway's machine path (the same authorizer
 * handler as the machine API in AWS): created by admins and shown once, stored only as a hash,
 * accepted as `Authorization: ApiKey <key>` or `x-api-key`, acting with their role and scopes,
 * audited as the key, last use recorded at most once a minute, expiry and revocation.
 */
import { createHash } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

async function createKey(body: Record<string, unknown>) {
  const res = await crm.request('POST', '/v1/api-keys', { role: 'admin', body: { name: 'ERP sync', ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; key: string; role: string; prefix: string; status: string };
}

const withKey = (key: string, method: string, path: string, body?: unknown, header: 'x-api-key' | 'authorization' = 'x-api-key') =>
  crm.request(method, path, { token: null, body, headers: header === 'x-api-key' ? { 'x-api-key': key } : { authorization: `ApiKey ${key}` } });

const stored = async (id: string) => (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: { pk: `APIKEY#${id}`, sk: '#KEY' } }))).Item!;

describe('API keys', () => {
  it('shows the key once and stores only its SHA-256', async () => {
    const created = await createKey({ role: 'sales' });
    expect(created.key).toMatch(/^crm_key_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(created).toMatchObject({ role: 'sales', status: 'active' });
    const list = await crm.request('GET', '/v1/api-keys', { role: 'admin' });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(created.key);
    expect(list.body.items.find((k: { id: string }) => k.id === created.id)).toMatchObject({ prefix: created.prefix, status: 'active' });
    const item = await stored(created.id);
    expect(item.hash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(JSON.stringify(item)).not.toContain(created.key.slice(created.prefix.length + 1));
    for (const role of ['manager', 'sales', 'analyst'] as const) expect((await crm.request('POST', '/v1/api-keys', { role, body: { name: 'x', role: 'admin' } })).status).toBe(403);
  });

  it('authenticates with either header, acts with its role, and is audited as the key', async () => {
    const key = await createKey({ role: 'sales' });
    const lead = await withKey(key.key, 'POST', '/v1/leads', { lastName: 'Keyed', companyName: 'Website form' });
    expect(lead.status, JSON.stringify(lead.body)).toBe(201);
    expect(lead.body).toMatchObject({ createdBy: key.id, ownerId: key.id });
    const read = await withKey(key.key, 'GET', `/v1/leads/${lead.body.id}`, undefined, 'authorization');
    expect(read.status).toBe(200);
    const event = await crm.waitForEvents((e) => e['detail-type'] === 'lead.created' && e.detail.entityId === lead.body.id, 1);
    expect(event[0].detail.actorId).toBe(key.id);
    // The sales role's rules hold: no pipelines:write, and someone else's lead is not there.
    expect((await withKey(key.key, 'POST', '/v1/pipelines', { name: 'No', stages: [{ name: 'A', probability: 10 }] })).status).toBe(403);
    const other = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Other', ownerId: 'someone-else' } });
    expect((await withKey(key.key, 'GET', `/v1/leads/${other.body.id}`)).status).toBe(404);
    const me = await withKey(key.key, 'GET', '/v1/me');
    expect(me.body).toMatchObject({ userId: key.id, role: 'sales' });
  });

  it('restricts a key to its scopes', async () => {
    const key = await createKey({ role: 'admin', scopes: ['leads:read'] });
    expect((await withKey(key.key, 'GET', '/v1/leads')).status).toBe(200);
    const refused = await withKey(key.key, 'POST', '/v1/leads', { lastName: 'Scoped' });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain('scopes');
    expect((await withKey(key.key, 'GET', '/v1/customers')).status).toBe(403);
    // A key never manages keys, whatever its role.
    const admin = await createKey({ role: 'admin' });
    expect((await withKey(admin.key, 'POST', '/v1/api-keys', { name: 'successor', role: 'admin' })).status).toBe(403);
    expect((await withKey(admin.key, 'GET', '/v1/api-keys')).status).toBe(403);
  });

  it('refuses unknown, tampered, expired and revoked keys (revocation after the cache delay)', async () => {
    const key = await createKey({ role: 'analyst' });
    const tampered = `${key.key.slice(0, -1)}${key.key.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [tampered, 'crm_key_01J00000000000000000000000_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'not-a-key']) {
      const res = await withKey(bad, 'GET', '/v1/customers');
      expect(res.status, bad).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    const expired = await createKey({ role: 'analyst', expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(expired.status).toBe('expired');
    expect((await withKey(expired.key, 'GET', '/v1/customers')).status).toBe(403);

    // Never used: refused at once after revocation.
    const fresh = await createKey({ role: 'analyst' });
    const revoked = await crm.request('DELETE', `/v1/api-keys/${fresh.id}`, { role: 'admin' });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ status: 'revoked' });
    expect((await withKey(fresh.key, 'GET', '/v1/customers')).status).toBe(403);
    expect((await crm.request('DELETE', `/v1/api-keys/${fresh.id}`, { role: 'admin' })).body.revokedAt).toBe(revoked.body.revokedAt);
    expect((await crm.request('DELETE', '/v1/api-keys/key_00000000000000000000000000', { role: 'admin' })).status).toBe(404);

    // In use: a warm authorizer keeps its verification for at most 60 s (the documented delay).
    expect((await withKey(key.key, 'GET', '/v1/customers')).status).toBe(200);
    await crm.request('DELETE', `/v1/api-keys/${key.id}`, { role: 'admin' });
    const { clearApiKeyCache } = await import('../../functions/apikeys/verify');
    clearApiKeyCache(); // the cache's 60 s have passed
    expect((await withKey(key.key, 'GET', '/v1/customers')).status).toBe(403);
  });

  it('records the last use, at most once a minute', async () => {
    const key = await createKey({ role: 'analyst' });
    expect((await stored(key.id)).lastUsedAt).toBeUndefined();
    expect((await withKey(key.key, 'GET', '/v1/customers')).status).toBe(200);
    const first = (await stored(key.id)).lastUsedAt as string;
    expect(first).toBeDefined();
    const { clearApiKeyCache, verifyApiKey } = await import('../../functions/apikeys/verify');
    clearApiKeyCache();
    expect((await withKey(key.key, 'GET', '/v1/customers')).status).toBe(200);
    expect((await stored(key.id)).lastUsedAt).toBe(first);
    // A minute later (time injected), the next use moves it.
    const later = new Date(Date.parse(first) + 61_000);
    expect(await verifyApiKey(key.key, later)).toMatchObject({ keyId: key.id, role: 'analyst' });
    expect((await stored(key.id)).lastUsedAt).toBe(later.toISOString());
    const listed = (await crm.request('GET', '/v1/api-keys', { role: 'admin' })).body.items.find((k: { id: string }) => k.id === key.id);
    expect(listed.lastUsedAt).toBe(later.toISOString());
  });

  it('limits each key to its requests per minute: RateLimit headers on every answer, then 429 with Retry-After', async () => {
    const key = await createKey({ role: 'analyst', rateLimitPerMinute: 3 });
    expect(key).toMatchObject({ rateLimitPerMinute: 3, rateLimitDefault: false });
    const answers: { status: number; policy: string | null; limit: string | null; retryAfter: string | null; body: { type?: string; detail?: string } }[] = [];
    // Three fit in a window; a window that turns over mid-test allows three more: 8 requests always reach a 429.
    for (let i = 0; i < 8 && answers.at(-1)?.status !== 429; i++) {
      const res = await withKey(key.key, 'GET', '/v1/customers');
      answers.push({ status: res.status, policy: res.headers.get('ratelimit-policy'), limit: res.headers.get('ratelimit'), retryAfter: res.headers.get('retry-after'), body: res.body });
    }
    const refused = answers.at(-1)!;
    expect(refused.status).toBe(429);
    expect(refused.body.type).toMatch(/too-many-requests$/);
    expect(refused.body.detail).toContain('3 requests per minute');
    const t = Number(/;t=(\d+)$/.exec(refused.limit ?? '')?.[1]);
    expect(refused.limit).toMatch(/^"per-key";r=0;t=\d+$/);
    expect(t).toBeGreaterThanOrEqual(1);
    expect(t).toBeLessThanOrEqual(60);
    expect(refused.retryAfter).toBe(String(t));
    for (const ok of answers.slice(0, -1)) {
      expect(ok.status).toBe(200);
      expect(ok.policy).toBe('"per-key";q=3;w=60');
      expect(ok.limit).toMatch(/^"per-key";r=[0-2];t=\d+$/);
    }
    // Users with a bearer token are not counted per key and get no such headers.
    const user = await crm.request('GET', '/v1/customers', { role: 'analyst' });
    expect(user.headers.get('ratelimit')).toBeNull();
    // An admin raises the key's limit (If-Match); the authorizer applies it after its cache time.
    const patched = await crm.request('PATCH', `/v1/api-keys/${key.id}`, { role: 'admin', body: { rateLimitPerMinute: 1000 }, headers: { 'if-match': '"1"' } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body).toMatchObject({ rateLimitPerMinute: 1000, rateLimitDefault: false, version: 2 });
    expect((await crm.request('PATCH', `/v1/api-keys/${key.id}`, { role: 'admin', body: { name: 'stale' }, headers: { 'if-match': '"1"' } })).status).toBe(412);
    const { clearApiKeyCache } = await import('../../functions/apikeys/verify');
    const { clearRateMemo } = await import('../../functions/apikeys/rate-limit');
    clearApiKeyCache();
    clearRateMemo();
    const after = await withKey(key.key, 'GET', '/v1/customers');
    expect(after.status).toBe(200);
    expect(after.headers.get('ratelimit-policy')).toBe('"per-key";q=1000;w=60');
    // null returns the key to the stage default.
    const reset = await crm.request('PATCH', `/v1/api-keys/${key.id}`, { role: 'admin', body: { rateLimitPerMinute: null } });
    expect(reset.body).toMatchObject({ rateLimitPerMinute: 600, rateLimitDefault: true });
  });

  it('audits creation, changes and revocation as api-key events, never with the key or its hash', async () => {
    const key = await createKey({ role: 'sales', rateLimitPerMinute: 50 });
    await crm.request('PATCH', `/v1/api-keys/${key.id}`, { role: 'admin', body: { name: 'Website leads' } });
    await crm.request('DELETE', `/v1/api-keys/${key.id}`, { role: 'admin' });
    const out = await crm.ddb.send(new QueryCommand({
      TableName: crm.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :aud)',
      ExpressionAttributeValues: { ':pk': `APIKEY#${key.id}`, ':aud': 'AUD#' },
    }));
    const entries = out.Items ?? [];
    expect(entries.map((e) => [e.action, e.version])).toEqual([['created', 1], ['updated', 2], ['revoked', 3]]);
    expect(entries[0]!.changes.map((c: { field: string }) => c.field).sort()).toEqual(['name', 'rateLimitPerMinute', 'role']);
    expect(entries[1]!.changes).toEqual([{ field: 'name', from: 'ERP sync', to: 'Website leads' }]);
    const hash = (await stored(key.id)).hash as string;
    for (const entry of entries) {
      expect(entry.kind).toBe('audit');
      const text = JSON.stringify(entry);
      expect(text).not.toContain(key.key.slice(key.prefix.length + 1));
      expect(text).not.toContain(hash);
      expect(text).not.toContain(key.prefix);
    }
    const events = await crm.waitForEvents((e) => e.detail.entityId === key.id, 3);
    expect(events.map((e) => e['detail-type']).sort()).toEqual(['api-key.created', 'api-key.revoked', 'api-key.updated']);
  });
});
