/**
 * The local analytics export at scale (issue 12): loads customers, each with a contact, into a
 * fresh DynamoDB Local through the project's own model code (the items customers/repository.ts
 * writes for a new customer and its first contact, sent with BatchWriteItem for speed, as
 * bench/scale.ts does), then runs `npm run job -- export` — the real command, as a child process
 * against these engines (it finds them through `<DATA_DIR>/runtime.json`, as it finds a running
 * `npm start`) — three times: the full export that builds the lake, an incremental window with
 * no change, and one after CHANGES customers changed. For each run: wall time, rows/s, the
 * export's files (count and bytes, DynamoDB-format data files and lake Parquet tables) and the
 * peak resident memory of the export process tree (the highest sum of its processes' RSS, sampled
 * every 50 ms, or a single process's VmHWM if higher; DynamoDB Local's Java process is the engine,
 * not the export, and is not counted).
 *
 *   npm run bench:export [-- --customers 100000 --changes 1000]
 *
 * Target: the export process stays at or under 256 MB (it streams pages to gzip files; DuckDB
 * reads the files, not Node). Not part of `npm test`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET } from '../local/env';
import { startS3 } from '../local/engines/s3';
import { exportCustomer, ItemWriter, plannedPuts } from './fixtures';
import { arg, startLocalCrm } from './harness';

const CUSTOMERS = Number(arg('customers', '100000'));
const CHANGES = Number(arg('changes', '1000'));
const CONCURRENCY = Number(arg('concurrency', '4'));
const LIMIT_MB = 256;
const out = (line = '') => process.stdout.write(`${line}\n`);

interface Run { label: string; wallS: number; items: number; mode: string; changes: number; peakMb: number; dataFiles: number; dataBytes: number; parquetBytes: number; tables: Record<string, number> }

/**
 * Peak resident memory (kB) of `pid` and its descendants, sampled every 50 ms until it exits: the
 * larger of the highest sum of their VmRSS at one sample (processes that run side by side count
 * together) and the highest single VmHWM (a peak between two samples). DynamoDB Local's Java
 * process is the engine, not the export, and is left out.
 */
function watchPeak(pid: number): { stop(): number } {
  let peakSum = 0;
  let peakOne = 0;
  const tree = new Set<number>([pid]);
  const sample = () => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (tree.has(ppid)) tree.add(Number(entry));
      } catch { /* gone */ }
    }
    let sum = 0;
    for (const p of tree) {
      try {
        const status = readFileSync(`/proc/${p}/status`, 'utf8');
        const name = /Name:\s+(\S+)/.exec(status)?.[1] ?? '';
        if (name === 'java') continue;
        sum += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peakOne = Math.max(peakOne, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      } catch { tree.delete(p); }
    }
    peakSum = Math.max(peakSum, sum);
  };
  const timer = setInterval(sample, 50);
  sample();
  return { stop: () => { clearInterval(timer); return Math.max(peakSum, peakOne); } };
}

/** Files under `dir` whose relative path matches, not in `seen` (which then holds them too). */
function filesUnder(dir: string, match: (name: string) => boolean, seen = new Set<string>()): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  if (!existsSync(dir)) return { count, bytes };
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const full = join(dir, name);
    if (seen.has(full) || !statSync(full).isFile() || !match(name)) continue;
    seen.add(full);
    count += 1;
    bytes += statSync(full).size;
  }
  return { count, bytes };
}
const seenExportFiles = new Set<string>();

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-bench-export-'));
  const crm = await startLocalCrm();
  // DynamoDB Local writes 3–7× slower with the table's stream on (≈ 0.7–1 s against ≈ 0.15 s per
  // batch of 25 on the shared 2-core machine). The export scans the table and never reads the
  // stream, so the benchmark's table goes without it: 100,000 customers load in an hour, not four.
  await crm.raw.send(new UpdateTableCommand({ TableName: crm.tableName, StreamSpecification: { StreamEnabled: false } }));
  const s3 = await startS3({ directory: join(dir, 's3'), buckets: [LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET] });
  const { Transaction } = await import('../functions/data/transaction');
  const { addContactCreation, addCustomerWrites } = await import('../functions/customers/repository');
  const { auditItem } = await import('../functions/audit/audit');
  const { newId } = await import('../functions/data/keys');
  const { SALES_REPS } = await import('../local/demo-users');
  const actor = { userId: 'bench', role: 'admin' as const, groups: ['admin'] };
  const runs: Run[] = [];
  try {
    // Loading ---------------------------------------------------------------------------------
    const ids: string[] = [];
    const t0 = Date.now();
    let next = 0;
    let items = 0;
    const writer = new ItemWriter(crm.doc, crm.tableName);
    const worker = async () => {
      for (;;) {
        const start = next;
        if (start >= CUSTOMERS) return;
        const end = Math.min(CUSTOMERS, start + 25);
        next = end;
        const puts: Record<string, unknown>[] = [];
        for (let i = start; i < end; i++) {
          const contactId = newId('con');
          const customer = { ...exportCustomer(newId('cus'), i, SALES_REPS[i % SALES_REPS.length]!.id, actor.userId), contactCount: 1, contactIds: new Set([contactId]), contactsRev: 1, primaryContactId: contactId };
          const at = customer.createdAt;
          const contact = {
            id: contactId, customerId: customer.id, ownerId: customer.ownerId, firstName: 'Ada', lastName: `Contact ${i}`, email: `ada-${i}@export.example`,
            isPrimary: true, version: 1, createdAt: at, updatedAt: at, createdBy: actor.userId, updatedBy: actor.userId,
          };
          ids.push(customer.id);
          const tx = new Transaction();
          addCustomerWrites(tx, undefined, customer, auditItem({ customerId: customer.id, entityType: 'customer', entityId: customer.id, action: 'created', actor: actor as never, at: new Date(at), version: 1, changes: [], timeline: true }));
          addContactCreation(tx, customer, contact, auditItem({ customerId: customer.id, entityType: 'contact', entityId: contact.id, action: 'created', actor: actor as never, at: new Date(at), version: 1, changes: [] }), 50, true);
          // Dashboard counters are ADD updates of shared items: a bulk load leaves them out.
          puts.push(...plannedPuts(tx));
        }
        for (const put of puts) await writer.push(put);
        items += puts.length;
        if (Math.floor(end / 10_000) !== Math.floor(start / 10_000)) out(`  loaded ${end} customers (${items} items) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await writer.close();
    out(`Loaded ${CUSTOMERS} customers with a contact each: ${items} items in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

    // The job finds these engines as it finds a running `npm start`.
    writeFileSync(join(dir, 'runtime.json'), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), tableName: crm.tableName, api: 'http://127.0.0.1:9', dynamodb: crm.endpoint, s3: s3.endpoint }));

    const exportOnce = async (label: string): Promise<void> => {
      const started = Date.now();
      const child = spawn(process.execPath, ['--import', 'tsx', 'local/job.ts', 'export'], { env: { ...process.env, DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
      const peak = watchPeak(child.pid!);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
      const peakKb = peak.stop();
      const wallS = (Date.now() - started) / 1000;
      if (code !== 0) throw new Error(`export failed (${code}): ${stderr.slice(-2000)}`);
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { exportId: string; items: number; mode: string; changes: number; tables: Record<string, number> };
      // This run's DynamoDB-format export files (the full export, and the window's incremental one), as s3rver stores them.
      const data = filesUnder(join(dir, 's3', LOCAL_EXPORTS_BUCKET), (name) => name.includes('/data/') && name.endsWith('._S3rver_object'), seenExportFiles);
      const parquet = filesUnder(join(dir, 'lake', 'tables'), (name) => name.endsWith('.parquet'));
      runs.push({ label, wallS, items: result.items, mode: result.mode, changes: result.changes, peakMb: peakKb / 1024, dataFiles: data.count, dataBytes: data.bytes, parquetBytes: parquet.bytes, tables: result.tables });
      out(`  ${label}: ${wallS.toFixed(1)} s, ${result.items} items (${result.mode}, ${result.changes} changes), peak RSS ${(peakKb / 1024).toFixed(0)} MB`);
    };

    await exportOnce('full export, lake built');
    await exportOnce('incremental, 0 changes');
    for (let i = 0; i < CHANGES; i++) {
      const id = ids[Math.floor((i * ids.length) / CHANGES)]!;
      await crm.doc.send(new UpdateCommand({ TableName: crm.tableName, Key: { pk: `CUS#${id}`, sk: '#PROFILE' }, UpdateExpression: 'SET #n = :n, version = version + :one', ExpressionAttributeNames: { '#n': 'name' }, ExpressionAttributeValues: { ':n': `Changed ${i} GmbH`, ':one': 1 } }));
    }
    await exportOnce(`incremental, ${CHANGES} changes`);

    out();
    out(`| run | wall time | items exported | rows/s | lake changes applied | export files (count, bytes) | lake Parquet bytes | peak RSS (export process) |`);
    out('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of runs) {
      out(`| ${r.label} | ${r.wallS.toFixed(1)} s | ${r.items} | ${Math.round(r.items / r.wallS)} | ${r.changes} | ${r.dataFiles}, ${(r.dataBytes / 1e6).toFixed(1)} MB | ${(r.parquetBytes / 1e6).toFixed(1)} MB | ${r.peakMb.toFixed(0)} MB ${r.peakMb <= LIMIT_MB ? '≤' : '>'} ${LIMIT_MB} MB |`);
    }
    out();
    out(`Lake rows: ${JSON.stringify(runs.at(-1)?.tables ?? {})}`);
  } finally {
    await s3.stop();
    await crm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
