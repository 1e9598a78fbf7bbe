/**
 * Vitest global setup: in-memory DynamoDB Local engines for the whole run, one per test fork
 * (vitest.config.ts `maxForks`), on free ports. DynamoDB Local runs its work on one database
 * connection, so a single engine serialises the requests of every fork: with one engine per fork
 * the two files that run at the same time no longer queue behind each other. Test files get their
 * fork's endpoint with `engineEndpoint()` (test/support/engine.ts; startTestStack does that) and
 * each stack creates its own uniquely named table in it, so files stay independent and start fast.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/engines/dynamodb';
import { localIssuer } from '../../local/jwt';
import { freePort } from '../../local/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One endpoint per fork; a fork uses `dynamodbEndpoints[(VITEST_POOL_ID - 1) % length]`. */
    dynamodbEndpoints: string[];
    /** A data directory holding the run's token signing key (`localIssuer({ dataDir })`). */
    signingKeyDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const pool = project.config.poolOptions?.forks?.maxForks;
  const count = Math.max(1, typeof pool === 'number' ? pool : 1);
  // A generous start limit: the JVM starts slowly on a loaded two-core machine.
  const started = await Promise.allSettled(Array.from({ length: count }, async () => startDynamoDbLocal({ port: await freePort(), startTimeoutMs: 180_000 })));
  const engines = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(engines.map((e) => e.stop()));
    throw failed.reason;
  }
  project.provide('dynamodbEndpoints', engines.map((e: DynamoDbLocal) => e.endpoint));
  // One RSA key for the whole run: generating a 2048-bit key costs about a quarter second of CPU,
  // which every file's stack would otherwise pay. Created here, before any fork reads it.
  const keyDir = mkdtempSync(join(tmpdir(), 'crm-test-keys-'));
  await localIssuer({ dataDir: keyDir });
  project.provide('signingKeyDir', keyDir);
  return async () => {
    await Promise.all(engines.map((e) => e.stop()));
    rmSync(keyDir, { recursive: true, force: true });
  };
}
