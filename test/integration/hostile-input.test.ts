/**
 * Every route, as an admin (who passes authorization everywhere), fed malformed and hostile input:
 * whatever the route, the answer is a 4xx problem+json — never a 5xx, never a stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from '../support/fast-check-seed';
import { ROUTES, routeKey } from '../../functions/api/routes';
import { authorizerOf } from '../../functions/api/route-def';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

const PATH_VALUES = ['x', '%00', '..%2F..%2Fetc', 'cus_01JAAAAAAAAAAAAAAAAAAAAAAA', 'deal_01JAAAAAAAAAAAAAAAAAAAAAAA', 'a'.repeat(600), '%F0%9F%92%A9', "1'%20OR%20'1'='1"];
const BODIES = ['', 'null', '[]', '"text"', '42', '{"__proto__":{"admin":true}}', '{', '{"a":' + '['.repeat(2000) + ']'.repeat(2000) + '}', JSON.stringify({ x: 'y'.repeat(300_000) })];
const QUERIES = ['', '?limit=0', '?limit=abc&cursor=%%%', '?cursor=' + 'A'.repeat(3000), '?unknown=1', '?period=2026-Q9&ownerId=' + 'x'.repeat(300)];

const fill = (path: string, value: string) => path.replace(/\{[^}]+\}/g, value);
const protectedRoutes = ROUTES.filter((route) => route.permission !== 'public');

async function expectClientError(method: string, path: string, rawBody?: string) {
  const res = await crm.request(method, path, { role: 'admin', rawBody });
  expect(res.status, `${method} ${path.slice(0, 80)} body=${String(rawBody).slice(0, 40)} → ${res.text.slice(0, 200)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.text).not.toMatch(/at .+\.(ts|js):\d+/);
  }
}

describe('hostile input on every route', () => {
  it('answers malformed path parameters, queries and bodies with 4xx problems', async () => {
    for (const route of protectedRoutes) {
      const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
      for (const value of PATH_VALUES) await expectClientError(route.method, fill(route.path, value), hasBody ? '{}' : undefined);
      for (const query of QUERIES) await expectClientError(route.method, fill(route.path, 'x') + query);
      if (hasBody) for (const body of BODIES) await expectClientError(route.method, fill(route.path, PATH_VALUES[3]!), body);
    }
  }, 240_000);

  it('survives arbitrary JSON bodies on every write route (property)', async () => {
    const writes = protectedRoutes.filter((route) => route.method !== 'GET' && route.method !== 'DELETE');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writes), fc.jsonValue({ maxDepth: 3 }), async (route, body) => {
        await expectClientError(route.method, fill(route.path, PATH_VALUES[3]!), JSON.stringify(body));
      }),
      { numRuns: 150 },
    );
  }, 240_000);

  it('stores any Unicode name it accepts and finds it again by name prefix (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.array(fc.string({ unit: 'grapheme', maxLength: 12 }), { maxLength: 3 }), async (name, tags) => {
        const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'person', name, tags } });
        expect(res.status, res.text.slice(0, 200)).toBeLessThan(500);
        if (res.status !== 201) return;
        const got = await crm.request('GET', `/v1/customers/${res.body.id}`, { role: 'admin' });
        // Stored as sent, but in Unicode NFC (docs/conventions.md, "Input rules").
        expect(got.body.name).toBe(name.normalize('NFC').trim());
        const prefix = [...got.body.name].slice(0, 3).join('');
        const found = await crm.request('GET', `/v1/customers?limit=100&q=${encodeURIComponent(prefix)}`, { role: 'admin' });
        expect(found.status).toBeLessThan(500);
        if (found.status === 200 && !found.body.nextCursor) expect(found.body.items.map((c: { id: string }) => c.id)).toContain(res.body.id);
      }),
      { numRuns: 60 },
    );
  }, 240_000);

  it('answers a malformed or leftover percent-escape in any path parameter with 400, never a 500', async () => {
    const withParams = protectedRoutes.filter((route) => route.path.includes('{'));
    expect(withParams.length).toBeGreaterThan(30);
    // Portal routes take a portal pool token (a staff token is refused there with 401): a real contact's.
    const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { name: `Hostile portal ${Date.now()}`, type: 'company' } });
    expect(customer.status, customer.text).toBe(201);
    const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: 'Hostile' } });
    expect(contact.status, contact.text).toBe(201);
    const portal = { token: await crm.token('customer', contact.body.id) };
    for (const route of withParams) {
      for (const value of ['%25', '%zz', '%C0%AF']) {
        const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
        const caller = authorizerOf(route) === 'portal' ? portal : { role: 'admin' as const };
        const res = await crm.request(route.method, fill(route.path, value), { ...caller, rawBody: hasBody ? '{}' : undefined });
        expect(res.status, `${route.method} ${fill(route.path, value)} → ${res.text.slice(0, 160)}`).toBe(400);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(res.body.errors?.[0]?.path).toMatch(/^path\./);
      }
    }
  }, 240_000);

  it('answers badly encoded query strings and headers with 4xx, naming the parameter', async () => {
    for (const q of ['%zz', '%C0%AF', '%ED%A0%80', 'a%1Bb', 'x%E2%80%AEy']) {
      const res = await crm.request('GET', `/v1/customers?q=${q}`, { role: 'admin' });
      expect(res.status, q).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path), q).toContain('query.q');
    }
    const created = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Header Probe' } });
    for (const ifMatch of ['"99999999999999999999"', 'W/"x"', '\u00ff\u00fe', '"1", "2"']) {
      const res = await crm.request('PATCH', `/v1/customers/${created.body.id}`, { role: 'admin', body: { tier: 'A' }, headers: { 'if-match': ifMatch } });
      expect(res.status, ifMatch).toBe(412);
    }
    for (const key of ['caf\u00e9-key-12345', 'short', 'with space in it']) {
      const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Keyed' }, headers: { 'idempotency-key': key } });
      expect(res.status, key).toBe(400);
      expect(res.body.errors[0].path).toBe('header.Idempotency-Key');
    }
  });

  it('caps durations and dates so that reminder times cannot overflow a date', async () => {
    const due = new Date(Date.now() + 7 * 86_400_000).toISOString();
    for (const reminder of [{ beforeDue: 'P99999999W' }, { beforeDue: `P${'9'.repeat(30)}D` }, { beforeDue: 'P53W' }, { at: '9999-12-31T23:59:59Z' }]) {
      const res = await crm.request('POST', '/v1/tasks', { role: 'admin', body: { title: 'Overflow', dueAt: due, reminders: [reminder] } });
      expect(res.status, JSON.stringify(reminder)).toBe(400);
      expect(res.body.errors[0].path).toMatch(/^reminders\.0/);
    }
    expect((await crm.request('POST', '/v1/tasks', { role: 'admin', body: { title: 'Far', dueAt: '+275760-09-13T00:00:00Z' } })).status).toBe(400);
  });

  it('refuses control characters, unpaired surrogates and bidi overrides in names, and keeps line breaks only in notes', async () => {
    for (const name of ['A\u0000B', 'Red\u001b[31m', 'Two\r\nLines', 'Evil\u202Egnp.exe', 'Half \ud800']) {
      const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name } });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['name']);
    }
    const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Cafe\u0301 Notes' } });
    expect(customer.body.name).toBe('Caf\u00e9 Notes');
    const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: 'Lines', notes: 'first\r\nsecond\tthird' } });
    expect(contact.status, contact.text).toBe(201);
    expect(contact.body.notes).toBe('first\nsecond\tthird');
    expect((await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: 'Bell', notes: 'ding\u0007' } })).status).toBe(400);
  });

  it('finds a long name whose search key would be cut inside a surrogate pair', async () => {
    const name = `${'a'.repeat(99)}\u{20000}\u{20001} Ltd`;
    const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name } });
    expect(res.status, res.text).toBe(201);
    const found = await crm.request('GET', `/v1/customers?limit=100&q=${encodeURIComponent('a'.repeat(99))}`, { role: 'admin' });
    expect(found.status, found.text).toBe(200);
    expect(found.body.items.map((c: { id: string }) => c.id)).toContain(res.body.id);
  });

  it('covers every protected route', () => {
    expect(protectedRoutes.length).toBeGreaterThan(60);
    expect(new Set(protectedRoutes.map(routeKey)).size).toBe(protectedRoutes.length);
  });
});
