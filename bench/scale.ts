/**
 * Does the local CRM stay fast as the table grows? Loads customers into a fresh DynamoDB Local (on
 * memory by default, `--disk` as `npm start` keeps it) through the project's own model code — the items
 * customers/repository.ts writes for a new customer (profile, tag copies, uniqueness guard, audit
 * entry), sent with BatchWriteItem for speed rather than through the HTTP API — and measures, at
 * the base size and at the full size:
 *
 *   GET a customer · list (page of 25) · a deep page (page 20 by cursor) · search by name prefix
 *
 * through the local gateway and the real handlers, one request at a time, p50 and p99; with the
 * stream poller running as `npm start` runs it (cached DescribeTable: "after"), with the poller as
 * it was (DescribeTable + DescribeStream on every pass: "before"), and as a raw-engine control:
 * the very DynamoDB requests the handler sent, replayed directly — growth there is DynamoDB
 * Local's own, not the CRM's.
 *
 *   npm run bench:scale [-- --customers 100000 --base 1000 --samples 300 --disk]
 *
 * Target (issue 14): every figure at the full size within 1.1× of the base size, except where the
 * raw control grows the same way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { arg, fmtMs, fmtRatio, recordDbCommands, replayer, startLocalCrm, time, type Latency } from './harness';

const CUSTOMERS = Number(arg('customers', '100000'));
const BASE = Number(arg('base', '1000'));
const SAMPLES = Number(arg('samples', '300'));
const CONCURRENCY = Number(arg('concurrency', '4'));
/** In memory by default: loading 100k customers onto disk took too long on a shared 2-core machine. */
const IN_MEMORY = !process.argv.includes('--disk');
const DEEP_PAGE = 20;
const PAGE = 25;
const out = (line = '') => process.stdout.write(`${line}\n`);

const WORDS = ['Alpha', 'Bravo', 'Carbon', 'Delta', 'Echo', 'Fjord', 'Granite', 'Harbor', 'Iris', 'Juniper', 'Kestrel', 'Lumen', 'Meridian',
  'Nordic', 'Orbit', 'Pioneer', 'Quartz', 'Raven', 'Summit', 'Tundra', 'Umber', 'Vertex', 'Willow', 'Xenon', 'Yarrow', 'Zephyr'];
const TAGS = ['vip', 'heating', 'retail', 'partner', 'export'];

async function main(): Promise<void> {
  const directory = IN_MEMORY ? undefined : mkdtempSync(join(tmpdir(), 'crm-bench-scale-'));
  const crm = await startLocalCrm({ directory });
  // Handler modules read the environment startLocalCrm set: import them only now.
  const { Transaction } = await import('../functions/data/transaction');
  const { addCustomerWrites } = await import('../functions/customers/repository');
  const { auditItem, diff } = await import('../functions/audit/audit');
  const { CUSTOMER_FIELDS, CUSTOMER_SENSITIVE } = await import('../functions/customers/model');
  const { newId } = await import('../functions/data/keys');
  const { createGateway } = await import('../local/gateway');
  const { localIssuer } = await import('../local/jwt');
  const { resolveUser, SALES_REPS } = await import('../local/demo-users');
  const { createStreamPoller } = await import('../local/stream-poller');

  const stops: (() => Promise<unknown>)[] = [];
  try {
    const issuer = await localIssuer();
    const gateway = await createGateway({ verifier: issuer.verifier, throttle: false });
    stops.push(() => gateway.close());
    const manager = resolveUser('manager');
    const token = await issuer.signToken({ sub: manager.id, email: manager.email, groups: ['manager'], username: manager.username });
    const actor = { userId: manager.id, role: 'manager' as const, groups: ['manager'] };

    // Loading ---------------------------------------------------------------------------------
    const ids: string[] = [];
    let loaded = 0;
    let itemsWritten = 0;
    async function load(upTo: number): Promise<void> {
      const t0 = Date.now();
      let next = loaded;
      const worker = async () => {
        for (;;) {
          const start = next;
          if (start >= upTo) return;
          next = Math.min(upTo, start + 25);
          const puts: Record<string, unknown>[] = [];
          for (let i = start; i < next; i++) puts.push(...customerItems(i));
          for (let j = 0; j < puts.length; j += 25) await batchWrite(puts.slice(j, j + 25));
          itemsWritten += puts.length;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const s = (Date.now() - t0) / 1000;
      out(`  loaded customers ${loaded}…${upTo} (${itemsWritten} items in all) in ${s.toFixed(0)} s`);
      loaded = upTo;
    }

    /** The items a new customer consists of, built by the repository's own write plan. */
    function customerItems(i: number): Record<string, unknown>[] {
      const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000);
      const item = {
        id: newId('cus'), type: 'company' as const, name: `${WORDS[i % WORDS.length]} ${i} GmbH`, industry: 'Manufacturing', tier: 'ABCD'[i % 4],
        lifecycleStage: 'customer', source: 'import', tags: i % 2 ? [TAGS[i % TAGS.length]!] : [], ownerId: SALES_REPS[i % SALES_REPS.length]!.id,
        email: `info-${i}@scale.example`, address: { line1: `Street ${i}`, city: 'Berlin', postalCode: '10115', country: 'DE' },
        contactCount: 0, contactsRev: 0, version: 1, createdAt: at.toISOString(), updatedAt: at.toISOString(), createdBy: actor.userId, updatedBy: actor.userId,
      };
      ids.push(item.id);
      const changes = diff(undefined, item as never, CUSTOMER_FIELDS, CUSTOMER_SENSITIVE);
      const audit = auditItem({ customerId: item.id, entityType: 'customer', entityId: item.id, action: 'created', actor: actor as never, at, version: 1, changes, timeline: true });
      const tx = new Transaction();
      addCustomerWrites(tx, undefined, item, audit);
      // The transaction's planned Puts (a new customer is only Puts); the bench sends them in batches.
      // Dashboard counters are ADD updates of shared items (functions/dashboard/counters.ts); a bulk load leaves them out.
      const planned = (tx.planned as readonly { Put?: { Item: Record<string, unknown> }; Update?: { Key: { pk: string } } }[]).filter((p) => !p.Update?.Key.pk.startsWith('DASH#'));
      if (planned.some((p) => !p.Put)) throw new Error('a new customer is expected to be Puts only');
      return planned.map((p) => p.Put!.Item);
    }

    async function batchWrite(items: Record<string, unknown>[]): Promise<void> {
      let request: Record<string, any[]> = { [crm.tableName]: items.map((Item) => ({ PutRequest: { Item } })) };
      for (let attempt = 0; Object.keys(request).length > 0; attempt++) {
        const res = await crm.doc.send(new BatchWriteCommand({ RequestItems: request }));
        request = (res.UnprocessedItems ?? {}) as Record<string, any[]>;
        if (Object.keys(request).length > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
      }
    }

    // Measuring -------------------------------------------------------------------------------
    const headers = { authorization: `Bearer ${token}` };
    async function get(path: string): Promise<any> {
      const res = await fetch(`${gateway.url}${path}`, { headers });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      return body;
    }

    type Op = { label: string; path: () => string };
    async function deepCursor(): Promise<string> {
      let cursor: string | undefined;
      for (let page = 1; page < DEEP_PAGE; page++) {
        const body = await get(`/v1/customers?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        cursor = body.nextCursor;
        if (!cursor) throw new Error(`fewer than ${DEEP_PAGE} pages`);
      }
      return cursor!;
    }

    type Row = { api: Latency; raw: Latency; sent: string };
    async function measureAll(label: string, pollerMode: 'cached' | 'per-pass' | 'none'): Promise<Record<string, Row>> {
      let poller: ReturnType<typeof createStreamPoller> | undefined;
      if (pollerMode !== 'none') {
        poller = createStreamPoller({
          tableName: crm.tableName, ddb: crm.raw, endpoint: crm.endpoint,
          handler: async () => (async () => ({ batchItemFailures: [] })) as never,
          // Only what comes next: the load's own stream is not the subject here.
          startingPosition: 'LATEST',
          ...(pollerMode === 'per-pass' ? { streamArnTtlMs: 0, shardListTtlMs: 0 } : {}),
        });
        // Catch up with the load's stream first, then poll idle in the background as `npm start` does.
        await poller.drain();
        poller.start();
        await new Promise((r) => setTimeout(r, 2_000));
      }
      try {
        const deep = await deepCursor();
        const sample = ids.slice(0, BASE);
        const ops: Op[] = [
          { label: 'GET a customer', path: () => `/v1/customers/${sample[Math.floor(Math.random() * sample.length)]}` },
          { label: 'List customers (page of 25)', path: () => `/v1/customers?limit=${PAGE}` },
          { label: `Deep page (page ${DEEP_PAGE}, by cursor)`, path: () => `/v1/customers?limit=${PAGE}&cursor=${encodeURIComponent(deep)}` },
          { label: 'Search by name prefix (?q=alp)', path: () => '/v1/customers?q=alp&limit=25' },
        ];
        const rows: Record<string, Row> = {};
        for (const op of ops) {
          const fixedPath = op.path();
          const recorded = await recordDbCommands(() => get(fixedPath));
          const api = await time(SAMPLES, () => get(op.path()));
          const raw = await time(SAMPLES, replayer(crm.doc, recorded));
          rows[op.label] = { api, raw, sent: recorded.map((r) => r.command.replace(/Command$/, '')).join('+') };
        }
        out(`  measured ${label}, poller ${pollerMode} (load average ${loadavg().map((n) => n.toFixed(1)).join(' ')})`);
        return rows;
      } finally {
        await poller?.stop();
      }
    }

    out(`Scale benchmark: ${BASE} → ${CUSTOMERS} customers, ${SAMPLES} samples per figure, DynamoDB Local ${IN_MEMORY ? 'in memory' : 'on disk'}`);
    await load(BASE);
    // A discarded pass first: otherwise the first measured phase is also the JIT's and the
    // connection pool's warm-up, and every ratio against it flatters the full size (2 Dec run).
    await measureAll(`${BASE} (warm-up, discarded)`, 'none');
    const small = { cached: await measureAll(`${BASE}`, 'cached'), perPass: await measureAll(`${BASE}`, 'per-pass'), none: await measureAll(`${BASE}`, 'none') };
    await load(CUSTOMERS);
    const large = { cached: await measureAll(`${CUSTOMERS}`, 'cached'), perPass: await measureAll(`${CUSTOMERS}`, 'per-pass'), none: await measureAll(`${CUSTOMERS}`, 'none') };

    const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
    for (const [title, a, b] of [
      ['After (poller caches DescribeTable)', small.cached, large.cached],
      ['Before (poller calls DescribeTable every pass)', small.perPass, large.perPass],
      ['No stream poller', small.none, large.none],
    ] as const) {
      out(`\n### ${title}\n`);
      out(`| operation | requests | API p50 ${k(BASE)} → ${k(CUSTOMERS)} (ms) | ratio | API p99 ${k(BASE)} → ${k(CUSTOMERS)} (ms) | ratio | raw p50 ratio | raw p99 ratio |`);
      out('|---|---|---:|---:|---:|---:|---:|---:|');
      for (const label of Object.keys(a)) {
        const s = a[label]!;
        const l = b[label]!;
        out(`| ${label} | ${s.sent} | ${fmtMs(s.api.p50)} → ${fmtMs(l.api.p50)} | ${fmtRatio(l.api.p50 / s.api.p50)} | ${fmtMs(s.api.p99)} → ${fmtMs(l.api.p99)} | ${fmtRatio(l.api.p99 / s.api.p99)} `
          + `| ${fmtRatio(l.raw.p50 / s.raw.p50)} (${fmtMs(s.raw.p50)} → ${fmtMs(l.raw.p50)}) | ${fmtRatio(l.raw.p99 / s.raw.p99)} (${fmtMs(s.raw.p99)} → ${fmtMs(l.raw.p99)}) |`);
      }
    }
    out('\nTarget: API ratios ≤ 1.10× (where the raw control stays flat).');
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    await crm.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
}

await main();
