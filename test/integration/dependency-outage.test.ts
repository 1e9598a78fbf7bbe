/**
 * A DynamoDB outage answers 503 with Retry-After — never a 500, never a hang until the function's
 * timeout, never a half-written change — and a keyed retry after the outage runs exactly once.
 * Faults happen on the network between the handlers and the real DynamoDB Local: a closed port
 * (connection refused), and a proxy that can hold requests without answering (a paused engine),
 * forward a commit and then never answer (the answer is lost), or answer "throttled".
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_TIMEOUTS, worstCaseSendMs } from '../../functions/aws/client-options';
import { resetDbClientForTests } from '../../functions/data/client';
import { freePort } from '../../local/ports';
import { startTestStack, type TestStack } from '../support/stack';
import { SALES_REPS } from '../../local/demo-users';
import { createCustomer, sentQuote } from './sales-fixtures';

let crm: TestStack;
let proxy: FaultProxy;
let engineEndpoint: string;
const rep1 = SALES_REPS[0]!.id;
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
// Requests to a paused engine time out per attempt; locally the SDK timeouts are scaled (env.ts),
// here by 2 so a test waits seconds, not minutes, on a loaded machine still without false alarms.
const SCALE = 2;

type Rule = 'hang' | 'throttle' | 'commit-then-hang';

/** An HTTP proxy in front of DynamoDB Local that misbehaves on request, per operation. */
class FaultProxy {
  private readonly rules: { op: RegExp; rule: Rule; times: number }[] = [];
  private readonly held: IncomingMessage[] = [];
  readonly server: Server;
  forwarded: string[] = [];

  constructor(private readonly upstream: URL) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        const match = this.rules.find((r) => r.times > 0 && r.op.test(op));
        if (match) match.times -= 1;
        const rule = match?.rule;
        if (rule === 'hang') {
          this.held.push(req);
          return; // a paused engine: the connection stays open, nothing comes back
        }
        if (rule === 'throttle') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }));
          return;
        }
        const body = Buffer.concat(chunks);
        const upstreamReq = httpRequest(
          { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: this.upstream.host, 'content-length': String(body.length) } },
          (upstreamRes) => {
            const out: Buffer[] = [];
            upstreamRes.on('data', (c: Buffer) => out.push(c));
            upstreamRes.on('end', () => {
              this.forwarded.push(op);
              if (rule === 'commit-then-hang') {
                this.held.push(req);
                return; // DynamoDB applied it; the answer never arrives
              }
              const headers = { ...upstreamRes.headers };
              delete headers['transfer-encoding'];
              delete headers.connection;
              res.writeHead(upstreamRes.statusCode ?? 500, headers);
              res.end(Buffer.concat(out));
            });
          },
        );
        upstreamReq.on('error', () => res.destroy());
        upstreamReq.end(body);
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(op: RegExp, rule: Rule, times = Number.POSITIVE_INFINITY): void {
    this.rules.push({ op, rule, times });
  }

  /** Back to passing everything through; held requests get their connection closed. */
  heal(): void {
    this.rules.length = 0;
    for (const req of this.held.splice(0)) req.socket.destroy();
  }

  async close(): Promise<void> {
    this.heal();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Points the handlers' DynamoDB client at `endpoint` (a fresh client, as after a cold start). */
function useEndpoint(endpoint: string): void {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
  resetDbClientForTests();
}

beforeAll(async () => {
  crm = await startTestStack();
  engineEndpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
  process.env.SDK_TIMEOUT_SCALE = String(SCALE);
  proxy = new FaultProxy(new URL(engineEndpoint));
  useEndpoint(await proxy.listen());
});
afterAll(async () => {
  await proxy?.close();
  await crm?.stop();
});
beforeEach(() => {
  proxy.heal();
  process.env.SDK_TIMEOUT_SCALE = String(SCALE);
  useEndpoint(proxyEndpoint());
});

const proxyEndpoint = () => `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;

async function customersNamed(name: string): Promise<string[]> {
  const res = await crm.request('GET', `/v1/customers?q=${encodeURIComponent(name)}&limit=100`, { role: 'admin' });
  expect(res.status).toBe(200);
  return res.body.items.filter((c: { name: string }) => c.name === name).map((c: { id: string }) => c.id);
}

function expectUnavailable(res: { status: number; headers: Headers; body: any }): void {
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.body.type).toMatch(/\/(unavailable|outcome-unknown)$/);
}

/** Worst case of one SDK call with this file's scaled timeouts, plus room for a busy machine. */
const SEND_BOUND_MS = worstCaseSendMs({ ...CLIENT_TIMEOUTS.dynamodb, requestTimeoutMs: CLIENT_TIMEOUTS.dynamodb.requestTimeoutMs * SCALE }) + 10_000;

describe('DynamoDB unreachable (connection refused)', () => {
  it('answers 503 with Retry-After at once, writes nothing, and a keyed retry afterwards runs once', async () => {
    const name = `Refused ${uniq()}`;
    const body = { type: 'company', name };
    const headers = { 'idempotency-key': `refused-${uniq()}` };
    useEndpoint(`http://127.0.0.1:${await freePort()}`);
    const started = Date.now();
    const write = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    const elapsed = Date.now() - started;
    expectUnavailable(write);
    expect(write.body.type).toMatch(/unavailable$/);
    expect(write.body.detail).toMatch(/nothing was changed/);
    // Refused connections fail fast: the SDK's backoff, not a timeout.
    expect(elapsed).toBeLessThan(SEND_BOUND_MS);
    expectUnavailable(await crm.request('GET', '/v1/customers?limit=1', { role: 'admin' }));

    useEndpoint(engineEndpoint);
    expect(await customersNamed(name)).toEqual([]);
    const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await customersNamed(name)).toEqual([retry.body.id]);
  }, 120_000);

  it('a multi-item transaction (quote accept) answers 503 and leaves nothing half-written', async () => {
    const { quote, deal } = await sentQuote(crm, rep1);
    const headers = { 'idempotency-key': `accept-refused-${uniq()}` };
    useEndpoint(`http://127.0.0.1:${await freePort()}`);
    expectUnavailable(await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales', headers }));
    useEndpoint(engineEndpoint);
    expect((await crm.request('GET', `/v1/quotes/${quote.id}`, { role: 'admin' })).body.status).toBe('sent');
    expect((await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'admin' })).body.items).toEqual([]);
    const retry = await crm.request('POST', `/v1/quotes/${quote.id}/accept`, { role: 'sales', headers });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect((await crm.request('GET', `/v1/customers/${deal.customerId}/orders`, { role: 'admin' })).body.items).toHaveLength(1);
  }, 120_000);
});

describe('DynamoDB paused (requests never answered)', () => {
  it('answers 503 well before the function timeout instead of hanging, for reads and writes', async () => {
    // Every request hangs here, so none can be cut short by a timeout that is too tight for a
    // loaded machine: the client gets the unscaled (production) timeouts, and the wait is theirs.
    process.env.SDK_TIMEOUT_SCALE = '1';
    useEndpoint(proxyEndpoint());
    proxy.on(/./, 'hang');
    const started = Date.now();
    const [read, write] = await Promise.all([
      crm.request('GET', '/v1/customers?limit=1', { role: 'admin' }),
      crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Paused ${uniq()}` }, headers: { 'idempotency-key': `paused-${uniq()}` } }),
    ]);
    const elapsed = Date.now() - started;
    expectUnavailable(read);
    expectUnavailable(write);
    // Bounded by the SDK's own timeouts and the request's abort signal: the 503s above come from the
    // function itself, not from the runtime timing it out. The wall-clock bound is generous (a loaded
    // machine only makes it slower); the abort fires 2 s before the deadline, too close for a tight one.
    expect(elapsed).toBeLessThan(worstCaseSendMs(CLIENT_TIMEOUTS.dynamodb) + 10_000);
  }, 120_000);

  it('a transaction that never reached DynamoDB: 503 "nothing was changed", and the keyed retry runs once', async () => {
    const name = `Held ${uniq()}`;
    const body = { type: 'company', name };
    const headers = { 'idempotency-key': `held-${uniq()}` };
    proxy.on(/^TransactWriteItems$/, 'hang');
    const first = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expectUnavailable(first);
    // The lock was fenced (released by a conditional delete): the held attempts can never commit.
    expect(first.body.detail).toMatch(/nothing was changed/);
    proxy.heal();
    expect(await customersNamed(name)).toEqual([]);
    const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(await customersNamed(name)).toEqual([retry.body.id]);
  }, 120_000);

  it('a transaction that committed but whose answer never came: the caller gets the result, a retry replays it', async () => {
    const name = `Lost ${uniq()}`;
    const body = { type: 'company', name };
    const headers = { 'idempotency-key': `lost-${uniq()}` };
    proxy.on(/^TransactWriteItems$/, 'commit-then-hang', 1);
    const first = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(proxy.forwarded.filter((op) => op === 'TransactWriteItems').length).toBeGreaterThanOrEqual(1);
    const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    expect(await customersNamed(name)).toEqual([first.body.id]);
  }, 120_000);

  it('a deal stage move whose answer never came moves the deal once', async () => {
    const customerId = await createCustomer(crm, rep1);
    const created = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Stage', amount: { amount: 100_000, currency: 'EUR' }, customerId, ownerId: rep1 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const deal = created.body;
    const headers = { 'idempotency-key': `stage-lost-${uniq()}` };
    proxy.on(/^TransactWriteItems$/, 'commit-then-hang', 1);
    const first = await crm.request('POST', `/v1/deals/${deal.id}/stage`, { role: 'admin', body: { stageId: 'stg_00000000000000000000000003' }, headers });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ stageId: 'stg_00000000000000000000000003', version: 2 });
    const retry = await crm.request('POST', `/v1/deals/${deal.id}/stage`, { role: 'admin', body: { stageId: 'stg_00000000000000000000000003' }, headers });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect((await crm.request('GET', `/v1/deals/${deal.id}`, { role: 'admin' })).body.version).toBe(2);
  }, 120_000);
});

describe('DynamoDB throttling', () => {
  it('a throttled transaction answers 503 with Retry-After, writes nothing, and the keyed retry runs once', async () => {
    const name = `Throttled ${uniq()}`;
    const body = { type: 'company', name };
    const headers = { 'idempotency-key': `throttled-${uniq()}` };
    proxy.on(/^TransactWriteItems$/, 'throttle');
    const first = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expectUnavailable(first);
    expect(first.body.detail).toMatch(/nothing was changed/);
    proxy.heal();
    expect(await customersNamed(name)).toEqual([]);
    const retry = await crm.request('POST', '/v1/customers', { role: 'admin', body, headers });
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(await customersNamed(name)).toEqual([retry.body.id]);
  }, 120_000);

  it('a throttled single write (the key\'s lock) and a throttled read answer 503, not 500', async () => {
    proxy.on(/^(PutItem|Query)$/, 'throttle');
    expectUnavailable(await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `T ${uniq()}` }, headers: { 'idempotency-key': `throttled-put-${uniq()}` } }));
    expectUnavailable(await crm.request('GET', '/v1/customers?limit=1', { role: 'admin' }));
  }, 120_000);
});
