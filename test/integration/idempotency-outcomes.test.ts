/**
 * An Idempotency-Key protects a write whose outcome was unknown: a timeout or a network error
 * between the commit and the response never leads a keyed retry to apply the change twice, and
 * the retry replays the committed result. Failures are injected into the handlers' DynamoDB
 * client (a middleware that lets the request reach DynamoDB Local and commit, then throws);
 * everything else runs on the real engine.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ddb } from '../../functions/data/client';
import { keys } from '../../functions/data/keys';
import { resolveUser, SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';
import { createCustomer, sentQuote } from './sales-fixtures';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const adminId = resolveUser('admin').id;
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const QUALIFICATION = 'stg_00000000000000000000000001';
const PROPOSAL = 'stg_00000000000000000000000003';

beforeAll(async () => {
  crm = await startTestStack();
  // One request first, so the handlers' client exists and the faults below attach to it.
  expect((await crm.request('GET', '/v1/customers?limit=1', { role: 'admin' })).status).toBe(200);
});
afterAll(async () => {
  await crm?.stop();
});

// ---------------------------------------------------------------------------------------------
// Failure injection: each fault is one middleware on the handlers' client, removed after the test.

/** `armed: false` waits until the fault before it in the list has fired. */
type Fault = { command: RegExp; mode: 'after-commit' | 'before-send'; times: number; error: () => Error; armed?: boolean };
const faults: Fault[] = [];
let installed = false;

const timeout = () => Object.assign(new Error('Request timed out after the request was sent'), { name: 'TimeoutError' });
const reset = () => Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });

function install(): void {
  if (installed) return;
  installed = true;
  ddb().middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? '');
      const fault = faults.find((f) => f.times > 0 && f.armed !== false && f.command.test(command));
      if (!fault) return next(args);
      fault.times -= 1;
      const following = faults[faults.indexOf(fault) + 1];
      if (following && following.armed === false) following.armed = true;
      if (fault.mode === 'before-send') throw fault.error();
      await next(args); // reaches DynamoDB and commits …
      throw fault.error(); // … and the answer is lost
    },
    // Inside the client's own accounting (so it sees the failure as the SDK would report it),
    // outside the SDK's retries (the failure is what the caller finally gets).
    { step: 'initialize', priority: 'low', name: 'testFaults' },
  );
}

function inject(fault: Fault): void {
  install();
  faults.push(fault);
}

afterEach(() => {
  faults.length = 0;
});

/** The commit succeeds but its answer is lost; then `then` more calls fail before reaching DynamoDB. */
function loseCommitAnswer(error: () => Error, then = 0): void {
  inject({ command: /^TransactWriteItems/, mode: 'after-commit', times: 1, error });
  if (then > 0) inject({ command: /./, mode: 'before-send', times: then, error, armed: false });
}

async function idemItem(userId: string, key: string) {
  const out = await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.idempotency(userId, key), ConsistentRead: true }));
  return out.Item;
}

async function customersNamed(name: string): Promise<string[]> {
  const res = await crm.request('GET', `/v1/customers?q=${encodeURIComponent(name)}&limit=100`, { role: 'admin' });
  expect(res.status).toBe(200);
  return res.body.items.filter((c: { name: string }) => c.name === name).map((c: { id: string }) => c.id);
}

describe('a keyed create whose commit answer is lost', () => {
  for (const [what, error] of [['a timeout', timeout], ['a network error', reset]] as const) {
    it(`answers with the committed customer after ${what}, and a retry replays it without a second record`, async () => {
      const name = `Lost answer ${uniq()}`;
      const body = { type: 'company', name };
      const headers = { 'idempotency-key': `lost-${uniq()}` };
      loseCommitAnswer(error);
      const first = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
      // The helper reads the idempotency marker written in the same transaction: committed.
      expect(first.status, JSON.stringify(first.body)).toBe(201);
      const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body.id).toBe(first.body.id);
      expect(await customersNamed(name)).toEqual([first.body.id]);
    });
  }

  it('answers 503 "outcome unknown" when even the check fails; the retry replays the committed record, never a second one', async () => {
    const name = `Unknown outcome ${uniq()}`;
    const body = { type: 'company', name, email: `u-${uniq()}@example.com` };
    const key = `unknown-${uniq()}`;
    const headers = { 'idempotency-key': key };
    // Commit answer lost, then the marker read and the lock release fail too.
    loseCommitAnswer(timeout, 2);
    const first = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(first.body.type).toMatch(/outcome-unknown$/);
    expect(first.body.detail).toMatch(/may or may not have been saved/);
    expect(first.body.detail).not.toMatch(/nothing was changed/i);
    // The change did commit, together with the marker.
    const committed = await customersNamed(name);
    expect(committed).toHaveLength(1);
    expect(await idemItem(adminId, key)).toMatchObject({ state: 'committed', resultIds: expect.arrayContaining([committed[0]]) });

    const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('location')).toBe(`/v1/customers/${committed[0]}`);
    expect(retry.body).toMatchObject({ id: committed[0], name, email: body.email });
    // Still one record; the rebuilt answer is stored, so a further retry replays it exactly.
    const again = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(retry.body);
    expect(await customersNamed(name)).toEqual(committed);
  });

  it('without a key, a lost answer is a 503 that says the change may have been saved (not "retry")', async () => {
    const name = `Unkeyed ${uniq()}`;
    loseCommitAnswer(reset);
    const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name } });
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.body.type).toMatch(/outcome-unknown$/);
    expect(res.body.detail).toMatch(/Read the record before you retry/);
    expect(await customersNamed(name)).toHaveLength(1);
  });

  it('a failure before the commit releases the key: 503 "nothing was changed", and the retry runs once', async () => {
    const name = `Refused ${uniq()}`;
    const body = { type: 'company', name };
    const headers = { 'idempotency-key': `refused-${uniq()}` };
    inject({ command: /^TransactWriteItems/, mode: 'before-send', times: 1, error: () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const first = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.body.type).toMatch(/unavailable$/);
    expect(first.body.detail).toMatch(/nothing was changed/);
    expect(await customersNamed(name)).toEqual([]);
    const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await customersNamed(name)).toEqual([retry.body.id]);
  });
});

describe('a keyed multi-item transaction whose commit answer is lost', () => {
  it('quote accept: one order, and the retry replays the accepted quote', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    const headers = { 'idempotency-key': `accept-${uniq()}` };
    loseCommitAnswer(timeout);
    const first = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales', headers });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ status: 'accepted', orderId: expect.stringMatching(/^ord_/) });
    const retry = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales', headers });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    const orders = await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'admin' });
    expect(orders.body.items).toHaveLength(1);
  });

  it('quote accept with the outcome unknown: 503, then the retry rebuilds the accepted quote from the record', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    const headers = { 'idempotency-key': `accept-unknown-${uniq()}` };
    loseCommitAnswer(reset, 2);
    const first = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales', headers });
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.body.type).toMatch(/outcome-unknown$/);
    const retry = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales', headers });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toMatchObject({ id: quote.id, status: 'accepted', orderId: expect.stringMatching(/^ord_/) });
    const orders = await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'admin' });
    expect(orders.body.items.map((o: { id: string }) => o.id)).toEqual([retry.body.orderId]);
    const customer = await crm.request('GET', `/v1/customers/${deal.customerId}`, { role: 'admin' });
    expect(customer.body.lifetimeValue).toEqual([{ amount: 10_000, currency: 'EUR' }]);
  });

  it('lead conversion: one customer, and the retry answers with the conversion', async () => {
    const lastName = `Conv${uniq()}`;
    const lead = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName, companyName: `${lastName} AS`, status: 'qualified' } });
    expect(lead.status, JSON.stringify(lead.body)).toBe(201);
    const headers = { 'idempotency-key': `convert-${uniq()}` };
    loseCommitAnswer(reset);
    const first = await crm.request('POST', `/v1/leads/${lead.body.id}/convert`, { role: 'admin', body: {}, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const retry = await crm.request('POST', `/v1/leads/${lead.body.id}/convert`, { role: 'admin', body: {}, headers });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await customersNamed(`${lastName} AS`)).toEqual([first.body.customerId]);
  });

  it('lead conversion with the outcome unknown: the retry answers with the converted lead, no second customer', async () => {
    const lastName = `ConvU${uniq()}`;
    const lead = await crm.request('POST', '/v1/leads', { role: 'admin', body: { lastName, companyName: `${lastName} AS`, status: 'qualified' } });
    expect(lead.status).toBe(201);
    const headers = { 'idempotency-key': `convert-u-${uniq()}` };
    loseCommitAnswer(timeout, 2);
    const first = await crm.request('POST', `/v1/leads/${lead.body.id}/convert`, { role: 'admin', body: {}, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.body.type).toMatch(/outcome-unknown$/);
    const retry = await crm.request('POST', `/v1/leads/${lead.body.id}/convert`, { role: 'admin', body: {}, headers });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const customers = await customersNamed(`${lastName} AS`);
    expect(customers).toHaveLength(1);
    expect(retry.body).toMatchObject({ id: lead.body.id, status: 'converted', convertedCustomerId: customers[0] });
  });

  it('deal stage move: applied once (one version step, one history entry), the retry replays it', async () => {
    const customerId = await createCustomer(crm, rep1);
    const created = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Stage', amount: { amount: 100_000, currency: 'EUR' }, customerId, ownerId: rep1 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const dealId = created.body.id;
    const headers = { 'idempotency-key': `stage-${uniq()}` };
    loseCommitAnswer(timeout, 2);
    const first = await crm.request('POST', `/v1/deals/${dealId}/stage`, { role: 'admin', body: { stageId: PROPOSAL }, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    const retry = await crm.request('POST', `/v1/deals/${dealId}/stage`, { role: 'admin', body: { stageId: PROPOSAL }, headers });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toMatchObject({ id: dealId, stageId: PROPOSAL, version: 2 });
    const history = await crm.request('GET', `/v1/deals/${dealId}/history`, { role: 'admin' });
    expect(history.body.items.map((h: { stageId: string }) => h.stageId)).toEqual([QUALIFICATION, PROPOSAL]);
  });
});

describe('the lock', () => {
  it('a retry while the outcome is unknown is a 409 with Retry-After, and changes nothing', async () => {
    const name = `Locked ${uniq()}`;
    const body = { type: 'company', name };
    const headers = { 'idempotency-key': `locked-${uniq()}` };
    // The commit times out (it never reached DynamoDB, but the server cannot know), and both
    // attempts to settle it by releasing the lock time out too: the key stays locked.
    inject({ command: /^TransactWriteItems/, mode: 'before-send', times: 1, error: timeout });
    inject({ command: /^DeleteItem/, mode: 'before-send', times: 2, error: timeout });
    const first = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.body.type).toMatch(/outcome-unknown$/);
    const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(retry.status).toBe(409);
    expect(Number(retry.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(retry.body.detail).toMatch(/outcome is not known yet/);
    expect(await customersNamed(name)).toEqual([]);
  });

  it('a late duplicate cannot commit after its lock expired and a retry took it over', async () => {
    const name = `Late ${uniq()}`;
    const body = { type: 'company', name };
    const key = `late-${uniq()}`;
    const headers = { 'idempotency-key': key };
    // Hold the first attempt's transaction until the retry has committed.
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let reached!: () => void;
    const atCommit = new Promise<void>((resolve) => { reached = resolve; });
    install();
    let holdNext = true;
    ddb().middlewareStack.add(
      (next, context) => async (args) => {
        if (holdNext && context.commandName === 'TransactWriteItemsCommand') {
          holdNext = false;
          reached();
          await held;
        }
        return next(args);
      },
      { step: 'initialize', priority: 'low', name: `testHold-${key}` },
    );
    try {
      const firstPending = crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
      await atCommit;
      // The lock expires (as if the first attempt had hung for the whole lock time).
      const lock = await crm.ddb.send(new QueryCommand({
        TableName: crm.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.idempotency(adminId, key).pk },
        ConsistentRead: true,
      }));
      expect(lock.Items?.[0]?.state).toBe('in_progress');
      await crm.ddb.send(new UpdateCommand({
        TableName: crm.tableName,
        Key: keys.idempotency(adminId, key),
        UpdateExpression: 'SET lockedUntil = :past',
        ExpressionAttributeValues: { ':past': 1 },
      }));
      const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
      expect(retry.status, JSON.stringify(retry.body)).toBe(201);
      release();
      const first = await firstPending;
      expect(first.status, JSON.stringify(first.body)).toBe(409);
      expect(first.body.detail).toMatch(/changed nothing/);
      expect(await customersNamed(name)).toEqual([retry.body.id]);
      // The key now replays the retry's result.
      const third = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
      expect(third.body.id).toBe(retry.body.id);
    } finally {
      release();
      ddb().middlewareStack.remove(`testHold-${key}`);
    }
  });
});
