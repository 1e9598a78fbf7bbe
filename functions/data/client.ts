/**
 * The DynamoDB document client: one per cold start, created on first use (never at import time).
 * Every command asks for ConsumedCapacity and is counted per request, so each response can report
 * how many DynamoDB requests and capacity units it cost (logged always; echoed as response headers
 * locally and in tests, where budget tests assert on them).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientOptions } from '../aws/client-options';
import { isUncertainOutcome } from '../aws/errors';
import { modelsLocalTransactions, writeModelMiddleware } from './capacity';

export interface DbUsage {
  requests: number;
  readUnits: number;
  writeUnits: number;
  commands: string[];
}

/**
 * What a request carries down to the data layer: its usage counter and its scope. One
 * AsyncLocalStorage for both: while any is in use, every promise of the process pays each one's
 * propagation hook (Node 20), so a second store doubled that cost per request (bench:overhead).
 */
interface RequestStore {
  usage?: DbUsage;
  scope?: RequestScope;
}

const store = new AsyncLocalStorage<RequestStore>();

/**
 * The idempotency lock a request holds (functions/http/idempotency.ts). The transaction helper
 * (transaction.ts) adds the lock's completion to the request's first TransactWriteItems, so the
 * change and the "committed" marker commit together or not at all.
 */
export interface IdempotencyGuard {
  /** Table key of the idempotency item. */
  key: { pk: string; sk: string };
  /** This attempt's lock token: only the holder of the lock can commit under the key. */
  token: string;
  /** Set once a transaction carrying the marker has committed. */
  committed?: boolean;
}

/** What one HTTP request carries down to the data layer (in the request store, like DbUsage). */
export interface RequestScope {
  /** Every SDK call of the request is sent with this signal; the chain aborts it before the deadline. */
  signal?: AbortSignal;
  /** Set when a write was sent and failed so that it may or may not have been applied. */
  uncertainWrite?: boolean;
  /** …and that write was not a transaction carrying the idempotency marker (which a fence settles). */
  uncertainUnmarkedWrite?: boolean;
  /** Set when a write of records (not only the idempotency item) succeeded. */
  wroteRecords?: boolean;
  idempotency?: IdempotencyGuard;
}

/** Runs `fn` with `scope` as the current request scope (functions/http/chain.ts). */
export function withRequestScope<T>(scope: RequestScope, fn: () => Promise<T>): Promise<T> {
  return store.run({ usage: store.getStore()?.usage, scope }, fn);
}

export function currentRequestScope(): RequestScope | undefined {
  return store.getStore()?.scope;
}

const WRITE_COMMANDS = /^(Put|Update|Delete|TransactWrite|BatchWrite)/;
/** The idempotency item's key, before or after marshalling (`{ pk: 'IDEM#…' }` or `{ pk: { S: 'IDEM#…' } }`). */
function isLockKey(key: unknown): boolean {
  const pk = (key as { pk?: unknown } | undefined)?.pk;
  const value = typeof pk === 'string' ? pk : (pk as { S?: unknown } | undefined)?.S;
  return typeof value === 'string' && value.startsWith('IDEM#');
}

/** Whether a write touches records (more than the idempotency item) and carries the idempotency marker. */
function idempotencyKeysIn(input: Record<string, unknown>): { records: boolean; marked: boolean } {
  const single = (input.Key ?? input.Item) as unknown;
  if (single) return { records: !isLockKey(single), marked: false };
  const items = (input.TransactItems ?? []) as Record<string, { Key?: unknown; Item?: unknown }>[];
  const keysOf = items.map((entry) => Object.values(entry)[0]).map((op) => op?.Key ?? op?.Item);
  const marked = keysOf.some(isLockKey);
  return { records: keysOf.some((k) => !isLockKey(k)) || !items.length, marked };
}

/**
 * Runs `fn` with a fresh usage counter; nested DynamoDB calls add to it. With `scope`, `fn` also
 * runs with it as the request scope (as withRequestScope inside, in one step: the HTTP chain).
 */
export function withDbUsage<T>(fn: () => Promise<T>, scope?: RequestScope): Promise<{ result: T; usage: DbUsage }>;
export async function withDbUsage<T>(fn: () => Promise<T>, scope?: RequestScope) {
  const usage: DbUsage = { requests: 0, readUnits: 0, writeUnits: 0, commands: [] };
  const result = await store.run({ usage, scope: scope ?? store.getStore()?.scope }, fn);
  return { result, usage };
}

export function currentDbUsage(): DbUsage | undefined {
  return store.getStore()?.usage;
}

type Capacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

function addCapacity(usage: DbUsage, command: string, consumed: Capacity | Capacity[] | undefined): void {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  const isWrite = /Put|Update|Delete|TransactWrite|BatchWrite/.test(command);
  for (const c of list) {
    const read = c.ReadCapacityUnits ?? (isWrite ? 0 : (c.CapacityUnits ?? 0));
    const write = c.WriteCapacityUnits ?? (isWrite ? (c.CapacityUnits ?? 0) : 0);
    usage.readUnits += read;
    usage.writeUnits += write;
  }
}

/** Sees each command (name and input, before marshalling) before it is sent; may throw to refuse it. */
export type DbCommandObserver = (command: string, input: Readonly<Record<string, unknown>>) => void;

const observers: DbCommandObserver[] = [];

/**
 * Registers an observer of every command the client sends. Nothing registers one in Lambda: the
 * local runtime does, to refuse what the function's IAM role would refuse in AWS (local/iam.ts).
 */
export function observeDbCommands(observer: DbCommandObserver): void {
  if (!observers.includes(observer)) observers.push(observer);
}

let client: DynamoDBDocumentClient | undefined;

export function ddb(): DynamoDBDocumentClient {
  if (client) return client;
  const base = new DynamoDBClient(clientOptions('dynamodb'));
  client = DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ReturnConsumedCapacity?: string };
      if (input.ReturnConsumedCapacity === undefined) input.ReturnConsumedCapacity = 'TOTAL';
      const { usage, scope } = store.getStore() ?? {};
      const command = String(context.commandName ?? 'Unknown');
      for (const observe of observers) observe(command, args.input as Record<string, unknown>);
      try {
        const out = await next(args);
        if (scope && WRITE_COMMANDS.test(command) && idempotencyKeysIn(args.input as Record<string, unknown>).records) scope.wroteRecords = true;
        if (usage) {
          usage.requests += 1;
          usage.commands.push(command.replace(/Command$/, ''));
          addCapacity(usage, command, (out.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity);
        }
        return out;
      } catch (err) {
        if (scope && WRITE_COMMANDS.test(command) && isUncertainOutcome(err)) {
          const touched = idempotencyKeysIn(args.input as Record<string, unknown>);
          // The lock item's own writes (take, store, release) change nothing the client sees.
          if (touched.records) {
            scope.uncertainWrite = true;
            if (!touched.marked) scope.uncertainUnmarkedWrite = true;
          }
        }
        if (usage) {
          usage.requests += 1;
          usage.commands.push(command.replace(/Command$/, ''));
          const cc = (err as { CancellationReasons?: unknown; $metadata?: unknown; ConsumedCapacity?: Capacity[] }).ConsumedCapacity;
          addCapacity(usage, command, cc);
        }
        throw err;
      }
    },
    { step: 'initialize', name: 'crmUsageCounter' },
  );
  // Every call of a request carries the request's abort signal (unless the caller passes its
  // own), so nothing is sent or retried after the chain has given up on the request.
  // (The prototype's send is looked up per call, so a test's spy on it still sees every command.)
  const target = client;
  const send = (...args: unknown[]) => (Object.getPrototypeOf(target).send as (...a: unknown[]) => Promise<unknown>).apply(target, args);
  client.send = ((command: unknown, options?: unknown, cb?: unknown) => {
    const signal = store.getStore()?.scope?.signal;
    if (signal && typeof options !== 'function' && !(options as { abortSignal?: unknown } | undefined)?.abortSignal) {
      return send(command, { ...((options as object | undefined) ?? {}), abortSignal: signal }, cb);
    }
    return send(command, options, cb);
  }) as DynamoDBDocumentClient['send'];
  // Against DynamoDB Local, a transaction's write units by the model (capacity.ts), not the engine's.
  // Only there: the SDK resolves its middleware stack on every send, each middleware adding to every
  // request's cost (bench:overhead), and against DynamoDB the engine's figures are the bill.
  if (modelsLocalTransactions()) client.middlewareStack.add(writeModelMiddleware(() => store.getStore()?.usage), { step: 'build', name: 'crmWriteModel' });
  return client;
}

/** Tests that point at a fresh table reset the singleton; production code never does. */
export function resetDbClientForTests(): void {
  client = undefined;
}
