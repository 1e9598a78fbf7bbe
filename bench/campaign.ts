/**
 * A campaign at scale on the local engines: N contacts (opted in) on a static list — plus 1 % more
 * list members that share an address with another contact (other case), which must collapse into
 * one recipient — sent by the campaigns job through a counting SES v2 stand-in, with two job runs
 * at the same time per tick (as an overlapping schedule would), each with a small time budget, until
 * the campaign is sent. Then it checks and prints:
 *
 * - duplicates: addresses that received more than one email (must be 0), and emails = recipients;
 * - DynamoDB requests, read and write units per recipient, for the whole job (materialise, claim,
 *   check, mark, complete) and split into materialising and sending — as DynamoDB Local reports
 *   them (transactions under-reported: the modelled bill is in docs/marketing.md);
 * - the achieved send rate against the configured one (the campaign's sendRatePerSecond), and the
 *   load average (on a shared machine it, not the job, sets the pace).
 *
 * Fixtures come from the project's own model code and are bulk-loaded before anything is measured
 * (below); the job itself runs exactly as the schedule runs it.
 *
 *   npm run bench:campaign                                  # 10,000 recipients at 200/s
 *   BENCH_N=1000 npm run bench:campaign                      # a smaller run on a loaded machine (≈ 5 min)
 *
 * Environment: BENCH_N (contacts, default 10000), BENCH_RATE (the campaign's send rate, default
 * 200/s; the stand-in answers at once, so the job and the database are what is measured),
 * BENCH_BUDGET_MS (budget per invocation, default 20000).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { DescribeTableCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { resetConfigForTests } from '../functions/config';
import { ItemWriter, plannedPuts } from './fixtures';
import { startLocalCrm } from './harness';

const N = Number(process.env.BENCH_N ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 20_000);
const DUPLICATES = Math.ceil(N / 100);
/** Contacts per customer (as before: customer `floor(i / 10)`; a duplicate joins its original's customer). */
const PER_CUSTOMER = 10;
/** Ticks in a row without a recipient added or an email sent before the run gives up (a stuck job, not a slow one). */
const STALLED_TICKS = 10;

const load = () => loadavg().map((l) => l.toFixed(1)).join(' / ');

async function main() {
  // A counting SES v2 stand-in: answers SendEmail with a message id at once and keeps every
  // destination, so the job and the database are what is measured, never a mail server.
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
  const crm = await startLocalCrm({ ses: `http://127.0.0.1:${(ses.address() as AddressInfo).port}` });
  const { doc, tableName, raw } = crm;
  // The account's rate (the container's limiter) above the campaign's: the campaign's rate binds.
  process.env.SES_MAX_SEND_RATE = String(RATE * 10);
  process.env.PUBLIC_API_URL = 'http://localhost:3000';
  // The harness's stage is `bench`, which (like a deployed stage) has no default sender.
  process.env.SENDER_EMAIL = 'news@bench.example.com';
  resetConfigForTests();

  // Handler modules only after the environment is set.
  const { keys, newId } = await import('../functions/data/keys');
  const { Transaction } = await import('../functions/data/transaction');
  const { auditItem } = await import('../functions/audit/audit');
  const { addContactCreation, addCustomerWrites } = await import('../functions/customers/repository');
  const { consentWrite } = await import('../functions/marketing/consent');
  const { createList, listMemberItem } = await import('../functions/marketing/segments');
  const { createTemplate } = await import('../functions/marketing/templates');
  const { createCampaign, getCampaignItem, scheduleCampaign } = await import('../functions/marketing/campaigns');
  const { runCampaigns } = await import('../functions/marketing/send');
  const { campaignReport } = await import('../functions/marketing/stats');
  const { Budget } = await import('../functions/jobs/budget');
  const { currentDbUsage, withDbUsage } = await import('../functions/data/client');
  const { TABLE_SPEC } = await import('../functions/data/table');

  // Loading (not measured) ---------------------------------------------------------------------
  // The fixtures are what the features write — customers and contacts (customers repository),
  // email consent (consentWrite), list members (listMemberItem) — planned through the project's own code and bulk-loaded with BatchWriteItem, several requests
  // in flight. DynamoDB Local writes 3–7× slower with the table's stream on (bench/export.ts), so
  // the stream is off while loading and on again before the job runs, as the deployed table has it.
  const loadStarted = performance.now();
  process.stdout.write(`Load average ${load()} (1/5/15 min) on ${N.toLocaleString('en')} contacts\n`);
  await raw.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }));
  const actor = { userId: 'bench', role: 'admin' as const, groups: ['admin'] };
  const now = new Date();
  const at = now.toISOString();
  const template = await createTemplate(actor, { name: 'Bench', subject: 'News for {{default contact.firstName "you"}}', html: '<p>Hello {{contact.firstName}}</p>', text: 'Hello' }, now);
  const list = await createList(actor, { name: 'Bench' }, now);
  const writer = new ItemWriter(doc, tableName);
  const customers = Math.ceil(N / PER_CUSTOMER);
  for (let g = 0; g < customers; g++) {
    // Contacts i of this customer, and the duplicates (same person, address in other case) of its first ones.
    const people: { i: number; email: string }[] = [];
    for (let i = g * PER_CUSTOMER; i < Math.min(N, (g + 1) * PER_CUSTOMER); i++) {
      people.push({ i, email: `p${i}@bench.example.com` });
      if (i < DUPLICATES) people.push({ i, email: `P${i}@Bench.Example.com` });
    }
    const contacts = people.map(({ i, email }) => ({
      id: newId('con'), ownerId: 'bench', firstName: `P${i}`, lastName: 'Bench', email, isPrimary: false,
      version: 1, createdAt: at, updatedAt: at, createdBy: actor.userId, updatedBy: actor.userId,
    }));
    const customer = {
      id: `cus_bench${String(g).padStart(21, '0')}`, type: 'company' as const, name: `Bench ${g}`, tags: [], ownerId: 'bench',
      contactCount: contacts.length, contactIds: new Set(contacts.map((c) => c.id)), contactsRev: 1,
      version: 1, createdAt: at, updatedAt: at, createdBy: actor.userId, updatedBy: actor.userId,
    };
    const tx = new Transaction();
    addCustomerWrites(tx, undefined, customer, auditItem({ customerId: customer.id, entityType: 'customer', entityId: customer.id, action: 'created', actor, at: now, version: 1, changes: [], timeline: true }));
    for (const c of contacts) {
      const contact = { ...c, customerId: customer.id };
      addContactCreation(tx, customer, contact, auditItem({ customerId: customer.id, entityType: 'contact', entityId: contact.id, action: 'created', actor, at: now, version: 1, changes: [] }), 50, true);
      consentWrite(tx, { contactId: contact.id, channel: 'email', from: 'unknown', to: 'opted_in', source: 'import', by: actor.userId, at });
    }
    // Counter ADDs on shared items are left out of a bulk load (plannedPuts), and so are the
    // records the job never reads — audit entries and consent history — which would double the load.
    const read = plannedPuts(tx).filter((item) => !String(item.sk).startsWith(keys.audit.prefix) && item.kind !== 'consent-change');
    await writer.push(...read, ...contacts.map((c) => listMemberItem(list.id, c.id, now, actor.userId)));
  }
  const items = await writer.close();
  await raw.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE_SPEC.stream } }));
  const stream = (await raw.send(new DescribeTableCommand({ TableName: tableName }))).Table?.StreamSpecification;
  process.stdout.write(`Loaded ${N + DUPLICATES} contacts of ${customers} customers (+${DUPLICATES} duplicate addresses) on a static list: ${items} items in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s; stream ${stream?.StreamEnabled ? `on again (${stream.StreamViewType})` : 'OFF (could not re-enable)'}\n`);

  const campaign = await createCampaign(actor, { name: 'Bench', channel: 'email', templateId: template.id, audience: { listIds: [list.id] }, consentPolicy: 'opted_in', sendRatePerSecond: RATE }, new Date());
  const campaignId = campaign.id;
  await scheduleCampaign(actor, campaignId, undefined, new Date());

  process.stdout.write(`Sending at ${RATE}/s (campaign rate; SES account ${RATE * 10}/s), two overlapping runs per tick, ${BUDGET_MS / 1000} s budget each\n`);
  type Usage = { requests: number; readUnits: number; writeUnits: number };
  const zero = (): Usage => ({ requests: 0, readUnits: 0, writeUnits: 0 });
  // Split at the tick that completed the audience: materialising, then sending (a tick doing both counts as materialising).
  const phase = { materialise: { ...zero(), ticks: 0, seconds: 0 }, send: { ...zero(), ticks: 0, seconds: 0 } };
  const started = performance.now();
  let status = 'scheduled';
  let failedRuns = 0;
  let stalled = 0;
  let audienceDone = false;
  for (let tick = 1; status !== 'sent' && stalled < STALLED_TICKS; tick++) {
    const t0 = performance.now();
    // A run that fails (DynamoDB Local's lock timeout under two overlapping transactional runs) is
    // retried by the next tick, as Lambda retries a failed invocation; what it did still counts.
    const runs = await Promise.all([0, 1].map(async () => {
      let usage: Usage = zero();
      try {
        return await withDbUsage(() => {
          usage = currentDbUsage() ?? usage;
          return runCampaigns(new Date(), { budget: Budget.ofMs(BUDGET_MS) });
        });
      } catch (err) {
        failedRuns += 1;
        return { result: { sent: 0, recipientsAdded: 0, error: (err as Error).name }, usage };
      }
    }));
    const into = audienceDone ? phase.send : phase.materialise;
    for (const { usage } of runs) {
      into.requests += usage.requests;
      into.readUnits += usage.readUnits;
      into.writeUnits += usage.writeUnits;
    }
    into.ticks += 1;
    into.seconds += (performance.now() - t0) / 1000;
    const progress = runs.reduce((n, r) => n + r.result.sent + r.result.recipientsAdded, 0);
    stalled = progress > 0 ? 0 : stalled + 1;
    const report = await campaignReport(campaignId);
    status = report.status;
    audienceDone ||= (await getCampaignItem(campaignId))?.audienceComplete === true;
    process.stdout.write(`  tick ${tick}: ${runs.map((r) => ('error' in r.result ? `failed (${r.result.error})` : `sent ${r.result.sent}, added ${r.result.recipientsAdded}`)).join(' | ')} — ${report.sent}/${report.recipients} sent, ${((performance.now() - t0) / 1000).toFixed(1)} s, load ${load()}\n`);
  }
  const seconds = (performance.now() - started) / 1000;
  const report = await campaignReport(campaignId);

  const perAddress = new Map<string, number>();
  for (const d of destinations) perAddress.set(d.toLowerCase(), (perAddress.get(d.toLowerCase()) ?? 0) + 1);
  const duplicates = [...perAddress.values()].filter((n) => n > 1).length;
  const recipients = report.recipients;
  const per = (u: Usage) => `${(u.requests / recipients).toFixed(2)} requests, ${(u.readUnits / recipients).toFixed(2)} RCU, ${(u.writeUnits / recipients).toFixed(2)} WCU`;
  const total = { requests: phase.materialise.requests + phase.send.requests, readUnits: phase.materialise.readUnits + phase.send.readUnits, writeUnits: phase.materialise.writeUnits + phase.send.writeUnits };
  const sendSeconds = sendTimes.length > 1 ? (sendTimes[sendTimes.length - 1]! - sendTimes[0]!) / 1000 : NaN;
  console.log('\nResult');
  console.log(`  recipients ${recipients} (expected ${N}) from ${N + DUPLICATES} list members; emails ${destinations.length}; addresses mailed twice (duplicates): ${duplicates}; failed runs (retried) ${failedRuns}; failed sends ${report.failed}; unknown ${report.unknown}`);
  console.log(`  DynamoDB per recipient, whole job: ${per(total)} (DynamoDB Local's report)`);
  console.log(`    materialising (${phase.materialise.ticks} ticks, ${phase.materialise.seconds.toFixed(1)} s): ${per(phase.materialise)}`);
  console.log(`    sending       (${phase.send.ticks} ticks, ${phase.send.seconds.toFixed(1)} s): ${per(phase.send)}`);
  console.log(`  send rate: achieved ${(destinations.length / sendSeconds).toFixed(1)} emails/s (first to last email, ${sendSeconds.toFixed(1)} s) against ${RATE}/s configured`);
  console.log(`  time ${seconds.toFixed(1)} s for the whole job (materialise + send), load average now ${load()}`);
  // A run that failed between a send and its mark leaves that recipient "unknown" (never resent).
  const ok = duplicates === 0 && destinations.length + report.unknown >= N && destinations.length <= N && recipients === N && report.status === 'sent';
  console.log(ok ? '\nOK: every address exactly once.' : `\nFAILED: see above${stalled >= STALLED_TICKS ? ` (no progress for ${STALLED_TICKS} ticks)` : ''}.`);
  await crm.stop();
  ses.close();
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
