/**
 * CSV import at scale (issue 13): writes a CSV of N customers to disk (streamed, never held in
 * memory), creates an import through the service as an admin would (POST /v1/imports), uploads the
 * file to the local S3 and starts it, then runs the import worker's steps in this process one after
 * the other — exactly the steps the stream mapping would trigger — until the import ends. Reports:
 * wall time and rows/s, DynamoDB requests and capacity units per row (the handlers' own counter,
 * functions/data/client.ts; DynamoDB Local under-reports transactions, TOOLCHAIN notes), the chunk
 * count, and the peak resident memory of this process (which also hosts the local S3, s3rver; the
 * DynamoDB Local engine is a separate Java process, not counted).
 *
 *   npm run bench:import [-- --rows 100000 --rejects 0.01 --minutes 10]
 *
 * `--minutes` is a time budget for the import itself: when it is used up, the bench stops after the
 * chunk in progress (the import stays `running`, exactly as a Lambda step that ended) and reports
 * the figures for the rows read so far. On a loaded machine that is the honest way to measure a
 * 100,000-row file: step 0 still checks the whole file, and chunks read at real byte offsets.
 *
 * 1 % of the rows are invalid (a bad email) and 0.5 % repeat an earlier row's email, so the
 * rejected-rows report is built too. Not part of `npm test`.
 */
import { createWriteStream, readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS, LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET, LOCAL_REGION } from '../local/env';
import { startS3 } from '../local/engines/s3';
import { arg, startLocalCrm } from './harness';

const ROWS = Number(arg('rows', '100000'));
const REJECTS = Number(arg('rejects', '0.01'));
const BUDGET_MS = Number(arg('minutes', '0')) * 60_000;
const out = (line = '') => process.stdout.write(`${line}\n`);

async function writeCsv(path: string): Promise<void> {
  const file = createWriteStream(path);
  const write = async (line: string) => { if (!file.write(line)) await once(file, 'drain'); };
  await write('Name,Type,Email,Phone,Tier,Street,City,Country\r\n');
  const tiers = ['A', 'B', 'C', 'D'];
  for (let i = 0; i < ROWS; i++) {
    const bad = i > 0 && i % Math.round(1 / REJECTS) === 0;
    const repeat = i % 200 === 150;
    const email = bad ? `not-an-email-${i}` : repeat ? `c${i - 1}@bench.example` : `c${i}@bench.example`;
    await write(`Customer ${i},company,${email},+49 30 ${String(1_000_000 + i)},${tiers[i % 4]},Main St ${i},Berlin,DE\r\n`);
  }
  file.end();
  await once(file, 'finish');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-bench-import-'));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  const crm = await startLocalCrm();
  const s3 = await startS3({ directory: join(dir, 's3'), buckets: [LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET] });
  process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
  try {
    const csv = join(dir, 'customers.csv');
    await writeCsv(csv);
    const bytes = statSync(csv).size;
    out(`CSV: ${ROWS} rows, ${(bytes / 1e6).toFixed(1)} MB`);

    // Handler modules only after the environment points at these engines.
    const service = await import('../functions/imports/service');
    const worker = await import('../functions/imports/worker');
    const { getJob } = await import('../functions/imports/repository');
    const { withDbUsage } = await import('../functions/data/client');
    const admin = { userId: 'bench-admin', role: 'admin' as const, groups: ['admin'] };
    const created = await service.createImport(admin, { entity: 'customers', dedupe: 'skip', mapping: { Name: 'name', Type: 'type', Email: 'email', Phone: 'phone', Tier: 'tier', Street: 'address.line1', City: 'address.city', Country: 'address.country' } }, new Date());
    const s3Client = new S3Client({ endpoint: s3.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, forcePathStyle: true });
    await s3Client.send(new PutObjectCommand({ Bucket: LOCAL_EXPORTS_BUCKET, Key: `imports/${created.id}/upload.csv`, Body: readFileSync(csv) }));
    // (The local S3 stores a streamed SDK upload in its aws-chunked framing; a client PUTs to the presigned URL instead.)
    s3Client.destroy();
    await service.startImport(admin, created.id, new Date());

    const rssBefore = process.memoryUsage().rss;
    peak = rssBefore;
    const usage = { requests: 0, readUnits: 0, writeUnits: 0 };
    let steps = 0;
    const t0 = performance.now();
    for (;;) {
      const job = await getJob(created.id);
      if (!job || (job.state !== 'queued' && job.state !== 'running')) break;
      const { usage: u } = await withDbUsage(() => worker.runStep(created.id, job.step));
      usage.requests += u.requests;
      usage.readUnits += u.readUnits;
      usage.writeUnits += u.writeUnits;
      steps += 1;
      if (steps % 20 === 0) out(`  step ${steps}: ${job.counts.read} rows read`);
      if (BUDGET_MS > 0 && performance.now() - t0 > BUDGET_MS) {
        out(`  time budget of ${BUDGET_MS / 60_000} min used up: stopped after step ${steps}`);
        break;
      }
    }
    const wallS = (performance.now() - t0) / 1000;
    const job = (await getJob(created.id))!;
    const rows = job.counts.read;
    out('');
    out(`| Rows | State | Created | Skipped | Rejected | Steps | Wall | Rows/s | DynamoDB requests/row | RCU/row | WCU/row | Peak RSS (rise) |`);
    out('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    out(`| ${rows} | ${job.state} | ${job.counts.created} | ${job.counts.skipped} | ${job.counts.rejected} | ${steps} | ${wallS.toFixed(0)} s | ${(rows / wallS).toFixed(0)} | ${(usage.requests / rows).toFixed(2)} | ${(usage.readUnits / rows).toFixed(2)} | ${(usage.writeUnits / rows).toFixed(2)} | ${(peak / 2 ** 20).toFixed(0)} MB (+${((peak - rssBefore) / 2 ** 20).toFixed(0)} MB) |`);
    if (job.error) out(`error: ${job.error}`);
    if (job.rejectedKey) {
      const { readText } = await import('../functions/imports/storage');
      const report = (await readText(job.rejectedKey)).split('\r\n');
      out(`rejected-rows report: ${report.length - 2} rows; the first: ${report.slice(1, 3).map((l) => l.split(',').slice(0, 2).join(' → ')).join(' | ')}`);
    }
  } finally {
    clearInterval(sampler);
    await s3.stop();
    await crm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
