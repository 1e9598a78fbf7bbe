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

/** Tasks and notifications of a fixture's customer owner, created once per fixture by `prepare`. */
const taskOf = new WeakMap<Fixture, string>();
const notificationOf = new WeakMap<Fixture, string>();
const NO_TASK = 'tsk_00000000000000000000000000';
const NO_NOTIFICATION = 'ntf_00000000000000000000000000';
async function ownerOf(f: Fixture): Promise<string> {
  return (await crm.request('GET', `/v1/customers/${f.customerId}`, { role: 'admin' })).body.ownerId;
}
async function withTask(f: Fixture): Promise<void> {
  if (taskOf.has(f)) return;
  const res = await crm.request('POST', '/v1/tasks', { role: 'admin', body: { title: 'Matrix task', assigneeId: await ownerOf(f), customerId: f.customerId } });
  taskOf.set(f, res.body.id);
}
async function withNotification(f: Fixture): Promise<void> {
  if (notificationOf.has(f)) return;
  const { notificationStored } = await import('../../functions/notifications/model');
  const { newId } = await import('../../functions/data/keys');
  const id = newId('ntf');
  const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
  await crm.ddb.send(new PutCommand({ TableName: crm.tableName, Item: notificationStored({ id, userId: await ownerOf(f), type: 'test', title: 'Matrix', createdAt: new Date().toISOString() }) }));
  notificationOf.set(f, id);
}
const taskOwnerOnly = (ok: number): Expect => ({ admin: ok, manager: ok, sales: ok, marketing: 404, service: 404, analyst: 404 });

/** An activity and an asset of a fixture's customer, created once per fixture by `prepare`. */
const activityOf = new WeakMap<Fixture, string>();
const assetOf = new WeakMap<Fixture, string>();
const NO_ACTIVITY = 'act_00000000000000000000000000';
const NO_ASSET = 'ast_00000000000000000000000000';
async function withActivity(f: Fixture): Promise<void> {
  if (activityOf.has(f)) return;
  const res = await crm.request('POST', '/v1/activities', { role: 'admin', body: { customerId: f.customerId, type: 'call', direction: 'outbound' } });
  activityOf.set(f, res.body.id);
}
async function withAsset(f: Fixture): Promise<void> {
  if (assetOf.has(f)) return;
  const res = await crm.request('POST', `/v1/customers/${f.customerId}/assets`, { role: 'admin', body: { productName: 'Matrix', category: 'boiler', purchaseDate: '2024-02-29' } });
  assetOf.set(f, res.body.id);
}
const readers = (ok: number): Expect => ({ ...all(ok), marketing: 403 });
const RULES_BODY = { categories: [{ category: 'boiler', intervalMonths: 12 }], leadDays: 14, assignTo: 'owner' };

interface Case {
  expect: Expect;
  /** Builds the request against a fixture owned by `owner` (fresh per request when `fresh`). */
  path: (f: Fixture) => string;
  /** A value, or a function of the fixture (see bodyOf). */
  body?: unknown;
  fresh?: boolean;
  /** Prepares the fixture (e.g. archive before restore). */
  prepare?: (f: Fixture) => Promise<void>;
}

/** The request body of a case: a value, or built from the fixture (a body that names its customer). */
const bodyOf = (spec: Case, f: Fixture): unknown => (typeof spec.body === 'function' ? spec.body(f) : spec.body);

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
  'POST /v1/tasks': { expect: all(201), path: () => '/v1/tasks', body: { title: 'Matrix' } },
  'GET /v1/tasks': { expect: all(200), path: () => '/v1/tasks' },
  'GET /v1/tasks/{id}': { expect: taskOwnerOnly(200), path: (f) => `/v1/tasks/${taskOf.get(f) ?? NO_TASK}`, prepare: withTask },
  'PATCH /v1/tasks/{id}': { expect: taskOwnerOnly(200), path: (f) => `/v1/tasks/${taskOf.get(f) ?? NO_TASK}`, body: { priority: 'high' }, fresh: true, prepare: withTask },
  'GET /v1/notifications': { expect: all(200), path: () => '/v1/notifications' },
  // Only the addressee (the customer owner, a sales rep) reads a notification; admins included, nobody else.
  'POST /v1/notifications/{id}/read': {
    expect: { admin: 404, manager: 404, sales: 200, marketing: 404, service: 404, analyst: 404 },
    path: (f) => `/v1/notifications/${notificationOf.get(f) ?? NO_NOTIFICATION}/read`, prepare: withNotification,
  },
  'POST /v1/notifications/read-all': { expect: all(200), path: () => '/v1/notifications/read-all' },
  'POST /v1/activities': { expect: writers(201, { service: 201 }), path: () => '/v1/activities', body: (f: Fixture) => ({ customerId: f.customerId, type: 'note', content: 'Matrix' }) },
  'GET /v1/activities/{id}': { expect: readers(200), path: (f) => `/v1/activities/${activityOf.get(f) ?? NO_ACTIVITY}`, prepare: withActivity },
  'PATCH /v1/activities/{id}': { expect: writers(200, { service: 200 }), path: (f) => `/v1/activities/${activityOf.get(f) ?? NO_ACTIVITY}`, body: { subject: 'Matrix' }, fresh: true, prepare: withActivity },
  'DELETE /v1/activities/{id}': { expect: writers(204, { service: 204 }), path: (f) => `/v1/activities/${activityOf.get(f) ?? NO_ACTIVITY}`, fresh: true, prepare: withActivity },
  'GET /v1/customers/{id}/timeline': { expect: readers(200), path: (f) => `/v1/customers/${f.customerId}/timeline` },
  'POST /v1/customers/{id}/assets': { expect: writers(201, { service: 201 }), path: (f) => `/v1/customers/${f.customerId}/assets`, body: { productName: 'Matrix', category: 'boiler', purchaseDate: '2025-01-31' } },
  'GET /v1/customers/{id}/assets': { expect: readers(200), path: (f) => `/v1/customers/${f.customerId}/assets` },
  'GET /v1/assets/{id}': { expect: readers(200), path: (f) => `/v1/assets/${assetOf.get(f) ?? NO_ASSET}`, prepare: withAsset },
  'PATCH /v1/assets/{id}': { expect: writers(200, { service: 200 }), path: (f) => `/v1/assets/${assetOf.get(f) ?? NO_ASSET}`, body: { notes: 'Matrix' }, fresh: true, prepare: withAsset },
  'DELETE /v1/assets/{id}': { expect: writers(204, { service: 204 }), path: (f) => `/v1/assets/${assetOf.get(f) ?? NO_ASSET}`, fresh: true, prepare: withAsset },
  'GET /v1/settings/service-rules': { expect: { admin: 200, manager: 200, sales: 403, marketing: 403, service: 200, analyst: 403 }, path: () => '/v1/settings/service-rules' },
  'PUT /v1/settings/service-rules': { expect: { admin: 200, manager: 403, sales: 403, marketing: 403, service: 403, analyst: 403 }, path: () => '/v1/settings/service-rules', body: RULES_BODY },
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
        const res = await crm.request(route.method, spec.path(f), { role, body: bodyOf(spec, f) });
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
        const res = await crm.request(route.method, spec.path(f), { token, body: bodyOf(spec, f) });
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
      const res = await crm.request(route.method, spec.path(f), { role: 'sales', userId: owner, body: bodyOf(spec, f) });
      expect(res.status, routeKey(route)).toBe(404);
    }
  });
});
