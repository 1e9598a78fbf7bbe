/**
 * A 404 tells nothing by its cost. For a caller with own scope, a record someone else owns answers
 * 404 exactly like an id nobody has — and must also cost the same DynamoDB requests, so timing
 * cannot tell "exists, not yours" from "does not exist". Every route with a record id in its path
 * is probed as a sales rep with another rep's record and with a missing id of the same kind; the
 * commands each answer cost (x-db-commands) must be equal. Routes whose residual difference is
 * documented in docs/conventions.md ("Not found costs") are listed in RESIDUAL and must still differ
 * there (so the list cannot go stale).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../functions/data/keys';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;
const ids: Record<string, string> = {};
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function ok(method: string, path: string, body?: unknown) {
  const res = await crm.request(method, path, { role: 'admin', body });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

beforeAll(async () => {
  crm = await startTestStack();
  // Records of rep2 that rep1 may not see.
  ids.cus = (await ok('POST', '/v1/customers', { type: 'company', name: 'Other rep Co', ownerId: rep2 })).id;
  ids.con = (await ok('POST', `/v1/customers/${ids.cus}/contacts`, { lastName: 'Other' })).id;
  ids.act = (await ok('POST', '/v1/activities', { customerId: ids.cus, type: 'note', content: 'x' })).id;
  ids.ast = (await ok('POST', `/v1/customers/${ids.cus}/assets`, { productName: 'Boiler', category: 'heating', purchaseDate: '2024-01-01' })).id;
  const deal = await ok('POST', '/v1/deals', { name: 'Other deal', customerId: ids.cus, ownerId: rep2, amount: { amount: 100, currency: 'EUR' } });
  ids.deal = deal.id;
  const pipeline = await ok('GET', `/v1/pipelines/${deal.pipelineId}`);
  ids.stg = (pipeline.stages as any[]).find((s) => s.id !== deal.stageId)!.id;
  const quote = await ok('POST', `/v1/deals/${ids.deal}/quotes`, { validUntil: inDays(30), lines: [{ description: 'x', unitPrice: 100, quantity: 1, taxRateBp: 0 }] });
  ids.quo = quote.id;
  const sentQuote = await ok('POST', `/v1/deals/${ids.deal}/quotes`, { validUntil: inDays(30), lines: [{ description: 'y', unitPrice: 100, quantity: 1, taxRateBp: 0 }] });
  await ok('POST', `/v1/quotes/${sentQuote.id}/send`);
  ids.ord = (await ok('POST', `/v1/quotes/${sentQuote.id}/accept`)).orderId;
  ids.lead = (await ok('POST', '/v1/leads', { lastName: 'Other lead', ownerId: rep2 })).id;
  ids.tsk = (await ok('POST', '/v1/tasks', { title: 'Other task', assigneeId: rep2 })).id;
  ids.tkt = (await ok('POST', '/v1/tickets', { subject: 'Other ticket', channel: 'phone', customerId: ids.cus })).id;
  ids.ctr = (await ok('POST', '/v1/contracts', { number: `NFC-${process.pid}`, customerId: ids.cus, startDate: '2026-01-01', endDate: '2026-12-31', value: { amount: 1, currency: 'EUR' }, billingCycle: 'yearly' })).id;
}, 120_000);

afterAll(async () => {
  await crm?.stop();
});

/** method, path with `:kind` for the id, body. */
const PROBES: [string, string, string, unknown?][] = [
  ['GET', '/v1/customers/:id', 'cus'],
  ['PATCH', '/v1/customers/:id', 'cus', { industry: 'Retail' }],
  ['DELETE', '/v1/customers/:id', 'cus'],
  ['POST', '/v1/customers/:id/restore', 'cus', {}],
  ['GET', '/v1/customers/:id/history', 'cus'],
  ['GET', '/v1/customers/:id/timeline', 'cus'],
  ['GET', '/v1/customers/:id/contacts', 'cus'],
  ['POST', '/v1/customers/:id/contacts', 'cus', { lastName: 'x' }],
  ['GET', '/v1/customers/:id/assets', 'cus'],
  ['POST', '/v1/customers/:id/assets', 'cus', { productName: 'x', category: 'heating', purchaseDate: '2024-01-01' }],
  ['GET', '/v1/customers/:id/orders', 'cus'],
  ['GET', '/v1/customers/:id/contracts', 'cus'],
  ['GET', '/v1/customers/:id/entitlements', 'cus'],
  ['GET', '/v1/contracts/:id', 'ctr'],
  ['GET', '/v1/contacts/:id', 'con'],
  ['PATCH', '/v1/contacts/:id', 'con', { jobTitle: 'x' }],
  ['DELETE', '/v1/contacts/:id', 'con'],
  ['GET', '/v1/activities/:id', 'act'],
  ['PATCH', '/v1/activities/:id', 'act', { subject: 'x' }],
  ['DELETE', '/v1/activities/:id', 'act'],
  ['GET', '/v1/assets/:id', 'ast'],
  ['PATCH', '/v1/assets/:id', 'ast', { notes: 'x' }],
  ['DELETE', '/v1/assets/:id', 'ast'],
  ['GET', '/v1/deals/:id', 'deal'],
  ['PATCH', '/v1/deals/:id', 'deal', { name: 'x' }],
  ['DELETE', '/v1/deals/:id', 'deal'],
  ['POST', '/v1/deals/:id/stage', 'deal', { stageId: ':stg' }],
  ['POST', '/v1/deals/:id/won', 'deal', {}],
  ['POST', '/v1/deals/:id/lost', 'deal', { reason: 'x' }],
  ['GET', '/v1/deals/:id/history', 'deal'],
  ['GET', '/v1/deals/:id/quotes', 'deal'],
  ['POST', '/v1/deals/:id/quotes', 'deal', { validUntil: ':future', lines: [{ description: 'x', unitPrice: 1, quantity: 1, taxRateBp: 0 }] }],
  ['GET', '/v1/quotes/:id', 'quo'],
  ['PATCH', '/v1/quotes/:id', 'quo', { notes: 'x' }],
  ['POST', '/v1/quotes/:id/send', 'quo', {}],
  ['POST', '/v1/quotes/:id/accept', 'quo', {}],
  ['POST', '/v1/quotes/:id/reject', 'quo', {}],
  ['POST', '/v1/quotes/:id/revise', 'quo', {}],
  ['GET', '/v1/orders/:id', 'ord'],
  ['GET', '/v1/leads/:id', 'lead'],
  ['PATCH', '/v1/leads/:id', 'lead', { lastName: 'x' }],
  ['DELETE', '/v1/leads/:id', 'lead'],
  ['POST', '/v1/leads/:id/convert', 'lead', {}],
  ['GET', '/v1/tasks/:id', 'tsk'],
  ['PATCH', '/v1/tasks/:id', 'tsk', { title: 'x' }],
  ['GET', '/v1/tickets/:id', 'tkt'],
  ['GET', '/v1/tickets/:id/messages', 'tkt'],
];

/**
 * Routes where "someone else's" still costs more than "missing"; each is documented in
 * docs/conventions.md ("Not found costs"). Keyed `METHOD path`.
 */
const RESIDUAL = new Set<string>([]);

const fill = (body: unknown) => JSON.parse(JSON.stringify(body ?? null).replace('":stg"', JSON.stringify(ids.stg ?? '')).replace('":future"', JSON.stringify(inDays(30))));

describe('a 404 costs the same for someone else\'s record and for a missing id', () => {
  it.each(PROBES)('%s %s', async (method, template, kind, body) => {
    const request = (id: string) => crm.request(method, template.replace(':id', id), { role: 'sales', userId: rep1, ...(body !== undefined ? { body: fill(body) } : {}) });
    const missingId = newId(ids[kind]!.split('_')[0] as Parameters<typeof newId>[0]);
    // A first request warms what a container does once per user (the tasks feature's profile copy).
    await request(missingId);
    const hidden = await request(ids[kind]!);
    const missing = await request(missingId);
    expect(missing.status, missing.text).toBe(404);
    expect(hidden.status, hidden.text).toBe(404);
    expect(answerOf(hidden.body)).toEqual(answerOf(missing.body));
    const costs = [hidden.headers.get('x-db-commands'), missing.headers.get('x-db-commands')];
    if (RESIDUAL.has(`${method} ${template}`)) expect(costs[0], 'listed as residual but no longer differs: remove it from RESIDUAL and the docs').not.toBe(costs[1]);
    else expect(costs[0], `someone else's ${kind} costs ${costs[0]}, a missing one ${costs[1]}`).toBe(costs[1]);
  });
});

const answerOf = (body: any) => ({ ...body, instance: undefined, requestId: undefined });
