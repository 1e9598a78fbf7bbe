/**
 * Outbound webhooks end to end on the real engines: domain events from the outbox reach the
 * deliverer through the local EventBridge stand-in's rule target, deliveries arrive signed at a
 * reference receiver (verified with the recipe docs/webhooks.md gives), wildcards and the field
 * filter decide what is sent, failures are retried by the `webhooks` job with exponential backoff
 * (time injected as the job's scheduled time), dead-lettered after 24 h, the webhook disabled and
 * its admin notified; redelivery and secret rotation; the SSRF guard refuses private addresses.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';
import { REPO_ROOT } from '../../lib/paths';

// The test receiver listens on this machine: allow-listed, as `npm start` does (never in AWS).
process.env.WEBHOOK_ALLOWED_HOSTS = '127.0.0.1';

interface Received { path: string; headers: IncomingMessage['headers']; body: string }

let crm: TestStack;
let receiver: Server;
let base: string;
const received: Received[] = [];
/** Path → how many more requests to answer 500. */
const failures = new Map<string, number>();

beforeAll(async () => {
  crm = await startTestStack({ webhooks: true });
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const left = failures.get(path) ?? 0;
      if (left > 0) { failures.set(path, left - 1); res.writeHead(500).end('down'); return; }
      if (path.startsWith('/redirect')) { res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end(); return; }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((done) => (receiver ? receiver.close(() => done()) : done()));
  await crm?.stop();
});

/** A webhook's audit entries (its `webhook.*` events), oldest first. */
async function auditOf(id: string): Promise<Record<string, any>[]> {
  const out = await crm.ddb.send(new QueryCommand({
    TableName: crm.tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :aud)',
    ExpressionAttributeValues: { ':pk': `WH#${id}`, ':aud': 'AUD#' },
  }));
  return out.Items ?? [];
}

/** The Node verification recipe from docs/webhooks.md, as a receiver would write it. */
function verify(secret: string, headers: IncomingMessage['headers'], rawBody: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const timestamp = String(headers['x-crm-timestamp']);
  const header = String(headers['x-crm-signature']);
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  return header.split(',').some((part) => {
    const [scheme, hex] = part.trim().split('=');
    if (scheme !== 'v1' || !hex || hex.length !== 64) return false;
    return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
  });
}

async function createWebhook(path: string, body: Record<string, unknown> = {}) {
  const res = await crm.request('POST', '/v1/webhooks', { role: 'admin', body: { url: `${base}${path}`, events: ['deal.*'], ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret: string; version: number };
}

async function dealFor(name = `Webhook deal ${Math.random()}`) {
  const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Webhook Co ${Math.random()}` } });
  const deal = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name, customerId: customer.body.id, amount: { amount: 1000, currency: 'EUR' } } });
  expect(deal.status).toBe(201);
  return deal.body as { id: string; version: number };
}

/** Waits until the outbox event of `type` for `entityId` was published and every rule target ran. */
async function settle(type: string, entityId: string) {
  await crm.waitForEvents((e) => e['detail-type'] === type && e.detail.entityId === entityId, 1);
  await crm.eventTargetsSettled();
}

const at = (path: string) => received.filter((r) => r.path === path);
const deliveries = async (webhookId: string) => (await crm.request('GET', `/v1/webhooks/${webhookId}/deliveries`, { role: 'admin' })).body.items as any[];

describe('webhooks', () => {
  it('delivers a signed event that the documented recipe verifies, with a stable event id; only admins manage webhooks', async () => {
    const hook = await createWebhook('/signed');
    expect(hook.secret).toMatch(/^whsec_/);
    const read = await crm.request('GET', `/v1/webhooks/${hook.id}`, { role: 'admin' });
    expect(read.body.secret).toBeUndefined();
    expect(JSON.stringify((await crm.request('GET', '/v1/webhooks', { role: 'admin' })).body)).not.toContain(hook.secret);
    for (const role of ['manager', 'sales', 'analyst'] as const) expect((await crm.request('GET', '/v1/webhooks', { role })).status).toBe(403);

    const deal = await dealFor();
    await settle('deal.created', deal.id);
    const [delivery] = at('/signed');
    expect(delivery).toBeDefined();
    expect(verify(hook.secret, delivery!.headers, delivery!.body)).toBe(true);
    expect(verify(hook.secret, delivery!.headers, `${delivery!.body} `)).toBe(false);
    expect(verify('whsec_wrong', delivery!.headers, delivery!.body)).toBe(false);
    // Replay guidance: the same request five minutes later is refused by the recipe.
    expect(verify(hook.secret, delivery!.headers, delivery!.body, Number(delivery!.headers['x-crm-timestamp']) + 301)).toBe(false);
    const body = JSON.parse(delivery!.body);
    expect(body).toMatchObject({ type: 'deal.created', data: { entityId: deal.id, version: 1 } });
    expect(delivery!.headers['x-crm-event-id']).toBe(body.id);
    expect(body.id).toMatch(/^aud_/);

    const log = await deliveries(hook.id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 204, eventId: body.id, eventType: 'deal.created' });
    expect(log[0].lastLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('is verified by the Node and Python recipes exactly as docs/webhooks.md prints them', async () => {
    const docs = readFileSync(`${REPO_ROOT}/docs/webhooks.md`, 'utf8');
    const block = (lang: string) => [...docs.matchAll(/```(\w+)\n([\s\S]*?)```/g)].find((m) => m[1] === lang)?.[2] ?? '';
    const nodeRecipe = new Function('require', `${block('js')}\nreturn verifyCrmWebhook;`)(createRequire(import.meta.url)) as (s: string, h: unknown, b: string) => boolean;
    const hook = await createWebhook('/recipes');
    const deal = await dealFor();
    await settle('deal.created', deal.id);
    const [request] = at('/recipes');
    expect(nodeRecipe(hook.secret, request!.headers, request!.body)).toBe(true);
    expect(nodeRecipe(hook.secret, request!.headers, request!.body.replace('deal.created', 'deal.deleted'))).toBe(false);
    const python = spawnSync('python3', ['-c', `${block('python')}
import json, sys
case = json.load(sys.stdin)
print(json.dumps([verify_crm_webhook(case["secret"], case["headers"], case["body"].encode()), verify_crm_webhook("whsec_wrong", case["headers"], case["body"].encode())]))`], {
      input: JSON.stringify({ secret: hook.secret, headers: request!.headers, body: request!.body }), encoding: 'utf8',
    });
    // Python is optional on a developer machine; where it exists, its recipe must hold too.
    if (python.error) return;
    expect(python.stderr).toBe('');
    expect(JSON.parse(python.stdout)).toEqual([true, false]);
  });

  it('matches wildcards and exact types, and applies the field filter', async () => {
    const all = await createWebhook('/all', { events: ['*'] });
    const stageOnly = await createWebhook('/stage', { events: ['deal.updated'], fieldFilter: ['stageId'] });
    const customers = await createWebhook('/customers', { events: ['customer.created'] });
    const deal = await dealFor();
    await settle('deal.created', deal.id);
    const renamed = await crm.request('PATCH', `/v1/deals/${deal.id}`, { role: 'admin', body: { name: 'Renamed' } });
    expect(renamed.status).toBe(200);
    await settle('deal.updated', deal.id);
    expect(at('/stage')).toHaveLength(0);
    const moved = await crm.request('POST', `/v1/deals/${deal.id}/stage`, { role: 'admin', body: { stageId: 'stg_00000000000000000000000002' } });
    expect(moved.status).toBe(200);
    await crm.waitForEvents((e) => e['detail-type'] === 'deal.updated' && e.detail.entityId === deal.id, 2);
    await crm.eventTargetsSettled();
    const stage = at('/stage').map((r) => JSON.parse(r.body));
    expect(stage).toHaveLength(1);
    expect(stage[0].data.changedFields).toContain('stageId');
    const types = at('/all').map((r) => JSON.parse(r.body).type);
    expect(types).toEqual(expect.arrayContaining(['customer.created', 'deal.created', 'deal.updated']));
    expect(at('/customers').map((r) => JSON.parse(r.body).type).every((t) => t === 'customer.created')).toBe(true);
    expect(at('/customers').length).toBeGreaterThanOrEqual(1);
    await Promise.all([all, stageOnly, customers].map((h) => crm.request('DELETE', `/v1/webhooks/${h.id}`, { role: 'admin' })));
  });

  it('retries with exponential backoff and jitter until the receiver answers', async () => {
    failures.set('/flaky', 3);
    const hook = await createWebhook('/flaky');
    const deal = await dealFor();
    await settle('deal.created', deal.id);
    let [delivery] = await deliveries(hook.id);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500 });
    // Not due yet: a run now attempts nothing.
    const early = await crm.runJob('webhooks', delivery.lastAttemptAt) as { processed: number };
    expect(early.processed).toBe(0);
    for (let runs = 0; delivery.status === 'pending' && runs < 10; runs++) {
      await crm.runJob('webhooks', delivery.nextAttemptAt);
      [delivery] = await deliveries(hook.id);
    }
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 204 });
    const times = delivery.history.map((h: { at: string }) => Date.parse(h.at));
    const gaps = times.slice(1).map((t: number, i: number) => t - times[i]!);
    // Retry n waits between half and all of 30 s × 2^(n-1) (rounded up to the second).
    gaps.forEach((gap: number, i: number) => {
      const full = 30_000 * 2 ** i;
      expect(gap).toBeGreaterThanOrEqual(full / 2);
      expect(gap).toBeLessThanOrEqual(full + 1000);
    });
    const sent = at('/flaky');
    expect(sent).toHaveLength(4);
    expect(new Set(sent.map((r) => r.headers['x-crm-event-id'])).size).toBe(1);
    expect(new Set(sent.map((r) => r.body)).size).toBe(1);
    for (const request of sent) expect(verify(hook.secret, request.headers, request.body)).toBe(true);
  });

  it('dead-letters after the 24 h retry window, disables the webhook and notifies its admin; redelivers once fixed', async () => {
    failures.set('/down', 1_000);
    const hook = await createWebhook('/down');
    const deal = await dealFor();
    await settle('deal.created', deal.id);
    let [delivery] = await deliveries(hook.id);
    const created = Date.parse(delivery.createdAt);
    let runs = 0;
    while (delivery.status === 'pending' && runs++ < 60) {
      await crm.runJob('webhooks', delivery.nextAttemptAt);
      [delivery] = await deliveries(hook.id);
    }
    expect(delivery.status).toBe('dead');
    expect(Date.parse(delivery.deadAt) - created).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(delivery.attempts).toBeGreaterThan(10);
    // Never longer than the 2 h cap between attempts.
    const webhook = (await crm.request('GET', `/v1/webhooks/${hook.id}`, { role: 'admin' })).body;
    expect(webhook).toMatchObject({ active: false });
    expect(webhook.disabledAt).toBeDefined();
    const notes = (await crm.request('GET', '/v1/notifications', { role: 'admin' })).body.items as { type: string; link: string }[];
    expect(notes.filter((n) => n.type === 'webhook.disabled' && n.link === `/v1/webhooks/${hook.id}`)).toHaveLength(1);
    // The automatic disable is audited (and published) as the system's change.
    const disabled = (await auditOf(hook.id)).filter((e) => e.action === 'disabled');
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatchObject({ actor: 'system', version: webhook.version });
    expect(disabled[0]!.changes.map((c: { field: string }) => c.field).sort()).toEqual(['active', 'disabledReason']);

    // A disabled webhook gets nothing, and redelivery asks to re-enable first.
    const later = await dealFor();
    await settle('deal.created', later.id);
    expect((await deliveries(hook.id)).length).toBe(1);
    expect((await crm.request('POST', `/v1/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`, { role: 'admin' })).status).toBe(409);

    failures.set('/down', 0);
    const enabled = await crm.request('PATCH', `/v1/webhooks/${hook.id}`, { role: 'admin', body: { active: true } });
    expect(enabled.body).toMatchObject({ active: true });
    expect(enabled.body.failingSince).toBeUndefined();
    const before = at('/down').length;
    const redelivered = await crm.request('POST', `/v1/webhooks/${hook.id}/deliveries/${delivery.id}/redeliver`, { role: 'admin' });
    expect(redelivered.status).toBe(200);
    expect(redelivered.body).toMatchObject({ id: delivery.id, status: 'delivered', eventId: delivery.eventId, lastStatusCode: 204 });
    const again = at('/down').slice(before);
    expect(again).toHaveLength(1);
    expect(again[0]!.headers['x-crm-event-id']).toBe(delivery.eventId);
    expect(verify(hook.secret, again[0]!.headers, again[0]!.body)).toBe(true);
    expect((await crm.request('POST', `/v1/webhooks/${hook.id}/deliveries/dlv_00000000000000000000000000/redeliver`, { role: 'admin' })).status).toBe(404);
  });

  it('rotates the secret with an overlap: both signatures verify until it ends', async () => {
    const hook = await createWebhook('/rotate');
    const rotated = await crm.request('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { role: 'admin', body: { overlapSeconds: 3600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(rotated.body.previousSecretExpiresAt).toBeDefined();
    const deal = await dealFor();
    await settle('deal.created', deal.id);
    const [request] = at('/rotate');
    expect(String(request!.headers['x-crm-signature']).split(',')).toHaveLength(2);
    expect(verify(rotated.body.secret, request!.headers, request!.body)).toBe(true);
    expect(verify(hook.secret, request!.headers, request!.body)).toBe(true);
    const noOverlap = await crm.request('POST', `/v1/webhooks/${hook.id}/rotate-secret`, { role: 'admin', body: { overlapSeconds: 0 } });
    expect(noOverlap.body.previousSecretExpiresAt).toBeUndefined();
    // The stored item keeps the secret to sign with; the API never shows it again.
    const stored = await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: { pk: `WH#${hook.id}`, sk: '#WEBHOOK' } }));
    expect(stored.Item?.secret.secret).toBe(noOverlap.body.secret);
    expect(stored.Item?.previousSecret).toBeUndefined();

    // Every change is an audit entry and a `webhook.*` event; none holds a secret or the URL.
    await crm.request('PATCH', `/v1/webhooks/${hook.id}`, { role: 'admin', body: { url: `${base}/rotate?token=t0ps3cret`, description: 'ERP' } });
    expect((await crm.request('DELETE', `/v1/webhooks/${hook.id}`, { role: 'admin' })).status).toBe(204);
    const entries = await auditOf(hook.id);
    expect(entries.map((e) => [e.action, e.version])).toEqual([['created', 1], ['rotated', 2], ['rotated', 3], ['updated', 4], ['deleted', 5]]);
    expect(entries[3]!.changes).toEqual([{ field: 'url', redacted: true }, { field: 'description', to: 'ERP' }]);
    const text = JSON.stringify(entries);
    for (const secret of [hook.secret, rotated.body.secret, noOverlap.body.secret, 't0ps3cret', base]) expect(text).not.toContain(secret);
    const events = await crm.waitForEvents((e) => e.detail.entityId === hook.id, 5);
    expect(events.map((e) => e['detail-type'])).toEqual(expect.arrayContaining(['webhook.created', 'webhook.rotated', 'webhook.updated', 'webhook.deleted']));
  });

  it('refuses URLs that are not https or name private addresses, and never follows a redirect', async () => {
    for (const url of ['http://example.com/hook', 'https://10.0.0.1/hook', 'https://169.254.169.254/latest', 'https://[::1]/hook', 'https://localhost/hook', 'https://user:pw@example.com/hook', 'ftp://example.com']) {
      const res = await crm.request('POST', '/v1/webhooks', { role: 'admin', body: { url, events: ['*'] } });
      expect(res.status, url).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    const hook = await createWebhook('/redirect');
    const deal = await dealFor();
    await settle('deal.created', deal.id);
    const [delivery] = await deliveries(hook.id);
    expect(delivery).toMatchObject({ status: 'pending', lastStatusCode: 302, lastError: 'http-302' });
    expect(received.filter((r) => r.path.startsWith('/latest'))).toHaveLength(0);
    await crm.request('DELETE', `/v1/webhooks/${hook.id}`, { role: 'admin' });
  });

  it('in AWS mode (no allow-list) refuses loopback, private, link-local and names resolving to them', async () => {
    const { resolvePublic, urlProblem, BlockedAddress } = await import('../../functions/webhooks/ssrf');
    const { sendSigned } = await import('../../functions/webhooks/send');
    const aws = {} as NodeJS.ProcessEnv;
    for (const url of ['https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://169.254.169.254/x', 'https://[::1]/x', 'https://[::ffff:127.0.0.1]/x', 'https://[fd00::1]/x', 'https://192.168.1.1/x', 'https://100.64.0.1/x', 'https://0.0.0.0/x']) {
      expect(urlProblem(url, aws), url).toBeDefined();
      await expect(resolvePublic(new URL(url), aws), url).rejects.toBeInstanceOf(BlockedAddress);
    }
    expect(urlProblem('https://hooks.example.com/x', aws)).toBeUndefined();
    const resolver = (answers: string[]) => async () => answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    // Every address is checked: one private answer among public ones is enough to refuse.
    await expect(resolvePublic(new URL('https://internal.example/x'), aws, resolver(['93.184.216.34', '10.0.0.7']))).rejects.toBeInstanceOf(BlockedAddress);
    await expect(resolvePublic(new URL('https://meta.example/x'), aws, resolver(['169.254.169.254']))).rejects.toBeInstanceOf(BlockedAddress);
    await expect(resolvePublic(new URL('https://six.example/x'), aws, resolver(['::1']))).rejects.toBeInstanceOf(BlockedAddress);
    await expect(resolvePublic(new URL('https://ok.example/x'), aws, resolver(['93.184.216.34']))).resolves.toEqual({ address: '93.184.216.34', family: 4 });
    // The real resolver: localhost names this machine.
    await expect(resolvePublic(new URL('https://localhost./x'), aws)).rejects.toBeInstanceOf(BlockedAddress);

    // A real attempt without the allow-list never reaches the receiver.
    const saved = process.env.WEBHOOK_ALLOWED_HOSTS;
    delete process.env.WEBHOOK_ALLOWED_HOSTS;
    try {
      const before = received.length;
      const outcome = await sendSigned({ url: `${base}/ssrf`, body: '{}', headers: {} });
      expect(outcome).toMatchObject({ ok: false, error: 'blocked-address' });
      expect(received.length).toBe(before);
    } finally {
      process.env.WEBHOOK_ALLOWED_HOSTS = saved;
    }
  });
});
