/**
 * Fixture writing shared by the benchmarks that load a large table (bench/sla.ts,
 * bench/reminders.ts, bench/export.ts, bench/export-files.ts): the items come from the project's
 * own model and key code (a `*Stored` function, or the puts a feature's Transaction plans), and go
 * to the engine with BatchWriteItem — 25 items a request, several requests in flight, unprocessed
 * items sent again with backoff — instead of through the API, so 100,000 records load in minutes.
 * Also the counting SES stand-in and the Markdown table the job benchmarks print.
 */
import { createServer } from 'node:http';
import { BatchWriteCommand, type BatchWriteCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Transaction } from '../functions/data/transaction';

type Item = Record<string, unknown>;

/** BatchWriteItem's limit. */
const BATCH = 25;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends one batch until the engine has taken every item (UnprocessedItems again, with backoff up to 1 s). */
async function writeBatch(doc: DynamoDBDocumentClient, tableName: string, items: readonly Item[]): Promise<void> {
  let request: BatchWriteCommand['input']['RequestItems'] = { [tableName]: items.map((Item) => ({ PutRequest: { Item } })) };
  for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
    if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
    const out: BatchWriteCommandOutput = await doc.send(new BatchWriteCommand({ RequestItems: request }));
    request = out.UnprocessedItems;
  }
}

/**
 * Writes items as they are produced: `push` queues them and returns once a request slot is free
 * (back-pressure, so a generator of 100,000 records never holds them all); `close` waits for the
 * rest. Defaults: 8 requests in flight — enough to keep DynamoDB Local's writer busy on two cores
 * without queueing seconds of requests behind each other (the client's request timeout).
 */
export class ItemWriter {
  written = 0;
  private pending: Item[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string, private readonly concurrency = 8) {}

  async push(...items: Item[]): Promise<void> {
    this.pending.push(...items);
    while (this.pending.length >= BATCH) await this.send(this.pending.splice(0, BATCH));
  }

  /** Writes what is left and waits for every request; throws the first failure. */
  async close(): Promise<number> {
    while (this.pending.length > 0) await this.send(this.pending.splice(0, BATCH));
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    return this.written;
  }

  private async send(batch: Item[]): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    const request: Promise<void> = writeBatch(this.doc, this.tableName, batch)
      .then(() => { this.written += batch.length; }, (error: unknown) => { this.failure ??= error; })
      .finally(() => { this.inFlight.delete(request); });
    this.inFlight.add(request);
  }
}

/** All `items` through an ItemWriter; the number written. */
export async function writeItems(doc: DynamoDBDocumentClient, tableName: string, items: Iterable<Item>, concurrency?: number): Promise<number> {
  const writer = new ItemWriter(doc, tableName, concurrency);
  for (const item of items) await writer.push(item);
  return writer.close();
}

/**
 * The items a feature's transaction would Put, for a bulk load of what the feature writes. Its
 * Update and ConditionCheck parts are left out (counter ADDs on shared items: a bulk load skips them).
 */
export function plannedPuts(tx: Transaction): Item[] {
  return tx.planned.flatMap((p) => {
    const put = p.Put;
    return put && typeof put === 'object' && 'Item' in put && put.Item && typeof put.Item === 'object' ? [{ ...(put.Item as Item) }] : [];
  });
}

/** The `i`th company customer of the export benchmarks (the same fields in both, so their rows compare). */
export function exportCustomer(id: string, i: number, ownerId: string, actorId: string) {
  const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
  return {
    id, type: 'company' as const, name: `Export ${i} GmbH`, industry: 'Manufacturing', tier: 'ABCD'[i % 4]!, lifecycleStage: 'customer',
    source: 'import', tags: i % 3 ? ['retail'] : [], ownerId, email: `info-${i}@export.example`, phone: `+49 30 ${1_000_000 + i}`,
    address: { line1: `Street ${i}`, city: 'Berlin', postalCode: '10115', country: 'DE' }, contactCount: 0, contactsRev: 0,
    version: 1, createdAt: at, updatedAt: at, createdBy: actorId, updatedBy: actorId,
  };
}

/**
 * A counting SES v2 stand-in: answers every SendEmail with a message id at once, so a job benchmark
 * measures the database cost, not SES.
 */
export async function startSesStub(): Promise<{ endpoint: string; sent(): number; close(): void }> {
  let sent = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      sent += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ MessageId: `bench-${sent}` }));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('The SES stub has no port');
  return { endpoint: `http://127.0.0.1:${address.port}`, sent: () => sent, close: () => server.close() };
}

/** A Markdown table with padded columns (the benchmarks' output goes into docs as is). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, n) => Math.max(h.length, ...rows.map((r) => (r[n] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, n) => c.padEnd(widths[n]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
