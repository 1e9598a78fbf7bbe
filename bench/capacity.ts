/**
 * What each endpoint and job costs in DynamoDB: requests, read and write units — as DynamoDB Local
 * reports them AND as the service bills them — plus log bytes per request and the storage each
 * kind of item takes. The figures behind docs/costs.md.
 *
 *   npm run bench:capacity [-- --customers 60 --samples 5 --due 25 --json out.json]
 *
 * Starts the test stack exactly as the integration tests do (test/support/stack.ts: DynamoDB Local,
 * local SES, the local gateway in front of the real handlers, LOG_LEVEL=INFO as deployed), seeds the
 * demo data through the API (local/seed.ts) so lists and timelines hold realistic pages, then calls
 * each operation `--samples` times, one at a time, and prints Markdown tables.
 *
 * Why a model next to the local report: DynamoDB Local reports a TransactWriteItems as 2 × the sum
 * of the distinct per-item costs INCLUDING every GSI copy, and condition checks as 0 (TOOLCHAIN.md);
 * an empty Query or a missing GetItem key as 0. The service bills (developer guide "Capacity
 * management for transactions" and "GSI write capacity"; checked against the live service by the
 * dynamodb-conformance suite, paritysuite/dynamodb-conformance#67 and nubo-db/dynoxide#188):
 *   - table arm: ceil(max(item before, item after) / 1 KB) per write, × 2 inside a transaction;
 *     a ConditionCheck: 2 × ceil(checked item / 1 KB), billed as a write;
 *   - each GSI, NOT doubled inside a transaction: 1 write when the item enters or leaves the index
 *     or (ALL projection) any attribute of an indexed item changes, 2 when its index key changes;
 *   - reads: ceil(size / 4 KB) × ½ (eventually) or × 1 (strongly consistent), at least one unit.
 * To model a write the bench reads the touched items before and after it with a separate client
 * (not counted), sizes them by DynamoDB's item-size rules and applies those rules. The same images
 * give the write units the indexes would cost with KEYS_ONLY projections (the projection lever).
 */
import { register } from 'node:module';
import { DynamoDBClient, GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ddb } from '../functions/data/client';
import { actionCost, inIndex, itemSize, KB, minimumCost, requestCost, tableIndexes, writeUnits, type ModelledAction } from '../functions/data/capacity';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/env';

// test/support/stack.ts imports `inject` from vitest, which throws outside a vitest run. Resolve
// that one specifier to a stub whose inject() hands the stack the engine this script started (with
// a start-up limit a loaded machine can meet), as the global setup does for test files.
const VITEST_STUB = `export async function resolve(specifier, context, next) {
  if (specifier === 'vitest') return { url: 'data:text/javascript,export function inject(key){if (key === "dynamodbEndpoint") return globalThis.__benchDynamoDbEndpoint; return undefined}', shortCircuit: true };
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(VITEST_STUB)}`);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const CUSTOMERS = Number(arg('customers', '60'));
const SAMPLES = Number(arg('samples', '5'));
const DUE = Number(arg('due', '25'));
const JSON_OUT = arg('json', '');

// ---------------------------------------------------------------------------------------------
// Item sizes and the write-cost model: functions/data/capacity.ts, the same model the x-db-write-units
// header follows (so the bench and the header cannot disagree on the rules).

type Item = Record<string, AttributeValue>;

const readUnits = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / (4 * KB))) * (consistent ? 1 : 0.5);
const INDEXES = tableIndexes();
/** The same indexes with KEYS_ONLY projections: the projection lever. */
const KEYS_ONLY_INDEXES = INDEXES.map((index) => ({ ...index, projection: 'KEYS_ONLY' as const, nonKeyAttributes: [] }));

// ---------------------------------------------------------------------------------------------
// Counting every DynamoDB call of the handlers (the instrumented singleton in functions/data/client.ts)

interface Tally {
  requests: number;
  commands: Map<string, number>;
  localRead: number;
  localWrite: number;
  modelRead: number;
  /** Write units as billed with the table's ALL projections, and with KEYS_ONLY indexes. */
  modelWrite: number;
  modelWriteKeysOnly: number;
  /** Of modelWrite: the table arms (items themselves) and the index arms. */
  tableArm: number;
  indexArm: number;
  /** Audit/outbox items written: one EventBridge event each (the stream publishes them). */
  events: number;
  /** The least the same items could cost (capacity.ts minimumCost). */
  minimum: number;
  /** The least the operation's records alone could cost (see `recordMinimum`). */
  recordMinimum: number;
  /** Modelled WCU by what the items are for (see `purposeOf`). */
  byPurpose: Map<Purpose, number>;
  /** What the API reported in x-db-write-units (the client's figure: the model for transactions). */
  header: number;
}

const newTally = (): Tally => ({ requests: 0, commands: new Map(), localRead: 0, localWrite: 0, modelRead: 0, modelWrite: 0, modelWriteKeysOnly: 0, tableArm: 0, indexArm: 0, events: 0, minimum: 0, recordMinimum: 0, byPurpose: new Map(), header: 0 });

/**
 * What a written item is for. `record`: the records the operation exists to create or change
 * (customer, contact, activity, task and reminders, lead, deal and its stage history, quote, order,
 * product, pipeline, quota, notification …). Everything else is what the design adds around them:
 * `outbox` (audit entry = history + domain event + timeline entry), `guard` (uniqueness and rule
 * guards), `tag copy`, `summary` (counters and figures kept beside a record: contacts summary,
 * activity tracker, purchase summary, forecast, report and dashboard aggregates, round-robin counters),
 * `check` (condition checks on records the write depends on), `idempotency`.
 */
type Purpose = 'record' | 'outbox' | 'guard' | 'tag copy' | 'summary' | 'check' | 'idempotency';
const PURPOSES: Purpose[] = ['record', 'outbox', 'guard', 'tag copy', 'summary', 'check', 'idempotency'];

function purposeOf(kind: ModelledAction['kind'], key: Item, image: Item | undefined): Purpose {
  if (kind === 'check') return 'check';
  const pk = key.pk?.S ?? '';
  const sk = key.sk?.S ?? '';
  if (image?.kind?.S === 'audit' || sk.startsWith('AUD#')) return 'outbox';
  if (pk.startsWith('IDEM#')) return 'idempotency';
  if (/^(UNQ|LUNQ|RULE)#/.test(pk)) return 'guard';
  if (sk.startsWith('TAG#')) return 'tag copy';
  if (['#CONTACTS', '#ACTIVITY', '#PURCHASES'].includes(sk) || /^(FCST|SALESRPT|DASH)#/.test(pk) || sk.startsWith('RR#')) return 'summary';
  return 'record';
}

/**
 * The least the operation's records alone could cost — the issue's "durable effect": 1 WCU per
 * started KB of each record written, ×2 only when several records change together, + 1 per GSI the
 * record is listed in. No outbox, guard, copy, summary or check: what the rest costs is what those
 * buy (docs/access-patterns.md, "Write cost per operation").
 */
function recordMinimum(actions: readonly ModelledAction[], purposes: readonly Purpose[]): number {
  const records = actions.filter((_a, i) => purposes[i] === 'record');
  return minimumCost(records, records.length > 1);
}
let current: Tally | undefined;
/** When set, every modelled write action of the current call is described here (`--explain`). */
let explained: string[] | undefined;
let modelWrites = false;
let images: DynamoDBClient;

type Capacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };
interface WriteAction { table: string; key: Item; kind: 'put' | 'update' | 'delete' | 'check'; item?: Item }

function writeActions(command: string, input: any): { actions: WriteAction[]; transaction: boolean } {
  const keyOf = (item: Item): Item => ({ pk: item.pk!, sk: item.sk! });
  if (command === 'TransactWriteItems') {
    return {
      transaction: true,
      actions: (input.TransactItems as any[]).map((t) => {
        if (t.Put) return { table: t.Put.TableName, key: keyOf(t.Put.Item), kind: 'put' as const, item: t.Put.Item };
        if (t.Update) return { table: t.Update.TableName, key: t.Update.Key, kind: 'update' as const };
        if (t.Delete) return { table: t.Delete.TableName, key: t.Delete.Key, kind: 'delete' as const };
        return { table: t.ConditionCheck.TableName, key: t.ConditionCheck.Key, kind: 'check' as const };
      }),
    };
  }
  if (command === 'PutItem') return { transaction: false, actions: [{ table: input.TableName, key: keyOf(input.Item), kind: 'put', item: input.Item }] };
  if (command === 'UpdateItem') return { transaction: false, actions: [{ table: input.TableName, key: input.Key, kind: 'update' }] };
  if (command === 'DeleteItem') return { transaction: false, actions: [{ table: input.TableName, key: input.Key, kind: 'delete' }] };
  return { transaction: false, actions: [] };
}

/** The four largest attributes of an item, `name bytes` (what to shrink when it crosses a KB). */
function largest(item: Item | undefined): string {
  return Object.entries(item ?? {}).map(([name, v]) => [name, Buffer.byteLength(name) + itemSize({ [name]: v }) - Buffer.byteLength(name)] as const)
    .sort((a, b) => b[1] - a[1]).slice(0, 4).map(([name, n]) => `${name} ${n}`).join(', ');
}

/** `CUS#… / #PROFILE` — the key's kind, not its ids. */
const describeKey = (key: Item) => `${(key.pk?.S ?? '').split('#')[0]}#… / ${(key.sk?.S ?? '')
  .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<user>').replace(/[0-9A-Z]{20,}.*$/, '…').replace(/^(AUD#).*/, '$1…')}`;

async function image(action: WriteAction): Promise<Item | undefined> {
  const out = await images.send(new GetItemCommand({ TableName: action.table, Key: action.key, ConsistentRead: true }));
  return out.Item;
}

function sumCapacity(consumed: Capacity | Capacity[] | undefined, isWrite: boolean): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    read += c.ReadCapacityUnits ?? (isWrite ? 0 : (c.CapacityUnits ?? 0));
    write += c.WriteCapacityUnits ?? (isWrite ? (c.CapacityUnits ?? 0) : 0);
  }
  return { read, write };
}

function modelledRead(command: string, input: any, output: any, local: number): number {
  if (command === 'GetItem') return output.Item ? readUnits(itemSize(marshall(output.Item, { removeUndefinedValues: true })), !!input.ConsistentRead) : readUnits(0, !!input.ConsistentRead);
  if (command === 'BatchGetItem') {
    let units = 0;
    for (const [table, request] of Object.entries<any>(input.RequestItems)) {
      const found: any[] = output.Responses?.[table] ?? [];
      for (const item of found) units += readUnits(itemSize(marshall(item, { removeUndefinedValues: true })), !!request.ConsistentRead);
      units += Math.max(0, request.Keys.length - found.length) * readUnits(0, !!request.ConsistentRead);
    }
    return units;
  }
  // Query/Scan: DynamoDB Local follows the documented model (items read before any filter), except
  // that it reports an empty result as 0 where the service bills the minimum unit.
  if (command === 'Query' || command === 'Scan') return Math.max(local, input.ConsistentRead ? 1 : 0.5);
  return local;
}

function installCounter(): void {
  ddb().middlewareStack.add(
    (next, context) => async (args) => {
      const tally = current;
      const command = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      const input = args.input as any;
      const isWrite = /Put|Update|Delete|TransactWrite|BatchWrite/.test(command);
      const planned = tally && isWrite ? writeActions(command, input) : undefined;
      const before = planned && modelWrites ? await Promise.all(planned.actions.map(image)) : undefined;
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        // A cancelled transaction or failed condition: counted as a request; its capacity is what
        // the engine reports (the service returns none for a cancelled transaction).
        if (tally) {
          tally.requests += 1;
          tally.commands.set(`${command} (failed)`, (tally.commands.get(`${command} (failed)`) ?? 0) + 1);
          // A single-item write whose condition fails is still billed, on the existing item's size.
          if (before && planned && !planned.transaction && (error as Error).name === 'ConditionalCheckFailedException') {
            const units = writeUnits(itemSize(before[0]));
            tally.tableArm += units;
            tally.modelWrite += units;
            tally.modelWriteKeysOnly += units;
          }
        }
        throw error;
      }
      const output = result.output as any;
      if (!tally) return result;
      tally.requests += 1;
      tally.commands.set(command, (tally.commands.get(command) ?? 0) + 1);
      const local = sumCapacity(output.ConsumedCapacity, isWrite);
      tally.localRead += local.read;
      tally.localWrite += local.write;
      if (!isWrite) tally.modelRead += modelledRead(command, input, output, local.read);
      if (planned) {
        for (const a of planned.actions) if (a.kind === 'put' && a.item?.kind?.S === 'audit') tally.events += 1;
        if (before) {
          const after = await Promise.all(planned.actions.map((a) => (a.kind === 'check' ? Promise.resolve(undefined) : image(a))));
          const actions: ModelledAction[] = planned.actions.map((a, i) => ({ kind: a.kind, before: before[i], after: after[i] }));
          const cost = requestCost(actions, planned.transaction, INDEXES);
          actions.forEach((a, i) => {
            const one = actionCost(a, planned.transaction, INDEXES);
            const bytes = Math.max(itemSize(a.before), itemSize(a.kind === 'check' ? undefined : a.after));
            explained?.push(`${command} ${a.kind === 'check' ? 'ConditionCheck' : a.kind} ${describeKey(planned.actions[i]!.key)}: ${bytes} B → table ${one.table}, `
              + `indexes ${one.total - one.table} (${Object.keys(one.indexes).join('+') || 'none'}), KEYS_ONLY ${actionCost(a, planned.transaction, KEYS_ONLY_INDEXES).total - one.table}`
              + (bytes > 900 ? `; largest: ${largest(a.kind === 'check' || a.kind === 'delete' ? a.before : a.after)}` : ''));
          });
          tally.tableArm += cost.table;
          tally.indexArm += cost.total - cost.table;
          tally.modelWrite += cost.total;
          tally.modelWriteKeysOnly += requestCost(actions, planned.transaction, KEYS_ONLY_INDEXES).total;
          tally.minimum += minimumCost(actions, planned.transaction, INDEXES);
          const purposes = actions.map((a, i) => purposeOf(a.kind, planned.actions[i]!.key, a.kind === 'delete' || a.kind === 'check' ? a.before : a.after));
          tally.recordMinimum += recordMinimum(actions, purposes);
          actions.forEach((a, i) => tally.byPurpose.set(purposes[i]!, (tally.byPurpose.get(purposes[i]!) ?? 0) + actionCost(a, planned.transaction, INDEXES).total));
        } else {
          tally.modelWrite += local.write;
          tally.modelWriteKeysOnly += local.write;
        }
      }
      return result;
    },
    { step: 'build', name: 'capacityBench' },
  );
}

// ---------------------------------------------------------------------------------------------
// Log bytes: the handlers log JSON lines to stdout (Powertools Logger). Count them, keep them off
// the terminal, and print this script's own output through the original writer.

const print = process.stdout.write.bind(process.stdout);
let logBytes = 0;
let logLines = 0;
process.stdout.write = ((chunk: string | Uint8Array, ...rest: any[]) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    logBytes += Buffer.byteLength(line) + 1;
    logLines += 1;
  }
  const done = rest.find((r) => typeof r === 'function');
  if (done) done();
  return true;
}) as typeof process.stdout.write;
const out = (line = '') => print(`${line}\n`);

// ---------------------------------------------------------------------------------------------

interface Row {
  group: string;
  label: string;
  samples: number;
  requests: number;
  commands: string;
  localRead: number;
  modelRead: number;
  localWrite: number;
  modelWrite: number;
  tableArm: number;
  indexArm: number;
  modelWriteKeysOnly: number;
  events: number;
  minimum: number;
  recordMinimum: number;
  byPurpose: Partial<Record<Purpose, number>>;
  header: number;
  logBytes: number;
  logLines: number;
  ms: number;
  note?: string;
}

const rows: Row[] = [];
const emptyRow = (group: string, label: string): Row => ({
  group, label, samples: 0, requests: 0, commands: '', localRead: 0, modelRead: 0, localWrite: 0, modelWrite: 0,
  tableArm: 0, indexArm: 0, modelWriteKeysOnly: 0, events: 0, minimum: 0, recordMinimum: 0, byPurpose: {}, header: 0, logBytes: 0, logLines: 0, ms: 0,
});

const explanations: { label: string; lines: string[] }[] = [];

async function measure(group: string, label: string, samples: number, fn: (i: number) => Promise<unknown>, note?: string, explain = false): Promise<void> {
  const total = newTally();
  let bytes = 0;
  let lines = 0;
  let ms = 0;
  for (let i = 0; i < samples; i++) {
    const tally = newTally();
    const [b0, l0, t0] = [logBytes, logLines, performance.now()];
    current = tally;
    if (explain && i === 0) explained = [];
    try {
      await fn(i);
      if (explained) explanations.push({ label, lines: explained });
    } catch (error) {
      // Other work in progress must not sink the whole run: the row says what failed.
      rows.push({ ...emptyRow(group, label), note: `FAILED: ${(error as Error).message.slice(0, 160)}` });
      return;
    } finally {
      current = undefined;
      explained = undefined;
    }
    ms += performance.now() - t0;
    bytes += logBytes - b0;
    lines += logLines - l0;
    total.requests += tally.requests;
    for (const [c, n] of tally.commands) total.commands.set(c, (total.commands.get(c) ?? 0) + n);
    for (const k of ['localRead', 'localWrite', 'modelRead', 'modelWrite', 'modelWriteKeysOnly', 'tableArm', 'indexArm', 'events', 'minimum', 'recordMinimum', 'header'] as const) total[k] += tally[k];
    for (const [purpose, units] of tally.byPurpose) total.byPurpose.set(purpose, (total.byPurpose.get(purpose) ?? 0) + units);
  }
  const per = (n: number) => n / samples;
  rows.push({
    group, label, samples, note,
    requests: per(total.requests),
    commands: [...total.commands].map(([c, n]) => `${fmt(per(n))} ${c}`).join(', '),
    localRead: per(total.localRead), modelRead: per(total.modelRead),
    localWrite: per(total.localWrite), modelWrite: per(total.modelWrite),
    tableArm: per(total.tableArm), indexArm: per(total.indexArm), modelWriteKeysOnly: per(total.modelWriteKeysOnly),
    events: per(total.events), minimum: per(total.minimum), recordMinimum: per(total.recordMinimum), header: per(total.header),
    byPurpose: Object.fromEntries([...total.byPurpose].map(([purpose, units]) => [purpose, per(units)])), logBytes: per(bytes), logLines: per(lines), ms: per(ms),
  });
}

/** A typical call note (~300 characters): what a rep types after a call. */
const CALL_NOTE = 'Spoke with the facilities manager about replacing the two boilers before winter. They want a quote '
  + 'with installation and a maintenance contract, budget approval expected next month. Send the brochure and '
  + 'propose a site visit in the second week; their CFO joins the next call.';

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(n < 10 ? 2 : 1));

function expectStatus(res: { status: number; text: string }, ...ok: number[]): any {
  if (!ok.includes(res.status)) throw new Error(`unexpected ${res.status}: ${res.text.slice(0, 300)}`);
  return (res as any).body;
}

async function main(): Promise<void> {
  const started = Date.now();
  process.env.DB_METRICS_HEADERS = 'true';
  // The deployed default (lib/config.ts logLevel); the test stack passes LOG_LEVEL through.
  process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'INFO';
  const { startTestStack } = await import('../test/support/stack');
  const { startDynamoDbLocal } = await import('../local/engines/dynamodb');
  const { freePort } = await import('../local/ports');
  const engine = await startDynamoDbLocal({ port: await freePort(), startTimeoutMs: 180_000 });
  (globalThis as { __benchDynamoDbEndpoint?: string }).__benchDynamoDbEndpoint = engine.endpoint;
  const { seed } = await import('../local/seed');
  const { SALES_REPS } = await import('../local/demo-users');
  const crm = await startTestStack({ ses: true });
  try {
    images = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    installCounter();
    // The x-db-write-units header of every measured call, next to the bench's own model.
    const send = crm.request.bind(crm);
    crm.request = async (...args: Parameters<typeof send>) => {
      const res = await send(...args);
      if (current) current.header += Number(res.headers.get('x-db-write-units') ?? 0);
      return res;
    };

    // Fixture: the demo data through the API (customers with contacts, products, deals, quotes,
    // orders, activities, tasks, quotas), concurrently and unmodelled — only its totals count.
    out(`Seeding ${CUSTOMERS} customers with the demo sales data through the API …`);
    const fixture = newTally();
    current = fixture;
    const seeded = await seed({
      baseUrl: crm.baseUrl, adminToken: await crm.token('admin'), tokenFor: (u) => crm.token(u.role, u.id),
      ddb: crm.ddb, tableName: crm.tableName, count: CUSTOMERS, concurrency: 4, anchor: new Date(),
    });
    current = undefined;
    out(`Fixture in ${((Date.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify({ customers: seeded.customers, contacts: seeded.contacts, ...seeded.sales })}; `
      + `${fixture.requests} DynamoDB requests, ${fmt(fixture.localWrite)} WCU and ${fmt(fixture.localRead)} RCU as DynamoDB Local reports them\n`);
    modelWrites = true;

    const rep = SALES_REPS[0]!;
    const asRep = { role: 'sales' as const, userId: rep.id };
    const manager = { role: 'manager' as const };
    const admin = { role: 'admin' as const };
    const today = new Date().toISOString().slice(0, 10);
    const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
    const period = `${today.slice(0, 4)}-Q${Math.floor(new Date().getUTCMonth() / 3) + 1}`;
    let n = 0;
    const uniq = () => `${Date.now().toString(36)}${(n++).toString(36)}`;
    const typical = () => ({
      type: 'company', name: `Capacity ${uniq()} GmbH`, tier: 'B', lifecycleStage: 'prospect', industry: 'Manufacturing', source: 'web',
      tags: ['bench', 'vip', 'heating'], email: `info-${uniq()}@capacity.example`, phone: `+49 30 ${String(1_000_000 + n * 7919).slice(0, 7)}`,
      address: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' }, website: 'https://capacity.example', ownerId: rep.id,
    });

    // Customers -------------------------------------------------------------------------------
    const mine: string[] = [];
    const mine5: string[] = [];
    await measure('Customers', 'Create a customer, minimal (name, type)', SAMPLES, async () => {
      mine.push(expectStatus(await crm.request('POST', '/v1/customers', { ...asRep, body: { type: 'company', name: `Minimal ${uniq()}` } }), 201).id);
    });
    await measure('Customers', 'Create a customer, typical (3 tags, email, phone, address)', SAMPLES, async () => {
      mine.push(expectStatus(await crm.request('POST', '/v1/customers', { ...asRep, body: typical() }), 201).id);
    }, undefined, true);
    await measure('Customers', 'Create a customer with 5 tags (email, phone, address)', SAMPLES, async () => {
      mine5.push(expectStatus(await crm.request('POST', '/v1/customers', { ...asRep, body: { ...typical(), tags: ['bench', 'vip', 'heating', 'north', 'key-account'] } }), 201).id);
    }, undefined, true);
    await measure('Customers', '… the same with an Idempotency-Key', SAMPLES, async () => {
      expectStatus(await crm.request('POST', '/v1/customers', { ...asRep, body: typical(), headers: { 'idempotency-key': uniq() } }), 201);
    });
    const cus = mine[SAMPLES]!;
    await measure('Customers', 'Read a customer (GET /v1/customers/{id})', SAMPLES, async () => expectStatus(await crm.request('GET', `/v1/customers/${cus}`, asRep), 200));
    await measure('Customers', 'List customers, page of 25, sales rep (own: gsi2)', SAMPLES, async () => expectStatus(await crm.request('GET', '/v1/customers?limit=25', asRep), 200));
    await measure('Customers', 'List customers, page of 25, manager (gsi1)', SAMPLES, async () => expectStatus(await crm.request('GET', '/v1/customers?limit=25', manager), 200));
    await measure('Customers', 'List customers by tag, page of 25', SAMPLES, async () => expectStatus(await crm.request('GET', '/v1/customers?tag=vip&limit=25', manager), 200));
    await measure('Customers', 'Search customers by name prefix (?q=, 2 letters)', SAMPLES, async () => expectStatus(await crm.request('GET', '/v1/customers?q=ca&limit=25', manager), 200));
    await measure('Customers', 'Change a customer, one field (PATCH, tags untouched)', SAMPLES, async (i) => {
      expectStatus(await crm.request('PATCH', `/v1/customers/${mine[SAMPLES + i]}`, { ...asRep, body: { industry: `Energy ${i}` } }), 200);
    }, undefined, true);
    await measure('Customers', 'Change a customer\'s tags (one replaced)', SAMPLES, async (i) => {
      expectStatus(await crm.request('PATCH', `/v1/customers/${mine[SAMPLES + i]}`, { ...asRep, body: { tags: ['bench', 'vip', `new-${i}`] } }), 200);
    });
    await measure('Customers', 'Change a customer\'s tier (moves gsi3 key + timeline event)', SAMPLES, async (i) => {
      expectStatus(await crm.request('PATCH', `/v1/customers/${mine[SAMPLES + i]}`, { ...asRep, body: { tier: 'A' } }), 200);
    });
    const contacts: string[] = [];
    await measure('Customers', 'Add a contact (POST /v1/customers/{id}/contacts)', SAMPLES, async (i) => {
      contacts.push(expectStatus(await crm.request('POST', `/v1/customers/${mine[SAMPLES + i]}/contacts`, { ...asRep, body: { firstName: 'Lena', lastName: `Vogt ${i}`, email: `lena-${uniq()}@capacity.example`, phone: `+49 171 ${2_000_000 + i}` } }), 201).id);
    }, undefined, true);
    for (const id of mine5) expectStatus(await crm.request('POST', `/v1/customers/${id}/contacts`, { ...asRep, body: { firstName: 'Jan', lastName: 'Roth' } }), 201);
    await measure('Customers', 'Add a second contact to a customer with 5 tags', SAMPLES, async (i) => {
      expectStatus(await crm.request('POST', `/v1/customers/${mine5[i]}/contacts`, { ...asRep, body: { firstName: 'Mara', lastName: `Roth ${i}`, email: `mara-${uniq()}@capacity.example` } }), 201);
    }, undefined, true);
    await measure('Customers', 'A customer\'s contacts', SAMPLES, async () => expectStatus(await crm.request('GET', `/v1/customers/${cus}/contacts`, asRep), 200));

    // Activities --------------------------------------------------------------------------------
    await measure('Activities', 'Record an activity (call with contact)', SAMPLES, async (i) => {
      expectStatus(await crm.request('POST', '/v1/activities', { ...asRep, body: { customerId: mine[SAMPLES + i], links: { contactId: contacts[i] }, type: 'call', direction: 'outbound', subject: 'Follow-up on the offer', content: CALL_NOTE, outcome: 'interested', durationSeconds: 420 } }), 201);
    }, undefined, true);
    await measure('Activities', 'Customer timeline, first page', SAMPLES, async (i) => expectStatus(await crm.request('GET', `/v1/customers/${mine[SAMPLES + i]}/timeline`, asRep), 200));

    // Tasks and notifications --------------------------------------------------------------------
    const tasks: string[] = [];
    await measure('Tasks', 'Create a task with a customer and one reminder', SAMPLES, async (i) => {
      tasks.push(expectStatus(await crm.request('POST', '/v1/tasks', { ...asRep, body: { title: `Call back ${i}`, dueAt: new Date(Date.now() + 86_400_000).toISOString(), customerId: mine[SAMPLES + i], reminders: [{ beforeDue: 'PT15M' }] } }), 201).id);
    }, undefined, true);
    await measure('Tasks', 'Complete a task (PATCH status done)', SAMPLES, async (i) => expectStatus(await crm.request('PATCH', `/v1/tasks/${tasks[i]}`, { ...asRep, body: { status: 'done' } }), 200));
    await measure('Tasks', 'My open tasks (GET /v1/tasks)', SAMPLES, async () => expectStatus(await crm.request('GET', '/v1/tasks', asRep), 200));
    await measure('Tasks', 'Unread notifications (the client\'s badge poll)', SAMPLES, async () => expectStatus(await crm.request('GET', '/v1/notifications?unread=true', asRep), 200));
    await measure('System', 'Who am I (GET /v1/me)', SAMPLES, async () => expectStatus(await crm.request('GET', '/v1/me', asRep), 200));

    // Leads ---------------------------------------------------------------------------------------
    const leads: string[] = [];
    await measure('Leads', 'Capture a lead (email + phone: guards, customer-guard checks)', SAMPLES, async (i) => {
      leads.push(expectStatus(await crm.request('POST', '/v1/leads', { ...asRep, body: { firstName: 'Jonas', lastName: `Berg ${uniq()}`, companyName: `Berg ${i} KG`, email: `jonas-${uniq()}@lead.example`, phone: `+49 89 ${3_000_000 + i}`, source: 'web', ownerId: rep.id } }), 201).id);
    }, undefined, true);
    await measure('Leads', 'Qualify a lead (PATCH status)', SAMPLES, async (i) => expectStatus(await crm.request('PATCH', `/v1/leads/${leads[i]}`, { ...asRep, body: { status: 'qualified' } }), 200));
    const converted: { customerId: string; dealId: string }[] = [];
    await measure('Leads', 'Convert a lead into customer + contact + deal', SAMPLES, async (i) => {
      converted.push(expectStatus(await crm.request('POST', `/v1/leads/${leads[i]}/convert`, { ...asRep, body: { createDeal: { name: `Retrofit ${i}`, amount: { amount: 1_200_000, currency: 'EUR' }, expectedCloseDate: inDays(30) } } }), 200, 201));
    }, undefined, true);

    // Deals and quotes ------------------------------------------------------------------------------
    const deals: string[] = [];
    await measure('Sales', 'Create a deal', SAMPLES, async (i) => {
      deals.push(expectStatus(await crm.request('POST', '/v1/deals', { ...asRep, body: { name: `Deal ${i}`, customerId: mine[SAMPLES + i], ownerId: rep.id, amount: { amount: 500_000, currency: 'EUR' }, expectedCloseDate: inDays(20) } }), 201).id);
    }, undefined, true);
    const pipeline = expectStatus(await crm.request('GET', '/v1/pipelines', asRep), 200).items[0];
    await measure('Sales', 'Move a deal to the next stage', SAMPLES, async (i) => expectStatus(await crm.request('POST', `/v1/deals/${deals[i]}/stage`, { ...asRep, body: { stageId: pipeline.stages[2].id } }), 200), undefined, true);
    await measure('Sales', 'Pipeline board, one stage (page)', SAMPLES, async () => expectStatus(await crm.request('GET', `/v1/pipelines/${pipeline.id}/deals?stage=${pipeline.stages[2].id}`, manager), 200));
    const product = expectStatus(await crm.request('POST', '/v1/products', { ...admin, body: { sku: `CAP-${uniq()}`.toUpperCase(), name: 'Boiler X200', prices: [{ amount: 980_000, currency: 'EUR' }], taxRateBp: 1900 } }), 201).id;
    const quotes: string[] = [];
    await measure('Sales', 'Create a quote (one product line, one free line)', SAMPLES, async (i) => {
      quotes.push(expectStatus(await crm.request('POST', `/v1/deals/${deals[i]}/quotes`, { ...asRep, body: { validUntil: inDays(30), lines: [{ productId: product, quantity: 1, discountBp: 500 }, { description: 'Installation', unitPrice: 150_000, quantity: 8, taxRateBp: 1900 }] } }), 201).id);
    }, undefined, true);
    await measure('Sales', 'Send a quote', SAMPLES, async (i) => expectStatus(await crm.request('POST', `/v1/quotes/${quotes[i]}/send`, { ...asRep, body: {} }), 200), undefined, true);
    await measure('Sales', 'Accept a quote (order, lifetime value)', SAMPLES, async (i) => expectStatus(await crm.request('POST', `/v1/quotes/${quotes[i]}/accept`, { ...asRep, body: {} }), 200, 201), undefined, true);
    await measure('Sales', 'Win a deal', SAMPLES, async (i) => expectStatus(await crm.request('POST', `/v1/deals/${deals[i]}/won`, { ...asRep, body: { reason: 'Best offer' } }), 200), undefined, true);
    await measure('Sales', 'Forecast, quarter, all owners (manager)', SAMPLES, async () => expectStatus(await crm.request('GET', `/v1/forecast?period=${period}`, manager), 200));
    await measure('Sales', 'Sales report, quarter (manager)', SAMPLES, async () => expectStatus(await crm.request('GET', `/v1/reports/sales?period=${period}`, manager), 200));

    // Jobs ------------------------------------------------------------------------------------------
    const job = (name: string, at: Date) => crm.runJob(name, at);
    await measure('Jobs', 'heartbeat (every 5 min)', SAMPLES, (i) => job('heartbeat', new Date(Date.now() + 300_000 * (1 + i))));
    // Everything created above is due tomorrow or later: a run "now" finds nothing.
    await measure('Jobs', 'reminders, nothing due (every minute)', SAMPLES, () => job('reminders', new Date()));
    // DUE reminders falling due within the next minutes, then one run after they are all due.
    const soon = Date.now() + 120_000;
    for (let i = 0; i < DUE; i++) {
      expectStatus(await crm.request('POST', '/v1/tasks', { ...asRep, body: { title: `Reminder bench ${i}`, dueAt: new Date(soon + 3_600_000).toISOString(), reminders: [{ at: new Date(soon).toISOString() }] } }), 201);
    }
    const mailsBefore = (await crm.sentEmails()).length;
    await measure('Jobs', `reminders, ${DUE} due (one run)`, 1, () => job('reminders', new Date(soon + 60_000)), `${DUE} due`);
    const mails = (await crm.sentEmails()).length - mailsBefore;
    if (!rows[rows.length - 1]!.note?.startsWith('FAILED')) rows[rows.length - 1]!.note = `${DUE} due, ${mails} emails`;

    // The reminders just delivered are unread notifications of the rep: the badge poll now finds
    // some, and marking one read drops it from the unread index.
    await measure('Tasks', `Unread notifications, ${DUE} unread (first page)`, SAMPLES, async () => expectStatus(await crm.request('GET', '/v1/notifications?unread=true', asRep), 200));
    const unread: { id: string }[] = expectStatus(await crm.request('GET', '/v1/notifications?unread=true', asRep), 200).items;
    await measure('Tasks', 'Mark a notification read', Math.min(SAMPLES, unread.length), async (i) => expectStatus(await crm.request('POST', `/v1/notifications/${unread[i]!.id}/read`, { ...asRep, body: {} }), 200));

    // Proactive jobs: empty runs first, then runs with due work (service rules + dormancy rules).
    await measure('Jobs', 'service-anniversaries, nothing due (daily)', 1, () => job('service-anniversaries', new Date()));
    await measure('Jobs', 'warranty-ending, nothing due (daily)', 1, () => job('warranty-ending', new Date()));
    // The feed is re-read 5 minutes before the checkpoint; start 10 minutes ahead so the next
    // day's run sees only what changed since (nothing), as in steady operation.
    const firstDormancyRun = new Date(Date.now() + 600_000);
    await measure('Jobs', `dormant-customers, first run: change feed of every customer, no rules`, 1, () => job('dormant-customers', firstDormancyRun));
    await measure('Jobs', 'dormant-customers, next day: nothing changed, no rules', 1, () => job('dormant-customers', new Date(firstDormancyRun.getTime() + 86_400_000)));
    const rules = expectStatus(await crm.request('GET', '/v1/settings/service-rules', admin), 200);
    expectStatus(await crm.request('PUT', '/v1/settings/service-rules', {
      ...admin, headers: { 'if-match': `"${rules.version}"` },
      body: { categories: [{ category: 'heating', intervalMonths: 12 }], leadDays: 0, assignTo: 'owner', warrantyReminderDays: 30, dormancyDays: { A: 30, B: 60 } },
    }), 200);
    const yearAgo = new Date(Date.now() - 365 * 86_400_000);
    const anniversary = (d: Date) => d.toISOString().slice(0, 10);
    for (let i = 0; i < SAMPLES; i++) {
      expectStatus(await crm.request('POST', `/v1/customers/${mine[SAMPLES + i]}/assets`, { ...asRep, body: { productName: 'Boiler X200', category: 'heating', purchaseDate: anniversary(yearAgo), warrantyEndsOn: inDays(40) } }), 201);
    }
    // Assets bought a year ago "today" are due on the run 1 day after the anniversary they carry.
    await measure('Jobs', `service-anniversaries, ${SAMPLES} assets due`, 1, () => job('service-anniversaries', new Date(Date.now() + 86_400_000)), `${SAMPLES} due`);
    await measure('Jobs', `warranty-ending, ${SAMPLES} warranties within 30 days`, 1, () => job('warranty-ending', new Date(Date.now() + 15 * 86_400_000)), `${SAMPLES} due`);
    const dormantRun = new Date(Date.now() + 70 * 86_400_000);
    await measure('Jobs', 'dormant-customers, 70 days later: every A/B customer due', 1, () => job('dormant-customers', dormantRun));
    await measure('Jobs', 'dormant-customers, the day after (follow-ups open: nothing new)', 1, () => job('dormant-customers', new Date(dormantRun.getTime() + 86_400_000)));

    // Output ----------------------------------------------------------------------------------------
    out(`\nMeasured with ${CUSTOMERS} seeded customers, ${SAMPLES} samples per operation (jobs: one run), LOG_LEVEL=${process.env.LOG_LEVEL}.`);
    out('Units per call. "local" = what DynamoDB Local reports (x-db-* headers); "billed" = the service\'s rules applied to the items before/after (see the header of bench/capacity.ts).');
    out('WCU billed = table arms (×2 in transactions) + index arms (not doubled); "KEYS_ONLY" = the same with key-only indexes.\n');
    out('| area | operation | requests | commands | RCU local | RCU billed | WCU local | WCU billed | of which index | WCU if KEYS_ONLY | events | log bytes (lines) |');
    out('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      out(`| ${r.group} | ${r.label}${r.note ? ` (${r.note})` : ''} | ${fmt(r.requests)} | ${r.commands} | ${fmt(r.localRead)} | ${fmt(r.modelRead)} | ${fmt(r.localWrite)} | ${fmt(r.modelWrite)} | ${fmt(r.indexArm)} | ${fmt(r.modelWriteKeysOnly)} | ${fmt(r.events)} | ${Math.round(r.logBytes)} (${fmt(r.logLines)}) |`);
    }

    out('\nWrite cost per operation against its minimum (capacity.ts: 1 WCU per started KB per item written, ×2 only when a transaction');
    out('changes several items together, + 1 per GSI whose keys the item carries; condition checks 0). "header" = x-db-write-units.\n');
    out('| area | operation | WCU modelled | x-db-write-units | DynamoDB Local | minimum | modelled ÷ minimum |');
    out('|---|---|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      if (r.modelWrite <= 0 || r.group === 'Jobs') continue;
      out(`| ${r.group} | ${r.label} | ${fmt(r.modelWrite)} | ${fmt(r.header)} | ${fmt(r.localWrite)} | ${fmt(r.minimum)} | ${r.minimum > 0 ? `${(r.modelWrite / r.minimum).toFixed(2)}×` : '–'} |`);
    }

    out('\nThe same against the records alone (`recordMinimum`: the records the operation exists to write, ×2 only when several change');
    out('together, + 1 per GSI they are listed in) and where the modelled units go, by what the items are for (`purposeOf`).\n');
    out(`| area | operation | WCU modelled | records minimum | modelled ÷ records minimum | ${PURPOSES.join(' | ')} |`);
    out(`|---|---|---:|---:|---:|${PURPOSES.map(() => '---:').join('|')}|`);
    for (const r of rows) {
      if (r.modelWrite <= 0 || r.group === 'Jobs') continue;
      out(`| ${r.group} | ${r.label} | ${fmt(r.modelWrite)} | ${fmt(r.recordMinimum)} | ${r.recordMinimum > 0 ? `${(r.modelWrite / r.recordMinimum).toFixed(2)}×` : '–'} | ${PURPOSES.map((p) => fmt(r.byPurpose[p] ?? 0)).join(' | ')} |`);
    }

    out('\nWhere the billed write units go (first sample; table arm ×2 in a transaction, each index entry once):');
    for (const e of explanations) {
      out(`\n${e.label}:`);
      for (const line of e.lines) out(`  - ${line}`);
    }

    const storage = await storageByKind(crm.tableName);
    out('\nStorage by kind of item (bytes as DynamoDB sizes them, + 100 bytes overhead per item and per index entry):\n');
    out('| kind (pk prefix / sk) | items | avg item bytes | index entries per item | avg bytes incl. index copies |');
    out('|---|---|---|---|---|');
    for (const s of storage) out(`| ${s.kind} | ${s.items} | ${Math.round(s.itemBytes)} | ${fmt(s.indexEntries)} | ${Math.round(s.totalBytes)} |`);
    const sum = storage.reduce((a, s) => ({ items: a.items + s.items, bytes: a.bytes + s.items * s.totalBytes, table: a.table + s.items * (s.itemBytes + 100) }), { items: 0, bytes: 0, table: 0 });
    out(`\nTotal: ${sum.items} items, ${(sum.table / 1e6).toFixed(2)} MB in the table, ${(sum.bytes / 1e6).toFixed(2)} MB with index copies.`);
    out(`Run time ${((Date.now() - started) / 1000).toFixed(0)} s.`);
    if (JSON_OUT) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(JSON_OUT, JSON.stringify({ customers: CUSTOMERS, samples: SAMPLES, rows, storage }, null, 2));
    }
  } finally {
    await crm.stop();
    images?.destroy();
    await engine.stop();
  }
}

interface StorageRow { kind: string; items: number; itemBytes: number; indexEntries: number; totalBytes: number }

/** Scans the bench table once (not counted) and sizes every item and its index copies. */
async function storageByKind(tableName: string): Promise<StorageRow[]> {
  const kinds = new Map<string, { items: number; bytes: number; entries: number; total: number }>();
  let start: Item | undefined;
  do {
    const page = await images.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const pk = item.pk?.S ?? '';
      const sk = item.sk?.S ?? '';
      const skKind = /^(AUD#|TAG#|#HIST#|#REM#|RR#)/.exec(sk)?.[1] ?? (sk.startsWith('#') || /^[A-Z]+$/.test(sk) ? sk : '<id>');
      const kind = `${pk.split('#')[0]} / ${skKind}`;
      const size = itemSize(item);
      const entries = INDEXES.filter((i) => inIndex(item, i)).length;
      const k = kinds.get(kind) ?? { items: 0, bytes: 0, entries: 0, total: 0 };
      k.items += 1;
      k.bytes += size + 100;
      k.entries += entries;
      k.total += (size + 100) * (1 + entries);
      kinds.set(kind, k);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return [...kinds].map(([kind, k]) => ({ kind, items: k.items, itemBytes: k.bytes / k.items - 100, indexEntries: k.entries / k.items, totalBytes: k.total / k.items }))
    .sort((a, b) => b.items * b.totalBytes - a.items * a.totalBytes);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
