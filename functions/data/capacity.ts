/**
 * The write-cost model: what DynamoDB bills, in write capacity units (WCU), for the items a request
 * writes. DynamoDB Local reports single-item writes exactly as the service bills them, but not
 * transactions (2 × the sum of the *distinct* per-item costs, condition checks as 0), so the
 * capacity figures of local runs and benchmarks use this model for transactions instead.
 *
 * Rules (developer guide "Item sizes and formats", "Capacity management for transactions",
 * "Provisioned throughput considerations for global secondary indexes"; transaction and
 * condition-check figures as pinned against the live service by paritysuite/dynamodb-conformance
 * #27/#67):
 *   - an item's size is the UTF-8 length of its attribute names plus its values' sizes;
 *   - a table write costs ceil(max(size before, size after) / 1 KB), at least 1 (a delete of a
 *     missing item included); inside TransactWriteItems every item costs twice that (prepare + commit);
 *   - a ConditionCheck costs 2 × ceil(checked item / 1 KB), billed as a write;
 *   - each GSI, NOT doubled in a transaction: 1 write of the projected entry when the item enters or
 *     leaves the index, 2 (delete + put) when its index key changes, 1 when the key stays and a
 *     projected attribute changes (ALL: any attribute; KEYS_ONLY: none; INCLUDE: the listed ones);
 *     an index entry's size is the table keys + index keys + projected attributes;
 *   - a cancelled transaction reports (and is modelled as) nothing.
 *
 * The indexes and projections come from createTableInput (table.ts), the definition local tables
 * are created from, so the model cannot drift from the table it prices.
 */
import { BatchGetItemCommand, DynamoDBClient, type AttributeValue, type KeysAndAttributes } from '@aws-sdk/client-dynamodb';
import { clientOptions } from '../aws/client-options';
import { createTableInput, TABLE_SPEC } from './table';

/** A marshalled item (DynamoDB's wire form). */
export type WireItem = Record<string, AttributeValue>;

export const KB = 1024;

/** Bytes of one attribute value by DynamoDB's item-size rules. */
export function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return Buffer.byteLength(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return v.B.byteLength;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return v.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (v.NS) return v.NS.reduce((n, s) => n + numberSize(s), 0);
  if (v.BS) return v.BS.reduce((n, b) => n + b.byteLength, 0);
  // Lists and maps: 3 bytes of overhead plus 1 byte per element (map keys count like names).
  if (v.L) return 3 + v.L.reduce((n, e) => n + 1 + valueSize(e), 0);
  if (v.M) return 3 + Object.entries(v.M).reduce((n, [k, e]) => n + 1 + Buffer.byteLength(k) + valueSize(e), 0);
  return 0;
}

/** A number takes about one byte per two significant digits, plus one. */
function numberSize(n: string): number {
  const digits = n.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

/** Bytes of a whole item (names + values); 0 for no item. */
export function itemSize(item: WireItem | undefined): number {
  if (!item) return 0;
  let n = 0;
  for (const [name, v] of Object.entries(item)) n += Buffer.byteLength(name) + valueSize(v);
  return n;
}

/** Write units of one write of `bytes`: 1 per started KB, at least 1. */
export const writeUnits = (bytes: number): number => Math.max(1, Math.ceil(bytes / KB));

export type Projection = 'ALL' | 'KEYS_ONLY' | 'INCLUDE';

export interface IndexModel {
  name: string;
  partitionKey: string;
  sortKey: string;
  projection: Projection;
  /** INCLUDE only: the non-key attributes copied into the index. */
  nonKeyAttributes: readonly string[];
}

let indexes: IndexModel[] | undefined;

/** The table's GSIs as local tables are created (table.ts createTableInput); derived once. */
export function tableIndexes(): IndexModel[] {
  return (indexes ??= createTableInput('model').GlobalSecondaryIndexes.map((gsi) => {
    const projection = gsi.Projection as { ProjectionType?: Projection; NonKeyAttributes?: string[] };
    return {
      name: gsi.IndexName,
      partitionKey: gsi.KeySchema.find((k) => k.KeyType === 'HASH')!.AttributeName,
      sortKey: gsi.KeySchema.find((k) => k.KeyType === 'RANGE')!.AttributeName,
      projection: projection.ProjectionType ?? 'ALL',
      nonKeyAttributes: projection.NonKeyAttributes ?? [],
    };
  }));
}

const TABLE_KEYS = [TABLE_SPEC.partitionKey, TABLE_SPEC.sortKey] as const;

/** The item carries both key attributes of the index (a sparse index holds only such items). */
export function inIndex(item: WireItem | undefined, index: IndexModel): boolean {
  return item?.[index.partitionKey] !== undefined && item[index.sortKey] !== undefined;
}

/** The index entry an item makes: table keys, index keys and the projected attributes. */
export function projectedEntry(item: WireItem, index: IndexModel): WireItem {
  if (index.projection === 'ALL') return item;
  const names = new Set<string>([...TABLE_KEYS, index.partitionKey, index.sortKey, ...(index.projection === 'INCLUDE' ? index.nonKeyAttributes : [])]);
  const entry: WireItem = {};
  for (const name of names) if (item[name] !== undefined) entry[name] = item[name]!;
  return entry;
}

/** Attribute-order-independent text of an item, to tell whether two images differ. */
function canonical(item: WireItem | undefined): string {
  return JSON.stringify(item, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
    ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}

const indexKey = (item: WireItem, index: IndexModel) => canonical({ p: item[index.partitionKey]!, s: item[index.sortKey]! });

/** One action of a write request with the item as it was before and is after it. */
export interface ModelledAction {
  kind: 'put' | 'update' | 'delete' | 'check';
  before?: WireItem;
  /** put/update: the item after the write; delete/check: ignored. */
  after?: WireItem;
}

export interface WriteCost {
  /** The table arm: the items themselves (transactions doubled, condition checks included). */
  table: number;
  /** Each GSI's writes, by index name (only indexes written). */
  indexes: Record<string, number>;
  total: number;
}

/** Write units one index is charged for an item going from `before` to `after`. */
export function indexWriteUnits(before: WireItem | undefined, after: WireItem | undefined, index: IndexModel): number {
  const was = inIndex(before, index);
  const is = inIndex(after, index);
  if (!was && !is) return 0;
  if (was && !is) return writeUnits(itemSize(projectedEntry(before!, index)));
  if (!was && is) return writeUnits(itemSize(projectedEntry(after!, index)));
  const old = projectedEntry(before!, index);
  const now = projectedEntry(after!, index);
  if (indexKey(before!, index) !== indexKey(after!, index)) return writeUnits(itemSize(old)) + writeUnits(itemSize(now));
  return canonical(old) === canonical(now) ? 0 : writeUnits(Math.max(itemSize(old), itemSize(now)));
}

/** Billed write units of one action; `transaction` doubles the table arm. */
export function actionCost(action: ModelledAction, transaction: boolean, indexes: IndexModel[] = tableIndexes()): WriteCost {
  if (action.kind === 'check') {
    // Only inside a transaction; billed as a write of the checked item, prepare + commit.
    return { table: 2 * writeUnits(itemSize(action.before)), indexes: {}, total: 2 * writeUnits(itemSize(action.before)) };
  }
  const after = action.kind === 'delete' ? undefined : action.after;
  const table = writeUnits(Math.max(itemSize(action.before), itemSize(after))) * (transaction ? 2 : 1);
  const byIndex: Record<string, number> = {};
  let total = table;
  for (const index of indexes) {
    const units = indexWriteUnits(action.before, after, index);
    if (units > 0) {
      byIndex[index.name] = units;
      total += units;
    }
  }
  return { table, indexes: byIndex, total };
}

/** Billed write units of a request: the sum of its actions (a single write is one action). */
export function requestCost(actions: readonly ModelledAction[], transaction: boolean, indexes: IndexModel[] = tableIndexes()): WriteCost {
  const sum: WriteCost = { table: 0, indexes: {}, total: 0 };
  for (const action of actions) {
    const cost = actionCost(action, transaction, indexes);
    sum.table += cost.table;
    sum.total += cost.total;
    for (const [name, units] of Object.entries(cost.indexes)) sum.indexes[name] = (sum.indexes[name] ?? 0) + units;
  }
  return sum;
}

/**
 * The least the same durable effect could cost (issue 14's yardstick): 1 WCU per started KB of each
 * item written or removed, ×2 only where several items change together (a transaction writing more
 * than one item), plus 1 WCU for each GSI whose keys the item carries before or after (a narrow
 * projection fits in one unit). Condition checks are not a durable effect and count 0.
 */
export function minimumCost(actions: readonly ModelledAction[], transaction: boolean, indexes: IndexModel[] = tableIndexes()): number {
  const written = actions.filter((a) => a.kind !== 'check');
  const together = transaction && written.length > 1 ? 2 : 1;
  let units = 0;
  for (const action of written) {
    const image = action.kind === 'delete' ? action.before : action.after;
    units += writeUnits(itemSize(image ?? action.before)) * together;
    // An entry that must appear, move or disappear is an effect in that index either way.
    units += indexes.filter((index) => inIndex(image, index) || inIndex(action.before, index)).length;
  }
  return units;
}

// ---------------------------------------------------------------------------------------------
// Commands → actions

/** The key attributes of a wire item. */
export function primaryKeyOf(item: WireItem): WireItem {
  return { [TABLE_SPEC.partitionKey]: item[TABLE_SPEC.partitionKey]!, [TABLE_SPEC.sortKey]: item[TABLE_SPEC.sortKey]! };
}

/** One action of a write command, before its images are known (inputs in wire form). */
export interface PlannedAction {
  kind: ModelledAction['kind'];
  table: string;
  key: WireItem;
  /** put: the new item, known from the input. */
  item?: WireItem;
}

const WRITE_COMMAND = /^(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)(Command)?$/;

/** True for the commands that write (and are billed in write units). */
export function isWriteCommand(command: string): boolean {
  return WRITE_COMMAND.test(command);
}

/** The actions of a write command whose input is in wire form (AttributeValues). */
export function plannedActions(command: string, input: any): { transaction: boolean; actions: PlannedAction[] } {
  const name = command.replace(/Command$/, '');
  if (name === 'TransactWriteItems') {
    return {
      transaction: true,
      actions: (input.TransactItems as any[]).map((t): PlannedAction => {
        if (t.Put) return { kind: 'put', table: t.Put.TableName, key: primaryKeyOf(t.Put.Item), item: t.Put.Item };
        if (t.Update) return { kind: 'update', table: t.Update.TableName, key: t.Update.Key };
        if (t.Delete) return { kind: 'delete', table: t.Delete.TableName, key: t.Delete.Key };
        return { kind: 'check', table: t.ConditionCheck.TableName, key: t.ConditionCheck.Key };
      }),
    };
  }
  if (name === 'PutItem') return { transaction: false, actions: [{ kind: 'put', table: input.TableName, key: primaryKeyOf(input.Item), item: input.Item }] };
  if (name === 'UpdateItem') return { transaction: false, actions: [{ kind: 'update', table: input.TableName, key: input.Key }] };
  if (name === 'DeleteItem') return { transaction: false, actions: [{ kind: 'delete', table: input.TableName, key: input.Key }] };
  if (name === 'BatchWriteItem') {
    const actions: PlannedAction[] = [];
    for (const [table, requests] of Object.entries<any[]>(input.RequestItems ?? {})) {
      for (const r of requests) {
        if (r.PutRequest) actions.push({ kind: 'put', table, key: primaryKeyOf(r.PutRequest.Item), item: r.PutRequest.Item });
        else if (r.DeleteRequest) actions.push({ kind: 'delete', table, key: r.DeleteRequest.Key });
      }
    }
    return { transaction: false, actions };
  }
  return { transaction: false, actions: [] };
}

// ---------------------------------------------------------------------------------------------
// Local engine: transaction capacity by the model

type Capacity = { TableName?: string; CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

/** What DynamoDB Local itself reported in write units, per usage counter (functions/data/client.ts). */
const engineWrites = new WeakMap<object, number>();

/**
 * The write units the engine reported for the requests counted in `usage` (DynamoDB Local's own
 * figure, kept for calibration next to the modelled one); undefined when the model was not applied.
 */
export function engineWriteUnitsOf(usage: object): number | undefined {
  return engineWrites.get(usage);
}

/**
 * DynamoDB Local is in use when the SDK's endpoint variable points the client at it. The model
 * costs two reads per transaction; `LOCAL_WRITE_MODEL=off` skips it where no figure is read (test
 * files that never look at capacity: test/support/stack.ts), leaving the engine's own figure.
 */
export const modelsLocalTransactions = (): boolean => !!process.env.AWS_ENDPOINT_URL_DYNAMODB && process.env.LOCAL_WRITE_MODEL !== 'off';

let imageClient: DynamoDBClient | undefined;

/** An item's identity within its table, for matching a batch read's answers to their keys. */
const keyId = (table: string, key: WireItem) =>
  `${table}\u0000${JSON.stringify(key[TABLE_SPEC.partitionKey])}\u0000${JSON.stringify(key[TABLE_SPEC.sortKey])}`;

/**
 * Reads the current items of `actions` with a client of its own: not counted, not observed. One
 * strongly consistent BatchGetItem per transaction (its ≤ 100 items are distinct keys), not one
 * GetItem per item: the model ran on every local transaction, and a GetItem each roughly tripled
 * the requests DynamoDB Local served for a write-heavy path.
 */
async function images(actions: readonly PlannedAction[]): Promise<(WireItem | undefined)[]> {
  if (actions.length === 0) return [];
  imageClient ??= new DynamoDBClient(clientOptions('dynamodb'));
  const client = imageClient;
  let request: Record<string, KeysAndAttributes> = {};
  for (const a of actions) (request[a.table] ??= { Keys: [], ConsistentRead: true }).Keys!.push(a.key);
  const found = new Map<string, WireItem>();
  // DynamoDB Local answers every key at once; the loop is for a partial answer all the same.
  for (let attempt = 0; Object.keys(request).length > 0; attempt++) {
    if (attempt === 10) throw new Error('write model: keys left unread');
    const out = await client.send(new BatchGetItemCommand({ RequestItems: request }));
    for (const [table, items] of Object.entries(out.Responses ?? {})) for (const item of items) found.set(keyId(table, primaryKeyOf(item)), item);
    request = out.UnprocessedKeys ?? {};
  }
  return actions.map((a) => found.get(keyId(a.table, a.key)));
}

function writeUnitsReported(consumed: Capacity | Capacity[] | undefined): number {
  let units = 0;
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) units += c.WriteCapacityUnits ?? c.CapacityUnits ?? 0;
  return units;
}

/**
 * A middleware for the document client (step `build`, inside the usage counter): against DynamoDB
 * Local, replaces a TransactWriteItems' reported capacity by the model's figure, computed from the
 * items before and after it (read with a separate client, so request counts and the local IAM
 * check see nothing extra), and records the engine's own write figure for every write. In AWS it
 * does nothing: the service reports what it bills.
 */
export function writeModelMiddleware(usage: () => object | undefined) {
  // Not an async function itself: a read (every request's commands but writes) passes straight
  // through, without a promise of its own (bench:overhead).
  return (next: (args: any) => Promise<any>, context: { commandName?: string }) => (args: any): Promise<any> => {
    const command = String(context.commandName ?? '');
    const counter = usage();
    if (!counter || !isWriteCommand(command) || !modelsLocalTransactions()) return next(args);
    return modelled(next, args, command, counter);
  };
}

async function modelled(next: (args: any) => Promise<any>, args: any, command: string, counter: object): Promise<any> {
  const planned = plannedActions(command, args.input);
  // Best effort: the model must never change what the request does, so an image that cannot be
  // read (an engine stopped on purpose by a test, say) leaves the engine's figure in place.
  const before = planned.transaction ? await images(planned.actions).catch(() => undefined) : undefined;
  const result = await next(args);
  const output = result.output as { ConsumedCapacity?: Capacity | Capacity[] };
  engineWrites.set(counter, (engineWrites.get(counter) ?? 0) + writeUnitsReported(output.ConsumedCapacity));
  if (before && output.ConsumedCapacity) {
    const updated = await images(planned.actions.filter((a) => a.kind === 'update')).catch(() => undefined);
    if (!updated) return result;
    const byTable = new Map<string, ModelledAction[]>();
    planned.actions.forEach((a, i) => {
      const after = a.kind === 'put' ? a.item : a.kind === 'update' ? updated.shift() : undefined;
      byTable.set(a.table, [...(byTable.get(a.table) ?? []), { kind: a.kind, before: before[i], after }]);
    });
    output.ConsumedCapacity = [...byTable].map(([table, actions]) => {
      const units = requestCost(actions, true).total;
      return { TableName: table, CapacityUnits: units, WriteCapacityUnits: units, ReadCapacityUnits: 0 };
    });
  }
  return result;
}
