/**
 * Benchmark of the reminder job: DynamoDB requests and consumed capacity per run with 0, 100 and
 * 10,000 due reminders among a large number of tasks (default 100,000), against DynamoDB Local and
 * a counting stub SES endpoint (the benchmark measures the database cost, not SES).
 *
 *   npx tsx bench/reminders.ts [--tasks 100000] [--due 100,10000]
 *
 * Each fixture task has one reminder: the "due" ones a little before the scenario's run time, all
 * others a month later, so every run sees the whole table but only its due reminders.
 */
import { ItemWriter, markdownTable, startSesStub } from './fixtures';
import { arg, startLocalCrm } from './harness';

const TASKS = Number(arg('tasks', '100000'));
const DUE = arg('due', '100,10000').split(',').map(Number);
const USERS = 50;
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

async function main() {
  if (DUE.reduce((a, b) => a + b, 0) > TASKS) throw new Error('More due reminders than tasks');
  const ses = await startSesStub();

  // The stub answers at once; a high send rate keeps the limiter out of the figures (this bench
  // measures the database cost; bench/jobs.ts shows the budget and resume behaviour).
  process.env.SES_MAX_SEND_RATE ||= '2000';
  const crm = await startLocalCrm({ ses: ses.endpoint });
  const { tableName } = crm;

  // Handler modules only after the environment is set.
  const { runReminders } = await import('../functions/tasks/reminders');
  const { Budget } = await import('../functions/jobs/budget');
  const { withDbUsage } = await import('../functions/data/client');
  const { taskStored, reminderStored } = await import('../functions/tasks/repository');
  const { newId } = await import('../functions/data/keys');
  const { registerUsers } = await import('../functions/notifications/profiles');
  const { doc } = crm;

  const base = Date.parse('2030-01-07T08:00:00.000Z');
  // Scenario k runs at base + k days; its due reminders lie in the minutes before that.
  const runAt = [base, ...DUE.map((_, k) => base + (k + 1) * DAY)];
  const users = Array.from({ length: USERS }, (_, i) => ({ id: `bench-user-${i}`, email: `bench-user-${i}@example.com`, role: 'sales' }));
  await registerUsers(users);

  console.log(`Writing ${TASKS.toLocaleString('en')} tasks with one reminder each …`);
  const started = Date.now();
  const writer = new ItemWriter(doc, tableName);
  let index = 0;
  const dueSlots: number[] = [];
  DUE.forEach((count, k) => { for (let i = 0; i < count; i++) dueSlots.push(runAt[k + 1]! - MIN - (i % 60) * 1000); });
  for (let i = 0; i < TASKS; i++) {
    const id = newId('tsk');
    const remindAt = new Date(index < dueSlots.length ? dueSlots[index]! : base + 60 * DAY + (i % 1440) * MIN).toISOString();
    index += 1;
    const createdAt = new Date(base - 30 * DAY).toISOString();
    await writer.push(taskStored({
      id, title: `Bench task ${i}`, status: 'open', priority: 'normal', dueAt: remindAt, assigneeId: users[i % USERS]!.id,
      reminders: [{ n: 1, at: remindAt }], nextReminderNo: 2, version: 1, createdAt, updatedAt: createdAt, createdBy: 'bench', updatedBy: 'bench',
    }), reminderStored({ taskId: id, n: 1, remindAt, nextAt: remindAt, status: 'pending', attempts: 0, rev: 1 }));
    if (i % 20_000 === 19_999) console.log(`  ${(i + 1).toLocaleString('en')} tasks, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  const written = await writer.close();
  const fixtureSeconds = (Date.now() - started) / 1000;
  console.log(`Fixture: ${written.toLocaleString('en')} items in ${fixtureSeconds.toFixed(0)} s\n`);

  const rows: string[][] = [];
  const scenarios = [0, ...DUE];
  for (let k = 0; k < scenarios.length; k++) {
    const emailsBefore = ses.sent();
    const t0 = Date.now();
    // One run with a generous budget (not the schedule's 50 s), so each scenario is one run.
    const { result, usage } = await withDbUsage(() => runReminders(new Date(runAt[k]!), { budget: Budget.ofMs(600_000) }));
    const ms = Date.now() - t0;
    if (result.delivered !== scenarios[k] || result.emailed !== scenarios[k]) throw new Error(`Scenario ${scenarios[k]}: ${JSON.stringify(result)}`);
    const count = (c: string) => usage.commands.filter((x) => x === c).length;
    rows.push([
      scenarios[k]!.toLocaleString('en'), String(result.delivered), String(ses.sent() - emailsBefore), String(usage.requests),
      `${count('Query')} / ${count('UpdateItem')} / ${count('BatchGetItem')} / ${count('TransactWriteItems')}`,
      usage.readUnits.toFixed(1), usage.writeUnits.toFixed(1),
      scenarios[k] ? (usage.requests / scenarios[k]!).toFixed(2) : '-', (ms / 1000).toFixed(1),
    ]);
    // A repeated run right after delivers nothing and costs one Query.
    const repeat = await withDbUsage(() => runReminders(new Date(runAt[k]!)));
    if (repeat.result.delivered !== 0) throw new Error('A repeated run delivered again');
  }

  const header = ['due', 'delivered', 'emails', 'DDB requests', 'Query / Update / BatchGet / TransactWrite', 'RCU', 'WCU', 'requests per due', 'seconds'];
  console.log(`Reminder job per run, ${TASKS.toLocaleString('en')} tasks in the table (DynamoDB Local, stub SES):\n`);
  console.log(markdownTable(header, rows));
  console.log('\nRCU/WCU as DynamoDB Local reports them (on-demand capacity units; TransactWrite counts 2 WCU per item KB).');

  ses.close();
  await crm.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
