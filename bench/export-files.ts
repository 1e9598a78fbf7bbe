/**
 * On-demand exports at volume (issue 12): loads customers into a fresh DynamoDB Local (the items a
 * customer create writes, through the model code, sent with BatchWriteItem as bench/export.ts
 * does), starts a `POST /v1/exports`-shaped export of all customers (CSV or Parquet), and runs the
 * real export worker (functions/exports/worker.ts `runStep`, the code the Lambda runs) step by
 * step in a **child process**, against the local S3 — so the child's peak RSS (VmHWM, sampled
 * every 50 ms) is the worker's, not the loader's. Reports wall time, rows/s, steps, DynamoDB
 * requests, read units (estimated: ½ RCU per 4 KB of items read, eventually consistent Query), S3
 * requests, files and bytes.
 *
 *   npm run bench:export-files [-- --customers 100000 --format csv|parquet]
 *
 * Target: the worker stays at or under 256 MB whatever the volume (rows stream to S3 in 5 MiB
 * multipart parts; Parquet in row groups). Not part of `npm test`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET } from '../local/env';
import { startS3 } from '../local/engines/s3';
import { exportCustomer, ItemWriter, plannedPuts } from './fixtures';
import { arg, startLocalCrm } from './harness';

const LIMIT_MB = 256;
const out = (line = '') => process.stdout.write(`${line}\n`);

/** Peak RSS (VmHWM, kB) of `pid`, sampled until stopped. */
function watchPeak(pid: number): { stop(): number } {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0));
    } catch { /* gone */ }
  };
  const timer = setInterval(sample, 50);
  sample();
  return { stop: () => { clearInterval(timer); sample(); return peak; } };
}

/** Child: runs the export's steps until it ends; prints its counts as one JSON line. */
async function worker(exportId: string): Promise<void> {
  const { observeDbCommands } = await import('../functions/data/client');
  const { runStep } = await import('../functions/exports/worker');
  const { getJob } = await import('../functions/exports/repository');
  let requests = 0;
  observeDbCommands(() => { requests += 1; });
  const started = Date.now();
  let steps = 0;
  for (;;) {
    const job = await getJob(exportId);
    if (!job || (job.state !== 'queued' && job.state !== 'running')) {
      out(JSON.stringify({ state: job?.state, steps, requests, ms: Date.now() - started, files: job?.files ?? [] }));
      return;
    }
    await runStep(exportId, job.step);
    steps += 1;
  }
}

async function main(): Promise<void> {
  const CUSTOMERS = Number(arg('customers', '100000'));
  const FORMAT = arg('format', 'csv') === 'parquet' ? 'parquet' : 'csv';
  const dir = mkdtempSync(join(tmpdir(), 'crm-bench-export-files-'));
  const crm = await startLocalCrm();
  const s3 = await startS3({ directory: join(dir, 's3'), buckets: [LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET] });
  process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
  const { Transaction } = await import('../functions/data/transaction');
  const { addCustomerWrites } = await import('../functions/customers/repository');
  const { auditItem } = await import('../functions/audit/audit');
  const { newId } = await import('../functions/data/keys');
  const { storedJob } = await import('../functions/exports/repository');
  const { SALES_REPS } = await import('../local/demo-users');
  const actor = { userId: 'bench', role: 'admin' as const, groups: ['admin'] };
  try {
    const t0 = Date.now();
    let profileBytes = 0;
    const writer = new ItemWriter(crm.doc, crm.tableName);
    for (let i = 0; i < CUSTOMERS; i++) {
      const customer = exportCustomer(newId('cus'), i, SALES_REPS[i % SALES_REPS.length]!.id, actor.userId);
      const tx = new Transaction();
      addCustomerWrites(tx, undefined, customer, auditItem({ customerId: customer.id, entityType: 'customer', entityId: customer.id, action: 'created', actor, at: new Date(customer.createdAt), version: 1, changes: [], timeline: true }));
      for (const put of plannedPuts(tx)) {
        if (put.kind === 'customer') profileBytes += JSON.stringify(marshall(put, { removeUndefinedValues: true, convertClassInstanceToMap: true })).length;
        await writer.push(put);
      }
      if (i % 10_000 === 9_999) out(`  loaded ${i + 1} customers in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
    await writer.close();
    out(`Loaded ${CUSTOMERS} customers in ${((Date.now() - t0) / 1000).toFixed(0)} s (profile items ≈ ${Math.round(profileBytes / CUSTOMERS)} bytes each)`);

    // The export item as POST /v1/exports writes it (admin: personal data in clear).
    const at = new Date().toISOString();
    const id = newId('exp');
    await crm.doc.send(new BatchWriteCommand({ RequestItems: { [crm.tableName]: [{ PutRequest: { Item: storedJob({
      id, state: 'queued', format: FORMAT, entities: ['customers'], masked: false, createdBy: 'bench', step: 0, attempts: 0,
      cursor: { entity: 0, source: 0, part: 1 }, files: [], createdAt: at, updatedAt: at,
    }) } }] } }));

    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/export-files.ts', '--worker', id], { env: { ...process.env, LOG_LEVEL: 'ERROR' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const peak = watchPeak(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
    const peakMb = peak.stop() / 1024;
    const wallS = (Date.now() - started) / 1000;
    if (code !== 0) throw new Error(`worker failed (${code}): ${stderr.slice(-2000)}`);
    const result: { state: string; steps: number; requests: number; files: { rows: number; bytes: number }[] } = JSON.parse(stdout.trim().split('\n').at(-1)!);
    const rows = result.files.reduce((n, f) => n + f.rows, 0);
    const bytes = result.files.reduce((n, f) => n + f.bytes, 0);
    // Query reads are billed per 4 KB of items read per page (½ RCU each, eventually consistent); pages of 500.
    const rcu = Math.ceil(rows / 500) * Math.ceil((500 * profileBytes) / CUSTOMERS / 4096) * 0.5;
    // S3: a file under 5 MiB is one PUT; larger ones create + ⌈bytes/5 MiB⌉ parts + complete.
    const s3Requests = result.files.reduce((n, f) => n + (f.bytes < 5 * 1024 * 1024 ? 1 : 2 + Math.ceil(f.bytes / (5 * 1024 * 1024))), 0);
    const s3Objects = readdirSync(join(dir, 's3', LOCAL_EXPORTS_BUCKET), { recursive: true }).filter((n) => String(n).endsWith('._S3rver_object')).length;
    out();
    out('| format | rows | wall time | rows/s | steps | DynamoDB requests | RCU (est.) | S3 requests | files | bytes | peak RSS (worker process) |');
    out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    out(`| ${FORMAT} | ${rows} | ${wallS.toFixed(1)} s | ${Math.round(rows / wallS)} | ${result.steps} | ${result.requests} | ${rcu} | ${s3Requests} | ${result.files.length} (${s3Objects} objects) | ${(bytes / 1e6).toFixed(1)} MB | ${peakMb.toFixed(0)} MB ${peakMb <= LIMIT_MB ? '≤' : '>'} ${LIMIT_MB} MB |`);
    if (result.state !== 'succeeded' || rows !== CUSTOMERS) throw new Error(`export ${result.state} with ${rows} rows of ${CUSTOMERS}`);
  } finally {
    await s3.stop();
    await crm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const workerId = arg('worker', '');
(workerId ? worker(workerId) : main()).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
