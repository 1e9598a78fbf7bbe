/**
 * Every route × every role, with the exact status expected, written out by hand (not derived from
 * the permission matrix, so a change to the matrix must be mirrored here on purpose). Requests run
 * through the real gateway and handlers; write routes get fresh fixtures per request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../functions/api/routes';
import { ROLES, type Role } from '../../functions/security/permissions';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
const owner = SALES_REPS[0]!.id; // the default sales demo user
const otherRep = SALES_REPS[1]!.id;

type Expect = Record<Role, number>;
const all = (status: number): Expect => ({ admin: status, manager: status, sales: status, marketing: status, service: status, analyst: status });
const writers = (ok: number, extra: Partial<Expect> = {}): Expect => ({ admin: ok, manager: ok, sales: ok, marketing: 403, service: 403, analyst: 403, ...extra });

interface Fixture { customerId: string; contactId: string }

async function fixture(ownerId = owner): Promise<Fixture> {
  const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Fixture ${Math.random()}`, ownerId } });
  const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: 'Fixture' } });
  return { customerId: customer.body.id, contactId: contact.body.id };
}

interface Case {
  expect: Expect;
  /** Builds the request against a fixture owned by `owner` (fresh per request when `fresh`). */
  path: (f: Fixture) => string;
  body?: unknown;
  fresh?: boolean;
  /** Prepares the fixture (e.g. archive before restore). */
  prepare?: (f: Fixture) => Promise<void>;
}

const MATRIX: Record<string, Case> = {
  'GET /v1/health': { expect: all(200), path: () => '/v1/health' },
  'GET /v1/openapi.json': { expect: all(200), path: () => '/v1/openapi.json' },
  'GET /docs': { expect: all(200), path: () => '/docs' },
  'GET /v1/me': { expect: all(200), path: () => '/v1/me' },
  'POST /v1/customers': { expect: writers(201), path: () => '/v1/customers', body: { type: 'person', name: 'Matrix' } },
  'GET /v1/customers': { expect: all(200), path: () => '/v1/customers' },
  'GET /v1/customers/{id}': { expect: all(200), path: (f) => `/v1/customers/${f.customerId}` },
  'PATCH /v1/customers/{id}': { expect: writers(200), path: (f) => `/v1/customers/${f.customerId}`, body: { tier: 'B' }, fresh: true },
  'DELETE /v1/customers/{id}': { expect: writers(200), path: (f) => `/v1/customers/${f.customerId}`, fresh: true },
  'POST /v1/customers/{id}/restore': {
    expect: writers(200), path: (f) => `/v1/customers/${f.customerId}/restore`, fresh: true,
    prepare: async (f) => { await crm.request('DELETE', `/v1/customers/${f.customerId}`, { role: 'admin' }); },
  },
  'GET /v1/customers/{id}/history': { expect: writers(200), path: (f) => `/v1/customers/${f.customerId}/history` },
  'POST /v1/customers/{id}/contacts': { expect: writers(201, { service: 201 }), path: (f) => `/v1/customers/${f.customerId}/contacts`, body: { lastName: 'Matrix' }, fresh: true },
  'GET /v1/customers/{id}/contacts': { expect: all(200), path: (f) => `/v1/customers/${f.customerId}/contacts` },
  'GET /v1/contacts/{id}': { expect: all(200), path: (f) => `/v1/contacts/${f.contactId}` },
  'PATCH /v1/contacts/{id}': { expect: writers(200, { service: 200 }), path: (f) => `/v1/contacts/${f.contactId}`, body: { jobTitle: 'Matrix' }, fresh: true },
  'DELETE /v1/contacts/{id}': { expect: writers(204, { service: 204 }), path: (f) => `/v1/contacts/${f.contactId}`, fresh: true },
};

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

describe('authorization matrix', () => {
  it('covers every route in the route table, and nothing else', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  for (const route of ROUTES) {
    const key = routeKey(route);
    const spec = MATRIX[key];
    if (!spec) continue;
    it(`${key}: each role gets its exact status`, async () => {
      const shared = spec.fresh ? undefined : await fixture();
      const got: Partial<Expect> = {};
      for (const role of ROLES) {
        const f = shared ?? (await fixture());
        await spec.prepare?.(f);
        const res = await crm.request(route.method, spec.path(f), { role, body: spec.body });
        got[role] = res.status;
        if (res.status >= 400) expect(res.headers.get('content-type'), `${key} as ${role}`).toBe('application/problem+json');
      }
      expect(got).toEqual(spec.expect);
    });
  }
});

describe('authentication', () => {
  it('answers 401 problem+json without a token or with a bad one on every protected route, 200 on public ones', async () => {
    const f = await fixture();
    for (const route of ROUTES) {
      const spec = MATRIX[routeKey(route)]!;
      for (const token of [null, 'not.a.jwt', `${await crm.token('admin')}x`]) {
        const res = await crm.request(route.method, spec.path(f), { token, body: spec.body });
        if (route.permission === 'public') expect(res.status, routeKey(route)).toBe(200);
        else {
          expect(res.status, `${routeKey(route)} token=${token}`).toBe(401);
          expect(res.headers.get('content-type')).toBe('application/problem+json');
        }
      }
    }
  });
});

describe('row-level visibility of another rep\'s records', () => {
  it('answers 404 to a sales rep on every record route of a customer they do not own', async () => {
    for (const route of ROUTES.filter((r) => r.path.includes('{id}'))) {
      const spec = MATRIX[routeKey(route)]!;
      const f = await fixture(otherRep);
      await spec.prepare?.(f);
      const res = await crm.request(route.method, spec.path(f), { role: 'sales', userId: owner, body: spec.body });
      expect(res.status, routeKey(route)).toBe(404);
    }
  });
});
