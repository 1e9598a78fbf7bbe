/**
 * Every route, as an admin (who passes authorization everywhere), fed malformed and hostile input:
 * whatever the route, the answer is a 4xx problem+json — never a 5xx, never a stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ROUTES, routeKey } from '../../functions/api/routes';
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
        expect(got.body.name).toBe(name.trim());
        const prefix = [...name.trim()].slice(0, 3).join('');
        const found = await crm.request('GET', `/v1/customers?limit=100&q=${encodeURIComponent(prefix)}`, { role: 'admin' });
        expect(found.status).toBeLessThan(500);
        if (found.status === 200 && !found.body.nextCursor) expect(found.body.items.map((c: { id: string }) => c.id)).toContain(res.body.id);
      }),
      { numRuns: 60 },
    );
  }, 240_000);

  it('covers every protected route', () => {
    expect(protectedRoutes.length).toBeGreaterThan(60);
    expect(new Set(protectedRoutes.map(routeKey)).size).toBe(protectedRoutes.length);
  });
});
