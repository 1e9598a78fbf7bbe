/**
 * Shared pieces of the latency benchmarks (bench/scale.ts, bench/handler-overhead.ts): percentiles,
 * a quiet CRM on DynamoDB Local (the real handler modules, as `npm start` runs them), and a recorder
 * that captures the DynamoDB requests a handler sends so the same requests can be replayed directly
 * against the engine as a control.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { resetConfigForTests } from '../functions/config';
import { observeDbCommands } from '../functions/data/client';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocal } from '../local/engines/dynamodb';
import { applyEnvironment, handlerEnvironment, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/env';
import { freePort } from '../local/ports';

export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface Latency { p50: number; p99: number; n: number }

/** Runs `fn` `warmup` times unmeasured, then `samples` times one at a time; milliseconds. */
export async function time(samples: number, fn: (i: number) => Promise<unknown>, warmup = Math.min(30, Math.ceil(samples / 10))): Promise<Latency> {
  for (let i = 0; i < warmup; i++) await fn(i);
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), n: samples };
}

export const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(n < 10 ? 2 : 1) : '–');
export const fmtRatio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');

export interface LocalCrm {
  engine: DynamoDbLocal;
  endpoint: string;
  tableName: string;
  /** A plain client on the engine (not the handlers' instrumented singleton). */
  raw: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/**
 * DynamoDB Local (on disk under `directory`, as `npm start` keeps it, or in memory) with a fresh
 * CRM table, and the handler environment pointing at it (and at `ses`, e.g. bench/fixtures.ts's
 * counting stub, for the job benchmarks). Import handler modules only afterwards.
 */
export async function startLocalCrm(options: { directory?: string; ses?: string } = {}): Promise<LocalCrm> {
  // A generous start limit: benchmarks run on shared, loaded machines too.
  const engine = await startDynamoDbLocal({ port: await freePort(), startTimeoutMs: 180_000, ...(options.directory ? { directory: options.directory } : {}) });
  const tableName = `crm-bench-${randomBytes(3).toString('hex')}`;
  const raw = new DynamoDBClient({ endpoint: engine.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await ensureTable(raw, tableName);
  applyEnvironment(handlerEnvironment({
    tableName, stage: 'bench', cursorSecret: randomBytes(32).toString('hex'), eventBusName: 'crm-bench',
    logLevel: process.env.LOG_LEVEL ?? 'ERROR', endpoints: { dynamodb: engine.endpoint, ...(options.ses ? { ses: options.ses } : {}) },
    // A stage other than local must name its sender (functions/notifications/email.ts).
    senderEmail: 'crm-bench@example.com',
  }));
  resetConfigForTests();
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
  return {
    engine, endpoint: engine.endpoint, tableName, raw, doc,
    async stop() { raw.destroy(); await engine.stop(); },
  };
}

export interface RecordedCommand { command: string; input: Record<string, unknown> }

let recording: RecordedCommand[] | undefined;
let observing = false;

/** The DynamoDB requests the handlers send while `fn` runs (names and inputs, before marshalling). */
export async function recordDbCommands(fn: () => Promise<unknown>): Promise<RecordedCommand[]> {
  if (!observing) {
    observeDbCommands((command, input) => { recording?.push({ command, input: structuredClone(input as Record<string, unknown>) }); });
    observing = true;
  }
  recording = [];
  try {
    await fn();
    return recording;
  } finally {
    recording = undefined;
  }
}

const REPLAYABLE: Record<string, new (input: any) => any> = {
  GetItemCommand: GetCommand, GetCommand, QueryCommand, ScanCommand, BatchGetItemCommand: BatchGetCommand, BatchGetCommand,
};

/**
 * Sends the recorded requests again, one after the other, straight to the engine. Calling the
 * replayer builds the commands and sends them; `prepare()` copies the inputs first and returns the
 * sending (command construction included, as a handler constructs its own), so a timed section
 * holds no copying a handler would not do.
 */
export function replayer(doc: DynamoDBDocumentClient, commands: readonly RecordedCommand[]): (() => Promise<void>) & { prepare(): () => Promise<void> } {
  const built = commands.map(({ command, input }) => {
    const Command = REPLAYABLE[command];
    if (!Command) throw new Error(`cannot replay ${command}`);
    return Command;
  });
  const prepare = () => {
    const inputs = commands.map(({ input }) => structuredClone(input));
    return async () => { for (let i = 0; i < built.length; i++) await doc.send(new built[i]!(inputs[i])); };
  };
  return Object.assign(() => prepare()(), { prepare });
}
