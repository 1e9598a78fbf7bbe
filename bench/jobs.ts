/**
 * Jobs at scale: N due reminders and N due service anniversaries in a fresh DynamoDB Local table,
 * worked off by the jobs handler with a small time budget per invocation, so it takes several
 * invocations — as the schedule (reminders, every minute) and the continue-jobs tick (daily jobs)
 * would make them in AWS. Prints progress per invocation, then checks that everything was done
 * exactly once: emails counted by a stub SES endpoint (distinct subjects), notifications counted
 * per user, service tasks counted per customer against the assets' rule guard items (read by
 * key: one per asset, each naming a distinct task), nothing left in the due indexes.
 *
 *   npm run bench:jobs                      # quick: BENCH_N=2000, 5 s per invocation
 *   BENCH_N=100000 BENCH_BUDGET_MS=20000 npm run bench:jobs   # the figures in the docs
 *
 * Environment: BENCH_N (items per scenario, default 2000), BENCH_BUDGET_MS (budget per invocation,
 * default 5000; the 100,000 figures in the docs used 20000), BENCH_SES_RATE (send rate, default 500/s: the stub answers at once; what is
 * measured is the job and the database), BENCH_JOBS (`reminders,service-anniversaries`).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamoDbLocal } from '../local/engines/dynamodb';
import { applyEnvironment, handlerEnvironment } from '../local/env';
import { freePort } from '../local/ports';

const N = Number(process.env.BENCH_N ?? 2000);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 5_000);
const SES_RATE = process.env.BENCH_SES_RATE ?? '500';
const JOBS = (process.env.BENCH_JOBS ?? 'reminders,service-anniversaries').split(',');
const USERS = 50;
const PER_CUSTOMER = 100;
const DAY = 86_400_000;

type Doc = DynamoDBDocumentClient;

async function main() {
  // A counting SES v2 stand-in: answers SendEmail with a message id and keeps every subject.
  const subjects: string[] = [];
  const ses = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { Content?: { Simple?: { Subject?: { Data?: string } } } };
      subjects.push(body.Content?.Simple?.Subject?.Data ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ MessageId: `bench-${subjects.length}` }));
    });
  });
  await new Promise<void>((done) => ses.listen(0, '127.0.0.1', done));

  const engine = await startDynamoDbLocal({ port: await freePort() });
  const tableName = `crm-bench-jobs-${randomBytes(3).toString('hex')}`;
  const raw = engine.client();
  await ensureTable(raw, tableName);
  applyEnvironment(handlerEnvironment({
    tableName, stage: 'local', cursorSecret: 'bench', logLevel: 'ERROR',
    endpoints: { dynamodb: engine.endpoint, ses: `http://127.0.0.1:${(ses.address() as AddressInfo).port}` },
  }));
  process.env.SES_MAX_SEND_RATE = SES_RATE;
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });

  // Handler modules only after the environment is set.
  const { handler } = await import('../functions/jobs/handler');
  const { SAFETY_MARGIN_MS } = await import('../functions/jobs/budget');
  const { withDbUsage } = await import('../functions/data/client');
  const context = { getRemainingTimeInMillis: () => SAFETY_MARGIN_MS + BUDGET_MS };
  const invoke = (job: string, time: Date) => withDbUsage(() => handler({ job, time: time.toISOString() }, context));

  console.log(`Jobs at scale: ${N.toLocaleString('en')} due items per scenario, budget ${BUDGET_MS / 1000} s per invocation, DynamoDB Local, stub SES at ${SES_RATE}/s\n`);
  const summaries: string[] = [];
  // Reminders at an earlier time than the anniversary run, so the rule tasks' own reminders stay out.
  const reminderTime = new Date('2030-01-07T08:00:00.000Z');
  const anniversaryTime = new Date('2030-01-10T12:00:00.000Z');

  if (JOBS.includes('reminders')) {
    await loadReminders(doc, tableName, reminderTime);
    const runs = await invokeUntilDone('reminders', () => invoke('reminders', reminderTime), (r) => `emailed ${r.emailed}, released ${r.released}, skipped ${r.skipped}`);
    const notifications = await countNotifications(doc, tableName);
    const left = await countDue(doc, tableName, 'gsi1', 'gsi1pk', 'REMINDERS#PENDING', `${reminderTime.toISOString()}#~`);
    const distinct = new Set(subjects).size;
    check(subjects.length === N && distinct === N, `emails: ${subjects.length} sent, ${distinct} distinct, ${N} expected`);
    check(notifications === N, `notifications: ${notifications}, ${N} expected`);
    check(left === 0, `reminders still due: ${left}`);
    summaries.push(summary('reminders', runs, `${subjects.length.toLocaleString('en')} emails (${distinct.toLocaleString('en')} distinct), ${notifications.toLocaleString('en')} notifications, 0 left due`));
  }

  if (JOBS.includes('service-anniversaries')) {
    const { customers, assets, anniversary } = await loadAssets(doc, tableName, anniversaryTime);
    const first = await invoke('service-anniversaries', anniversaryTime);
    const runs: Run[] = [{ ...first, ms: Number(first.result.durationMs) }];
    report('service-anniversaries', 1, runs[0]!, (r) => `created ${r.created}`);
    // The continue-jobs tick, every five minutes in AWS, back to back here.
    let tick = 0;
    for (let t = anniversaryTime.getTime() + 5 * 60_000; runs.at(-1)!.result.more; t += 5 * 60_000) {
      const next = await invoke('continue-jobs', new Date(t));
      runs.push({ ...next, ms: Number(next.result.durationMs) });
      report('continue-jobs', ++tick + 1, runs.at(-1)!, (r) => `continued ${(r.continued as string[]).join(', ')}`);
      if (tick > 10_000) throw new Error('The daily job never finished');
    }
    const tasks = await countServiceTasks(doc, tableName, customers);
    const guards = await guardTaskIds(assets, anniversary);
    const left = await countDue(doc, tableName, 'gsi2', 'gsi2pk', 'ASSETS#SERVICE', '2030-01-24#~');
    check(tasks === N && guards.found === N && guards.distinctTasks === N, `tasks ${tasks}, guard items ${guards.found} naming ${guards.distinctTasks} distinct tasks, ${N} expected`);
    check(left === 0, `assets still due: ${left}`);
    summaries.push(summary('service-anniversaries + continue-jobs', runs, `${tasks.toLocaleString('en')} tasks = ${guards.found.toLocaleString('en')} guard items, 0 assets left due`));
  }

  console.log(`\n| job | invocations | items | DynamoDB requests | requests per item | seconds | exactly once |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const line of summaries) console.log(line);

  ses.close();
  raw.destroy();
  await engine.stop();
}

interface Run {
  result: Record<string, any>;
  usage: { requests: number; commands: string[] };
  ms: number;
}

async function invokeUntilDone(job: string, invoke: () => Promise<Omit<Run, 'ms'>>, describe: (r: Record<string, any>) => string): Promise<Run[]> {
  const runs: Run[] = [];
  for (let i = 1; ; i++) {
    const run = await invoke();
    runs.push({ ...run, ms: Number(run.result.durationMs) });
    report(job, i, runs.at(-1)!, describe);
    if (!run.result.more) return runs;
    if (i > 10_000) throw new Error(`${job} never finished`);
  }
}

let processedSoFar = 0;
function report(job: string, n: number, run: Run, describe: (r: Record<string, any>) => string) {
  processedSoFar = n === 1 ? 0 : processedSoFar;
  processedSoFar += Number(run.result.processed);
  console.log(`  ${job} #${n}: processed ${run.result.processed} (total ${processedSoFar.toLocaleString('en')}), ${describe(run.result)}, more ${run.result.more}, ${run.usage.requests} requests, ${(run.ms / 1000).toFixed(1)} s`);
}

function summary(job: string, runs: Run[], onceNote: string): string {
  const requests = runs.reduce((n, r) => n + r.usage.requests, 0);
  const seconds = runs.reduce((n, r) => n + r.ms, 0) / 1000;
  return `| ${job} | ${runs.length} | ${N.toLocaleString('en')} | ${requests.toLocaleString('en')} | ${(requests / N).toFixed(2)} | ${seconds.toFixed(0)} | ${onceNote} |`;
}

function check(ok: boolean, message: string) {
  if (!ok) throw new Error(`Check failed: ${message}`);
  console.log(`  ok: ${message}`);
}

async function batchWrite(doc: Doc, tableName: string, items: Record<string, unknown>[]) {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  for (let i = 0; i < batches.length; i += 16) {
    await Promise.all(batches.slice(i, i + 16).map(async (batch) => {
      let request: Record<string, any> | undefined = { [tableName]: batch.map((Item) => ({ PutRequest: { Item } })) };
      while (request && Object.keys(request).length) {
        const out: { UnprocessedItems?: Record<string, any> } = await doc.send(new BatchWriteCommand({ RequestItems: request }));
        request = out.UnprocessedItems;
      }
    }));
  }
}

/** N open tasks with one reminder each, all due a little before `at`, for 50 users with email profiles. */
async function loadReminders(doc: Doc, tableName: string, at: Date) {
  const { taskStored, reminderStored } = await import('../functions/tasks/repository');
  const { newId } = await import('../functions/data/keys');
  const { registerUsers } = await import('../functions/notifications/profiles');
  const users = Array.from({ length: USERS }, (_, i) => ({ id: `bench-user-${i}`, email: `bench-user-${i}@example.com`, role: 'sales' }));
  await registerUsers(users);
  const started = Date.now();
  const createdAt = new Date(at.getTime() - 30 * DAY).toISOString();
  for (let from = 0; from < N; from += 10_000) {
    const items: Record<string, unknown>[] = [];
    for (let i = from; i < Math.min(N, from + 10_000); i++) {
      const id = newId('tsk');
      const remindAt = new Date(at.getTime() - 60_000 - (i % 3600) * 1000).toISOString();
      items.push(taskStored({
        id, title: `Bench task ${i}`, status: 'open', priority: 'normal', dueAt: remindAt, assigneeId: users[i % USERS]!.id,
        reminders: [{ n: 1, at: remindAt }], nextReminderNo: 2, version: 1, createdAt, updatedAt: createdAt, createdBy: 'bench', updatedBy: 'bench',
      }));
      items.push(reminderStored({ taskId: id, n: 1, remindAt, nextAt: remindAt, status: 'pending', attempts: 0, rev: 1 }));
    }
    await batchWrite(doc, tableName, items);
  }
  console.log(`Loaded ${N.toLocaleString('en')} tasks with a due reminder (BatchWrite) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Service rules, N/100 customers (through the customers repository) and N assets whose anniversary lies 5 days after `at`. */
async function loadAssets(doc: Doc, tableName: string, at: Date) {
  const { putServiceRules } = await import('../functions/settings/service');
  const { saveCustomer } = await import('../functions/customers/repository');
  const { auditItem } = await import('../functions/audit/audit');
  const { assetStored } = await import('../functions/assets/repository');
  const { SYSTEM_PRINCIPAL } = await import('../functions/tasks/service');
  const { newId } = await import('../functions/data/keys');
  const { mapLimit } = await import('../functions/jobs/concurrency');
  const started = Date.now();
  const createdAt = new Date(at.getTime() - 60 * DAY);
  await putServiceRules(SYSTEM_PRINCIPAL, { categories: [{ category: 'washing-machine', intervalMonths: 24 }], tierIntervalMonths: {}, leadDays: 14, assignTo: 'owner', dormancyDays: {} }, undefined, createdAt);
  const customers = Array.from({ length: Math.max(1, Math.ceil(N / PER_CUSTOMER)) }, () => newId('cus'));
  await mapLimit(customers, 8, async (id) => {
    const item = {
      id, type: 'company' as const, name: `Bench customer ${id.slice(-6)}`, tier: 'B', tags: [], ownerId: `bench-user-${id.charCodeAt(id.length - 1) % USERS}`,
      contactCount: 0, contactsRev: 0, version: 1, createdAt: createdAt.toISOString(), updatedAt: createdAt.toISOString(), createdBy: 'bench', updatedBy: 'bench',
    };
    await saveCustomer(undefined, item, auditItem({ customerId: id, entityType: 'customer', entityId: id, action: 'created', actor: SYSTEM_PRINCIPAL, at: createdAt, version: 1, changes: [], timeline: true }));
  });
  const anniversary = new Date(at.getTime() + 5 * DAY).toISOString().slice(0, 10);
  const purchase = `${Number(anniversary.slice(0, 4)) - 2}${anniversary.slice(4)}`;
  const assets: string[] = [];
  for (let from = 0; from < N; from += 10_000) {
    const items: Record<string, unknown>[] = [];
    for (let i = from; i < Math.min(N, from + 10_000); i++) {
      assets.push(newId('ast'));
      items.push(assetStored({
        id: assets[i]!, customerId: customers[Math.floor(i / PER_CUSTOMER)]!, productName: `Washer ${i}`, category: 'washing-machine',
        purchaseDate: purchase, serviceHandledThrough: createdAt.toISOString().slice(0, 10), nextServiceOn: anniversary,
        rev: 1, version: 1, createdAt: createdAt.toISOString(), updatedAt: createdAt.toISOString(), createdBy: 'bench', updatedBy: 'bench',
      }, false));
    }
    await batchWrite(doc, tableName, items);
  }
  console.log(`Loaded ${customers.length.toLocaleString('en')} customers (transactions) and ${N.toLocaleString('en')} assets due for service (BatchWrite) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { customers, assets, anniversary };
}

/** Notifications of the bench users: one COUNT Query per user partition. */
async function countNotifications(doc: Doc, tableName: string): Promise<number> {
  const { keys } = await import('../functions/data/keys');
  let count = 0;
  for (let u = 0; u < USERS; u++) count += await countQuery(doc, { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.notification.partition(`bench-user-${u}`) } });
  return count;
}

/** Open service tasks of the bench customers: one COUNT Query per customer on its task index. */
async function countServiceTasks(doc: Doc, tableName: string, customers: string[]): Promise<number> {
  const { keys } = await import('../functions/data/keys');
  const { mapLimit } = await import('../functions/jobs/concurrency');
  const counts = await mapLimit(customers, 8, (id) => countQuery(doc, {
    TableName: tableName, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk', FilterExpression: 'begins_with(sourceKey, :src)',
    ExpressionAttributeValues: { ':pk': keys.task.customerPartition(id, 'open'), ':src': 'anniversary#' },
  }));
  return counts.reduce((a, b) => a + b, 0);
}

/** The rule guard item of every asset's anniversary, read by key, and how many distinct tasks they name. */
async function guardTaskIds(assets: string[], anniversary: string): Promise<{ found: number; distinctTasks: number }> {
  const { keys } = await import('../functions/data/keys');
  const { batchGetItems } = await import('../functions/jobs/batch-get');
  const items = await batchGetItems(assets.map((id) => keys.task.ruleGuard(`anniversary#${id}#${anniversary}`)));
  return { found: items.length, distinctTasks: new Set(items.map((i) => i.taskId)).size };
}

async function countQuery(doc: Doc, input: Record<string, any>): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new QueryCommand({ ...input, Select: 'COUNT', ExclusiveStartKey: startKey } as any));
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return count;
}

async function countDue(doc: Doc, tableName: string, index: string, pkName: string, pk: string, upto: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  const sk = `${pkName.slice(0, 4)}sk`;
  do {
    const out = await doc.send(new QueryCommand({
      TableName: tableName, IndexName: index, Select: 'COUNT', KeyConditionExpression: '#pk = :pk AND #sk <= :upto',
      ExpressionAttributeNames: { '#pk': pkName, '#sk': sk }, ExpressionAttributeValues: { ':pk': pk, ':upto': upto }, ExclusiveStartKey: startKey,
    }));
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return count;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
