/**
 * A campaign at scale on the local engines: N contacts (opted in) on a static list — plus 1 % more
 * list members that share an address with another contact (other case), which must collapse into
 * one recipient — sent by the campaigns job through a counting SES v2 stand-in, with two job runs
 * at the same time per tick (as an overlapping schedule would), each with a small time budget, until
 * the campaign is sent. Then it checks and prints:
 *
 * - duplicates: addresses that received more than one email (must be 0), and emails = recipients;
 * - DynamoDB requests, read and write units per recipient, for the whole job (materialise, claim,
 *   check, mark, complete) — as DynamoDB Local reports them (transactions under-reported: the
 *   modelled bill is in docs/marketing.md);
 * - the achieved send rate against the configured one (the campaign's sendRatePerSecond).
 *
 *   npm run bench:campaign                                  # 10,000 recipients at 200/s
 *   BENCH_N=2000 npm run bench:campaign                      # a smaller run on a loaded machine
 *
 * Environment: BENCH_N (contacts, default 10000), BENCH_RATE (the campaign's send rate, default
 * 200/s; the stand-in answers at once, so the job and the database are what is measured),
 * BENCH_BUDGET_MS (budget per invocation, default 20000).
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BatchWriteCommand, type BatchWriteCommandOutput, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamoDbLocal } from '../local/engines/dynamodb';
import { applyEnvironment, handlerEnvironment } from '../local/env';
import { freePort } from '../local/ports';

const N = Number(process.env.BENCH_N ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 20_000);
const DUPLICATES = Math.ceil(N / 100);

async function main() {
  // A counting SES v2 stand-in: answers SendEmail with a message id and keeps every destination.
  const destinations: string[] = [];
  const sendTimes: number[] = [];
  const ses = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { Destination?: { ToAddresses?: string[] } };
      destinations.push(...(body.Destination?.ToAddresses ?? []));
      sendTimes.push(performance.now());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ MessageId: `bench-${destinations.length}` }));
    });
  });
  await new Promise<void>((done) => ses.listen(0, '127.0.0.1', done));

  const engine = await startDynamoDbLocal({ port: await freePort() });
  const tableName = `crm-bench-campaign-${randomBytes(3).toString('hex')}`;
  const raw = engine.client();
  await ensureTable(raw, tableName);
  applyEnvironment(handlerEnvironment({
    tableName, stage: 'local', cursorSecret: 'bench-campaign-secret', logLevel: 'ERROR',
    endpoints: { dynamodb: engine.endpoint, ses: `http://127.0.0.1:${(ses.address() as AddressInfo).port}` },
  }));
  // The account's rate (the container's limiter) above the campaign's: the campaign's rate binds.
  process.env.SES_MAX_SEND_RATE = String(RATE * 10);
  process.env.PUBLIC_API_URL = 'http://localhost:3000';
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });

  // Handler modules only after the environment is set.
  const { keys, newId } = await import('../functions/data/keys');
  const { storedCampaign } = await import('../functions/marketing/campaigns');
  const { runCampaigns } = await import('../functions/marketing/send');
  const { campaignReport } = await import('../functions/marketing/stats');
  const { Budget } = await import('../functions/jobs/budget');
  const { withDbUsage } = await import('../functions/data/client');

  const at = new Date().toISOString();
  const listId = newId('lst');
  const templateId = newId('tpl');
  const items: Record<string, unknown>[] = [
    { ...keys.mailingList.primary(listId), kind: 'mailing-list', id: listId, name: 'Bench', version: 1, createdAt: at, updatedAt: at, createdBy: 'bench', updatedBy: 'bench' },
    { ...keys.template.primary(templateId), kind: 'template', id: templateId, name: 'Bench', subject: 'News for {{default contact.firstName "you"}}', html: '<p>Hello {{contact.firstName}}</p>', text: 'Hello', version: 1, createdAt: at, updatedAt: at, createdBy: 'bench', updatedBy: 'bench' },
  ];
  const contact = (i: number, email: string) => {
    const id = newId('con');
    const customerId = `cus_bench${String(Math.floor(i / 10)).padStart(21, '0')}`;
    items.push(
      { ...keys.contact.primary(id), kind: 'contact', id, customerId, ownerId: 'bench', firstName: `P${i}`, lastName: 'Bench', email },
      { ...keys.consent.primary(id, 'email'), kind: 'consent', contactId: id, channel: 'email', status: 'opted_in', source: 'import', at, by: 'bench', version: 1 },
      { ...keys.mailingList.member(listId, id), kind: 'list-member', contactId: id, addedAt: at, addedBy: 'bench' },
    );
    if (i % 10 === 0) items.push({ ...keys.customer.primary(customerId), kind: 'customer', id: customerId, name: `Bench ${i / 10}`, ownerId: 'bench' });
  };
  for (let i = 0; i < N; i++) contact(i, `p${i}@bench.example.com`);
  // The same person twice (another contact, the address in other case): one recipient.
  for (let i = 0; i < DUPLICATES; i++) contact(i, `P${i}@Bench.Example.com`);
  process.stdout.write(`Loading ${N.toLocaleString('en')} contacts (+${DUPLICATES} duplicate addresses) on a static list…\n`);
  for (let i = 0; i < items.length; i += 25) {
    let batch: Record<string, unknown>[] | undefined = items.slice(i, i + 25);
    while (batch?.length) {
      const out: BatchWriteCommandOutput = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: batch.map((Item) => ({ PutRequest: { Item } })) } }));
      batch = out.UnprocessedItems?.[tableName]?.map((r) => r.PutRequest!.Item! as Record<string, unknown>);
    }
  }

  const campaignId = newId('cmp');
  await doc.send(new PutCommand({ TableName: tableName, Item: storedCampaign({
    id: campaignId, name: 'Bench', channel: 'email', templateId, audience: { segmentIds: [], listIds: [listId] }, consentPolicy: 'opted_in',
    sendRatePerSecond: RATE, status: 'scheduled', sendAt: at, audienceComplete: false, audienceStep: 0, version: 1,
    createdAt: at, updatedAt: at, createdBy: 'bench', updatedBy: 'bench',
  }) }));

  process.stdout.write(`Sending at ${RATE}/s (campaign rate), two overlapping runs per tick, ${BUDGET_MS / 1000} s budget each\n`);
  const total = { requests: 0, readUnits: 0, writeUnits: 0 };
  const started = performance.now();
  let status = 'scheduled';
  let failedRuns = 0;
  for (let tick = 1; status !== 'sent' && tick <= 200; tick++) {
    const t0 = performance.now();
    // A run that fails (DynamoDB Local's lock timeout under two overlapping transactional runs) is
    // retried by the next tick, as Lambda retries a failed invocation; what it did still counts.
    const runs = await Promise.all([0, 1].map(async () => {
      const usage = { requests: 0, readUnits: 0, writeUnits: 0, commands: [] as string[] };
      try {
        return await withDbUsage(() => runCampaigns(new Date(), { budget: Budget.ofMs(BUDGET_MS) }));
      } catch (err) {
        failedRuns += 1;
        return { result: { sent: 0, recipientsAdded: 0, error: (err as Error).name }, usage };
      }
    }));
    for (const { usage } of runs) {
      total.requests += usage.requests;
      total.readUnits += usage.readUnits;
      total.writeUnits += usage.writeUnits;
    }
    const report = await campaignReport(campaignId);
    status = report.status;
    process.stdout.write(`  tick ${tick}: ${runs.map((r) => ('error' in r.result ? `failed (${r.result.error})` : `sent ${r.result.sent}, added ${r.result.recipientsAdded}`)).join(' | ')} — ${report.sent}/${report.recipients} sent, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  const report = await campaignReport(campaignId);

  const perAddress = new Map<string, number>();
  for (const d of destinations) perAddress.set(d.toLowerCase(), (perAddress.get(d.toLowerCase()) ?? 0) + 1);
  const duplicates = [...perAddress.values()].filter((n) => n > 1).length;
  const recipients = report.recipients;
  const per = (n: number) => (n / recipients).toFixed(2);
  console.log('\nResult');
  console.log(`  recipients ${recipients} (expected ${N}), emails ${destinations.length}, addresses mailed twice: ${duplicates}, failed runs (retried) ${failedRuns}, unknown ${report.unknown}`);
  console.log(`  DynamoDB per recipient: ${per(total.requests)} requests, ${per(total.readUnits)} RCU, ${per(total.writeUnits)} WCU (DynamoDB Local's report)`);
  const sendSeconds = sendTimes.length > 1 ? (sendTimes[sendTimes.length - 1]! - sendTimes[0]!) / 1000 : NaN;
  console.log(`  time ${seconds.toFixed(1)} s for the whole job (materialise + send); sending ${sendSeconds.toFixed(1)} s: achieved ${(destinations.length / sendSeconds).toFixed(1)} emails/s against ${RATE}/s configured`);
  // A run that failed between a send and its mark leaves that recipient "unknown" (never resent).
  const ok = duplicates === 0 && destinations.length + report.unknown >= N && destinations.length <= N && recipients === N && report.status === 'sent';
  console.log(ok ? '\nOK: every address exactly once.' : '\nFAILED: see above.');
  await engine.stop();
  ses.close();
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
