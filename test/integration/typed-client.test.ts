/**
 * The typed client (`@crm/client`, clients/typescript) against the running local API: what a web
 * or mobile team does with it — create, list across pages with the cursor, change with If-Match
 * (and a 412 on a stale ETag), read a problem as a typed error — with a bearer token and with an
 * API key (whose answers carry the RateLimit headers).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrmClient, type CrmClient, ifMatch, paginate, ProblemError, unwrap } from '../../clients/typescript/src/index';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
let client: CrmClient;
const run = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  crm = await startTestStack();
  // A token function, as an app holding a refreshing Cognito session passes it.
  client = createCrmClient({ baseUrl: crm.baseUrl, token: () => crm.token('admin') });
});
afterAll(async () => {
  await crm?.stop();
});

describe('the typed client', () => {
  it('creates, lists across pages with the cursor, and updates with If-Match (412 when stale)', async () => {
    const created = [];
    for (const i of [1, 2, 3]) {
      created.push(await unwrap(client.POST('/v1/customers', {
        params: { header: { 'Idempotency-Key': `typed-client-${run}-${i}` } },
        body: { type: 'company', name: `Typed ${run} ${i}`, tier: 'C' },
      })));
    }
    expect(created.map((c) => c.version)).toEqual([1, 1, 1]);

    // Pages of two: three customers take two pages, and the iterator follows the cursor.
    const pages: number[] = [];
    const names: string[] = [];
    for await (const customer of paginate(async (cursor) => {
      const answer = await client.GET('/v1/customers', { params: { query: { q: `Typed ${run}`, limit: 2, cursor } } });
      pages.push(answer.data?.items.length ?? -1);
      return answer;
    })) names.push(customer.name);
    expect(names).toEqual([`Typed ${run} 1`, `Typed ${run} 2`, `Typed ${run} 3`]);
    expect(pages).toEqual([2, 1]);

    const first = created[0]!;
    const renamed = await unwrap(client.PATCH('/v1/customers/{id}', { params: { path: { id: first.id }, header: ifMatch(first) }, body: { name: `Typed ${run} 1 GmbH` } }));
    expect(renamed).toMatchObject({ name: `Typed ${run} 1 GmbH`, version: 2 });
    // The version read first is stale now.
    const stale = await unwrap(client.PATCH('/v1/customers/{id}', { params: { path: { id: first.id }, header: ifMatch(first) }, body: { name: 'Lost update' } })).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ProblemError);
    expect(stale).toMatchObject({ status: 412, code: 'precondition-failed' });
  });

  it('surfaces problems as typed errors with their field errors and request id', async () => {
    const error = await unwrap(client.POST('/v1/customers', { body: { type: 'company', name: '', email: 'not-an-email' } })).catch((e: unknown) => e);
    if (!(error instanceof ProblemError)) throw new Error(`expected a ProblemError, got ${String(error)}`);
    expect(error.status).toBe(400);
    expect(error.code).toBe('validation-failed');
    expect(error.problem.errors?.map((e) => e.path).sort()).toEqual(['email', 'name']);
    expect(error.requestId).toMatch(/\S/);
    const missing = await unwrap(client.GET('/v1/customers/{id}', { params: { path: { id: 'cus_00000000000000000000000000' } } })).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'not-found' });
  });

  it('authenticates with an API key and exposes its rate limit', async () => {
    const key = await unwrap(client.POST('/v1/api-keys', { body: { name: `Typed ${run}`, role: 'analyst' } }));
    const machine = createCrmClient({ baseUrl: crm.baseUrl, apiKey: key.key });
    const answer = await machine.GET('/v1/customers', { params: { query: { limit: 1 } } });
    expect(answer.response.status).toBe(200);
    // The stage default (600 a minute); this is the key's first request.
    expect(answer.response.headers.get('ratelimit-policy')).toBe('"per-key";q=600;w=60');
    expect(answer.response.headers.get('ratelimit')).toMatch(/^"per-key";r=599;t=\d+$/);
    // The key's role holds: an analyst may not create customers.
    const refused = await unwrap(machine.POST('/v1/customers', { body: { type: 'company', name: 'No' } })).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 403, code: 'forbidden' });
  });
});
