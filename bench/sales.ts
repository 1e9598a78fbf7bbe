/**
 * Benchmark of the sales paths: DynamoDB requests and consumed capacity of moving a deal's stage,
 * reading the forecast, reading a board page, reading a deal and the sales report (and accepting a
 * quote, when the quotes feature is present), with many deals in the table (default 2,000 over 20
 * owners and 12 months) — to show the reads cost the same whatever the number of deals.
 *
 *   npx tsx bench/sales.ts [--deals 2000]
 *
 * Calls the feature services in-process against DynamoDB Local (the HTTP layer adds no DynamoDB
 * requests except the optional Idempotency-Key record).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { ensureTable, startDynamoDbLocal } from '../local/engines/dynamodb';
import { applyEnvironment, handlerEnvironment } from '../local/env';
import { freePort } from '../local/ports';
import type { Principal } from '../functions/security/principal';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const DEALS = Number(arg('deals', '2000'));
const OWNERS = 20;

async function main() {
  const engine = await startDynamoDbLocal({ port: await freePort() });
  const tableName = `crm-bench-${randomBytes(3).toString('hex')}`;
  const raw = engine.client();
  await ensureTable(raw, tableName);
  applyEnvironment(handlerEnvironment({ tableName, stage: 'local', cursorSecret: 'bench', logLevel: 'ERROR', endpoints: { dynamodb: engine.endpoint } }));

  const { withDbUsage } = await import('../functions/data/client');
  const customers = await import('../functions/customers/service');
  const deals = await import('../functions/deals/service');
  const forecast = await import('../functions/forecast/service');
  const admin: Principal = { userId: 'bench-admin', role: 'admin', groups: ['admin'] };
  const owners = Array.from({ length: OWNERS }, (_, i) => `bench-rep-${i}`);
  const now = new Date();
  const year = now.getUTCFullYear();
  const stages = ['stg_00000000000000000000000001', 'stg_00000000000000000000000002', 'stg_00000000000000000000000003', 'stg_00000000000000000000000004'];

  console.log(`Creating ${DEALS.toLocaleString('en')} deals for ${OWNERS} owners …`);
  const started = Date.now();
  const customerOf = new Map<string, string>();
  for (const owner of owners) customerOf.set(owner, (await customers.createCustomer(admin, 'all', { type: 'company', name: `Bench ${owner}`, ownerId: owner }, now)).id);
  const ids: string[] = [];
  const batch: Promise<void>[] = [];
  for (let i = 0; i < DEALS; i++) {
    const owner = owners[i % OWNERS]!;
    batch.push(deals.createDeal(admin, 'all', {
      name: `Bench deal ${i}`, customerId: customerOf.get(owner)!, ownerId: owner, amount: { amount: 10_000 + i, currency: i % 5 ? 'EUR' : 'USD' },
      stageId: stages[i % 4], expectedCloseDate: `${year}-${String((i % 12) + 1).padStart(2, '0')}-15`,
    }, now).then((d) => { ids.push(d.id); }));
    if (batch.length >= 20) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  for (let q = 1; q <= 4; q++) for (const owner of owners) await forecast.putQuota(admin, owner, `${year}-Q${q}`, { amount: { amount: 1_000_000, currency: 'EUR' } }, undefined, now);
  console.log(`Fixture in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);

  const rows: string[][] = [];
  const measure = async (label: string, fn: () => Promise<unknown>) => {
    const { usage } = await withDbUsage(fn);
    const count = new Map<string, number>();
    for (const c of usage.commands) count.set(c, (count.get(c) ?? 0) + 1);
    rows.push([label, String(usage.requests), [...count.entries()].map(([c, n]) => `${n} ${c}`).join(', '), usage.readUnits.toFixed(1), usage.writeUnits.toFixed(1)]);
  };

  const target = ids[0]!;
  await measure('Move a deal\'s stage (POST /v1/deals/{id}/stage)', () => deals.moveStage(admin, target, stages[2]!, undefined, new Date()));
  await measure('Read a deal (GET /v1/deals/{id})', () => deals.getDeal(admin, target));
  await measure('Read the forecast, quarter, all owners (GET /v1/forecast)', () => forecast.forecast(admin, 'all', { period: `${year}-Q2` }));
  await measure('Read the forecast, quarter, one owner (?ownerId=)', () => forecast.forecast(admin, 'all', { period: `${year}-Q2`, ownerId: owners[3] }));
  await measure('Read a board page, 25 deals (GET /v1/pipelines/{id}/deals?stage=)', () => deals.board(admin, 'all', 'pip_00000000000000000000000000', { stage: stages[1], limit: 25 }));
  await measure('Win a deal (POST /v1/deals/{id}/won)', () => deals.closeDeal(admin, ids[1]!, 'won', 'bench', new Date()));
  await measure('Sales report, quarter (GET /v1/reports/sales)', () => forecast.salesReport(admin, 'all', { period: `${year}-Q${Math.floor(now.getUTCMonth() / 3) + 1}` }));

  if (existsSync(new URL('../functions/quotes/service.ts', import.meta.url))) {
    const quotes = await import('../functions/quotes/service');
    const { QuoteCreate } = await import('../schemas/quotes');
    const until = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const quote = await quotes.createQuote(admin, ids[2]!, QuoteCreate().parse({ validUntil: until, lines: [{ description: 'Bench line', unitPrice: 10_000, taxRateBp: 1900, quantity: 2 }] }), new Date());
    await quotes.sendQuote(admin, quote.id, new Date());
    await measure('Accept a quote (POST /v1/quotes/{id}/accept)', () => quotes.acceptQuote(admin, quote.id, new Date()));
  }

  const header = ['operation', 'DDB requests', 'commands', 'RCU', 'WCU'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`Sales paths with ${DEALS.toLocaleString('en')} deals in the table (DynamoDB Local):\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  console.log('\nRCU/WCU as DynamoDB Local reports them (transactions count 2 WCU per item KB).');
  raw.destroy();
  await engine.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
