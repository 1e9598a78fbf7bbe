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

export interface DbUsage {
  requests: number;
  readUnits: number;
  writeUnits: number;
  commands: string[];
}

const usageStore = new AsyncLocalStorage<DbUsage>();

/** Runs `fn` with a fresh usage counter; nested DynamoDB calls add to it. */
export function withDbUsage<T>(fn: () => Promise<T>): Promise<{ result: T; usage: DbUsage }>;
export async function withDbUsage<T>(fn: () => Promise<T>) {
  const usage: DbUsage = { requests: 0, readUnits: 0, writeUnits: 0, commands: [] };
  const result = await usageStore.run(usage, fn);
  return { result, usage };
}

export function currentDbUsage(): DbUsage | undefined {
  return usageStore.getStore();
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
      const usage = usageStore.getStore();
      const command = String(context.commandName ?? 'Unknown');
      for (const observe of observers) observe(command, args.input as Record<string, unknown>);
      try {
        const out = await next(args);
        if (usage) {
          usage.requests += 1;
          usage.commands.push(command.replace(/Command$/, ''));
          addCapacity(usage, command, (out.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity);
        }
        return out;
      } catch (err) {
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
  return client;
}

/** Tests that point at a fresh table reset the singleton; production code never does. */
export function resetDbClientForTests(): void {
  client = undefined;
}
