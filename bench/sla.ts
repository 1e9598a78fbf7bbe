/**
 * Benchmark of the SLA job (functions/tickets/escalation.ts): DynamoDB requests and consumed
 * capacity per run with 0, 100 and 10,000 due tickets among a large number of open tickets
 * (default 100,000), against DynamoDB Local and a counting stub SES endpoint (the benchmark measures
 * the database cost, not SES).
 *
 *   npm run bench:sla -- [--tickets 100000] [--due 100,10000] [--writers 8]
 *
 * The fixture is written with BatchWriteItem (bench/fixtures.ts: `--writers` requests in flight,
 * unprocessed items retried), not through the API: 100,000 tickets are 200,000 items, minutes
 * rather than hours. A scenario with 0 due always runs first.
 *
 * Every fixture ticket is open with both SLA clocks running, stored as the tickets feature stores
 * it (ticketStored + deadlineStored: the ticket and its deadline item with the sparse due-index
 * key). The due ones of scenario k were opened (priority urgent) two business hours before the
 * scenario's run, so their first-response warning and breach have both come; all others were
 * opened a year later, so their next check lies after every run. After each scenario its tickets
 * leave the due index (as if answered), so the next scenario sees only its own.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ItemWriter, markdownTable, startSesStub } from './fixtures';
import { arg, startLocalCrm } from './harness';

const TICKETS = Number(arg('tickets', '100000'));
const DUE = arg('due', '100,10000').split(',').map(Number).filter((n) => n > 0);
const WRITERS = Number(arg('writers', '8'));
const USERS = 50;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function main() {
  if (!Number.isInteger(TICKETS) || TICKETS < 1 || DUE.some((n) => !Number.isInteger(n))) throw new Error('--tickets N --due N,N… (whole numbers)');
  if (DUE.reduce((a, b) => a + b, 0) > TICKETS) throw new Error('More due tickets than tickets');
  const benchStarted = Date.now();
  const ses = await startSesStub();
  // The stub answers at once; a high send rate keeps the limiter out of the figures.
  process.env.SES_MAX_SEND_RATE ||= '2000';
  const crm = await startLocalCrm({ ses: ses.endpoint });
  const { tableName } = crm;

  // Handler modules only after the environment is set.
  const { runSla } = await import('../functions/tickets/escalation');
  const { Budget } = await import('../functions/jobs/budget');
  const { withDbUsage } = await import('../functions/data/client');
  const { ticketStored, deadlineStored } = await import('../functions/tickets/repository');
  const { DEFAULT_SETTINGS, slaContext, targetsFor } = await import('../functions/tickets/model');
  const { startSla, nextCheckAt } = await import('../functions/tickets/sla');
  const { keys, newId } = await import('../functions/data/keys');
  const { registerUsers } = await import('../functions/notifications/profiles');
  const { doc } = crm;
  const ctx = slaContext(DEFAULT_SETTINGS);

  // Wednesdays at 12:00 UTC, a week apart: inside business hours of the default calendar in
  // European time zones; checked below for whatever zone is configured.
  const base = Date.parse('2030-01-09T12:00:00.000Z');
  const runAt = [base, ...DUE.map((_, k) => base + (k + 1) * 7 * DAY)];
  const users = Array.from({ length: USERS }, (_, i) => ({ id: `bench-agent-${i}`, email: `bench-agent-${i}@example.com`, role: 'service' }));
  await registerUsers(users);

  const ticket = (i: number, priority: 'urgent' | 'normal', openedAt: number) => {
    const at = new Date(openedAt).toISOString();
    return {
      id: newId('tkt'), subject: `Bench ticket ${i}`, channel: 'phone' as const, priority, status: 'new' as const, customerId: `cus_BENCH${String(i % 1000).padStart(21, '0')}`,
      assigneeId: users[i % USERS]!.id, sla: startSla(targetsFor(DEFAULT_SETTINGS, priority, undefined), new Date(openedAt), ctx),
      rev: 1, version: 1, createdAt: at, updatedAt: at, createdBy: 'bench', updatedBy: 'bench',
    };
  };

  console.log(`Writing ${TICKETS.toLocaleString('en')} open tickets (ticket + deadline item each, ${WRITERS} BatchWriteItem requests in flight) …`);
  const started = Date.now();
  const writer = new ItemWriter(doc, tableName, WRITERS);
  const progress = (n: number) => {
    if (n % 10_000 === 0) console.log(`  ${n.toLocaleString('en')} tickets, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  };
  const dueIds: string[][] = DUE.map(() => []);
  let i = 0;
  for (let k = 0; k < DUE.length; k++) {
    for (let n = 0; n < DUE[k]!; n++, i++) {
      const t = ticket(i, 'urgent', runAt[k + 1]! - 2 * HOUR);
      const check = nextCheckAt(t.sla);
      if (!check || check > new Date(runAt[k + 1]!).toISOString()) throw new Error(`The business calendar (${ctx.calendar.timeZone}) puts the due tickets' checks after their run; choose other run times`);
      dueIds[k]!.push(t.id);
      await writer.push(ticketStored(t), deadlineStored(t));
      progress(i + 1);
    }
  }
  const later = runAt.at(-1)! + 365 * DAY;
  for (; i < TICKETS; i++) {
    const t = ticket(i, 'normal', later);
    await writer.push(ticketStored(t), deadlineStored(t));
    progress(i + 1);
  }
  const written = await writer.close();
  const fixtureSeconds = (Date.now() - started) / 1000;
  console.log(`Fixture: ${written.toLocaleString('en')} items in ${fixtureSeconds.toFixed(0)} s (${Math.round(written / fixtureSeconds)} items/s)\n`);

  const rows: string[][] = [];
  const scenarios = [0, ...DUE];
  for (let k = 0; k < scenarios.length; k++) {
    const emailsBefore = ses.sent();
    const t0 = Date.now();
    const failures: string[] = [];
    // One run with a generous budget (not the schedule's 50 s), so each scenario is one run.
    const { result, usage } = await withDbUsage(() => runSla(new Date(runAt[k]!), { budget: Budget.ofMs(1_800_000), onItemError: (id) => failures.push(id) }));
    const ms = Date.now() - t0;
    if (result.due !== scenarios[k] || result.escalated !== scenarios[k] || result.emailFailed || failures.length) throw new Error(`Scenario ${scenarios[k]}: ${JSON.stringify(result)}`);
    const count = (c: string) => usage.commands.filter((x) => x === c).length;
    rows.push([
      scenarios[k]!.toLocaleString('en'), String(result.escalated), String(result.warnings), String(result.breaches), String(ses.sent() - emailsBefore), String(usage.requests),
      `${count('Query')} / ${count('BatchGetItem')} / ${count('TransactWriteItems')}`,
      usage.readUnits.toFixed(1), usage.writeUnits.toFixed(1),
      scenarios[k] ? (usage.requests / scenarios[k]!).toFixed(2) : '-', (ms / 1000).toFixed(1),
    ]);
    // A repeated run at the same time escalates nothing and costs one Query.
    const repeat = await withDbUsage(() => runSla(new Date(runAt[k]!), { budget: Budget.ofMs(600_000), onItemError: () => {} }));
    if (repeat.result.escalated !== 0) throw new Error('A repeated run escalated again');
    rows.at(-1)!.push(`${repeat.usage.requests} / ${repeat.usage.readUnits.toFixed(1)}`);
    // The scenario's tickets leave the due index (as if answered), so the next scenario sees only its own.
    // Parallel, as the fixture is written: 10,000 one-by-one updates would dwarf the run measured.
    if (k > 0) {
      const ids = dueIds[k - 1]!;
      for (let j = 0; j < ids.length; j += WRITERS * 4) {
        await Promise.all(ids.slice(j, j + WRITERS * 4).map((id) => doc.send(new UpdateCommand({ TableName: tableName, Key: keys.ticket.deadline(id), UpdateExpression: 'REMOVE gsi1pk, gsi1sk' }))));
      }
    }
    console.log(`  ${scenarios[k]!.toLocaleString('en')} due: ${rows.at(-1)![5]} requests, ${rows.at(-1)![10]} s`);
  }

  const header = ['due', 'escalated', 'warnings', 'breaches', 'emails', 'DDB requests', 'Query / BatchGet / TransactWrite', 'RCU', 'WCU', 'requests per due', 'seconds', 'repeat run: requests / RCU'];
  console.log(`\nSLA job per run, ${TICKETS.toLocaleString('en')} open tickets in the table (DynamoDB Local, stub SES):\n`);
  console.log(markdownTable(header, rows));
  console.log('\nRCU/WCU as DynamoDB Local reports them (on-demand capacity units; a TransactWrite is reported as 2 × the sum of its distinct items\' units, an empty Query as 0).');
  console.log(`Fixture ${fixtureSeconds.toFixed(0)} s; whole benchmark ${((Date.now() - benchStarted) / 1000).toFixed(0)} s.`);

  ses.close();
  await crm.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
