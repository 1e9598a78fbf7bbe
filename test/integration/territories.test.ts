/**
 * Territory rules end to end: versioned settings (If-Match), first-match-wins assignment of owners
 * to leads and customers created without one, and fair round-robin inside a team under concurrency.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS, SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const [rep1, rep2, rep3] = SALES_REPS.map((u) => u.id) as [string, string, string];
const admin = DEMO_USERS.find((u) => u.role === 'admin')!.id;
const manager = DEMO_USERS.find((u) => u.role === 'manager')!.id;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

const RULES = [
  { id: 'dach-retail', name: 'DACH retail', match: { country: ['DE', 'AT', 'CH'], industry: ['Retail'] }, ownerId: rep2 },
  { id: 'bavaria', match: { country: ['DE'], region: ['Bayern'] }, team: [rep1, rep2, rep3] },
  { id: 'nordics', match: { country: ['NO', 'SE', 'DK'] }, ownerId: rep3 },
];

describe('territory settings', () => {
  it('starts empty (version 0), replaces with If-Match, answers 412 when stale', async () => {
    const initial = await crm.request('GET', '/v1/settings/territories', { role: 'manager' });
    expect(initial.status).toBe(200);
    expect(initial.body).toMatchObject({ rules: [], version: 0 });
    expect(initial.headers.get('x-db-requests')).toBe('1');
    const put = await crm.request('PUT', '/v1/settings/territories', { role: 'admin', body: { rules: RULES }, headers: { 'if-match': '"0"' } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ rules: RULES, version: 1, updatedBy: admin });
    expect(put.headers.get('etag')).toBe('"1"');
    const stale = await crm.request('PUT', '/v1/settings/territories', { role: 'admin', body: { rules: [] }, headers: { 'if-match': '"0"' } });
    expect(stale.status).toBe(412);
    expect((await crm.request('GET', '/v1/settings/territories', { role: 'admin' })).body.rules).toEqual(RULES);
  });

  it('rejects invalid rules with precise 400s (no criteria, owner and team, duplicate ids)', async () => {
    const bodies = [
      { rules: [{ id: 'x', match: {}, ownerId: rep1 }] },
      { rules: [{ id: 'x', match: { country: ['DE'] }, ownerId: rep1, team: [rep2] }] },
      { rules: [{ id: 'x', match: { country: ['DE'] } }] },
      { rules: [{ id: 'x', match: { country: ['DE'] }, ownerId: rep1 }, { id: 'x', match: { country: ['AT'] }, ownerId: rep1 }] },
      { rules: [{ id: 'Bad Id', match: { country: ['germany'] }, team: [] }] },
    ];
    for (const body of bodies) {
      const res = await crm.request('PUT', '/v1/settings/territories', { role: 'admin', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    expect((await crm.request('PUT', '/v1/settings/territories', { role: 'manager', body: { rules: [] } })).status).toBe(403);
  });
});

describe('owner assignment', () => {
  it('assigns a lead created without an owner by the first matching rule; no match keeps the caller', async () => {
    const retail = await crm.request('POST', '/v1/leads', { role: 'manager', body: { lastName: 'R', country: 'DE', region: 'Bayern', industry: 'retail' } });
    expect(retail.body.ownerId).toBe(rep2); // first rule wins over the Bavaria team rule
    const nordic = await crm.request('POST', '/v1/leads', { role: 'marketing', body: { lastName: 'N', country: 'SE' } });
    expect(nordic.body.ownerId).toBe(rep3);
    const none = await crm.request('POST', '/v1/leads', { role: 'manager', body: { lastName: 'X', country: 'FR' } });
    expect(none.body.ownerId).toBe(manager);
    const named = await crm.request('POST', '/v1/leads', { role: 'manager', body: { lastName: 'Y', country: 'SE', ownerId: rep1 } });
    expect(named.body.ownerId).toBe(rep1);
  });

  it('leaves a sales rep\'s own creations with them', async () => {
    const lead = await crm.request('POST', '/v1/leads', { role: 'sales', body: { lastName: 'S', country: 'NO' } });
    expect(lead.body.ownerId).toBe(rep1);
    const customer = await crm.request('POST', '/v1/customers', { role: 'sales', body: { type: 'company', name: 'Own Norway', address: { line1: 'Gate 1', city: 'Oslo', country: 'NO' } } });
    expect(customer.body.ownerId).toBe(rep1);
  });

  it('assigns customers created without an owner by address country/region and industry', async () => {
    const nordic = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Nordic AB', address: { line1: 'Gatan 1', city: 'Malmö', country: 'SE' } } });
    expect(nordic.status).toBe(201);
    expect(nordic.body.ownerId).toBe(rep3);
    const retail = await crm.request('POST', '/v1/customers', { role: 'manager', body: { type: 'company', name: 'Laden GmbH', industry: 'Retail', address: { line1: 'Str. 1', city: 'Wien', country: 'AT' } } });
    expect(retail.body.ownerId).toBe(rep2);
    const none = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Nowhere Ltd' } });
    expect(none.body.ownerId).toBe(admin);
  });

  it('round-robins fairly inside a team under concurrency: 6 concurrent creates over 3 members → 2 each', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName: `Bavaria${i}`, country: 'DE', region: 'bayern' } })),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const counts: Record<string, number> = {};
    for (const r of results) counts[r.body.ownerId] = (counts[r.body.ownerId] ?? 0) + 1;
    expect(counts).toEqual({ [rep1]: 2, [rep2]: 2, [rep3]: 2 });
    // Customers in the same territory share the same rotation.
    const next = await Promise.all(
      Array.from({ length: 3 }, (_, i) => crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Bayern ${i}`, address: { line1: 'Str. 1', city: 'München', region: 'Bayern', country: 'DE' } } })),
    );
    expect(new Set(next.map((r) => r.body.ownerId))).toEqual(new Set([rep1, rep2, rep3]));
  });
});
