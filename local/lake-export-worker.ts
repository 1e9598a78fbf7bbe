/**
 * `npm run job -- export` scans the table (local/lake-export.ts) in a worker thread and builds the
 * lake (local/lake.ts) on the main one. The export process is held to 256 MB (docs/analytics.md,
 * "Export benchmark"), and the scan and the build peak at different times: what the scan leaves
 * behind — V8's grown heap (≈ 20 MB it keeps after the scan, a forced GC gives none of it back)
 * and the SDK's DynamoDB client — sat under DuckDB's build, ≈ 40 MB at 100,000 customers. A
 * worker's heap is freed when it exits, before DuckDB loads.
 *
 * This module is both sides: the main thread imports `exportTableInWorker`; the worker loads the
 * same module and runs the export it is given.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ExportResult } from './lake-export';

export interface ExportInWorker {
  dynamodbEndpoint: string;
  s3Endpoint: string;
  tableName: string;
  bucket: string;
  workDir: string;
}

const ROLE = 'crm-lake-export';

interface Job { role: typeof ROLE; params: ExportInWorker }

const isJob = (data: unknown): data is Job => typeof data === 'object' && data !== null && 'role' in data && data.role === ROLE;

/**
 * The URL of tsx's ESM API (`tsx/esm/api`, its `import` condition), resolved from this module as
 * `import.meta.resolve` would — which vitest's module runner does not provide. Its CommonJS entry
 * is no substitute: its `tsImport` registers a loader path that does not exist.
 */
function tsxEsmApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return pathToFileURL(join(dirname(manifest), exports['./esm/api']!.import.default)).href;
}

/** Runs `exportTable` in a worker thread; resolves once the worker has exited. */
export function exportTableInWorker(params: ExportInWorker): Promise<ExportResult> {
  // The worker loads this TypeScript module through tsx's API. On Node 20 the loader hooks that
  // `tsx` registers apply to the main thread only, and the README test runs `npm run job` as a
  // prebuilt bundle without tsx at all; `import.meta.url` names this source in both cases.
  const code = `import(${JSON.stringify(tsxEsmApi())}).then(({ tsImport }) => tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
  const job: Job = { role: ROLE, params };
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: job, execArgv: [] });
    let result: ExportResult | undefined;
    let failure: unknown;
    worker.once('message', (message: ExportResult) => { result = message; });
    worker.once('error', (error) => { failure = error; });
    worker.once('exit', (code) => {
      if (result && failure === undefined) resolve(result);
      else reject(failure ?? new Error(`The export's worker stopped (exit code ${code}) without a result`));
    });
  });
}

async function runJob({ params }: Job): Promise<void> {
  const [{ DynamoDBClient }, { S3Client }, { exportTable }, { LOCAL_CREDENTIALS, LOCAL_REGION }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'), import('@aws-sdk/client-s3'), import('./lake-export'), import('./env'),
  ]);
  const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const dynamodb = new DynamoDBClient({ ...common, endpoint: params.dynamodbEndpoint });
  const s3 = new S3Client({ ...common, endpoint: params.s3Endpoint, forcePathStyle: true });
  try {
    const result = await exportTable({ dynamodb, s3, tableName: params.tableName, bucket: params.bucket, workDir: params.workDir });
    parentPort?.postMessage(result);
  } finally {
    dynamodb.destroy();
    s3.destroy();
  }
}

// A failure rejects the worker's top-level promise: the main thread gets it as the worker's error.
if (!isMainThread && isJob(workerData)) await runJob(workerData);
