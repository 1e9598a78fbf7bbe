/**
 * `npm run job -- <name> [--now <ISO time>]` runs one scheduled job once, as if EventBridge had
 * fired it at that time (default: now), against the local data.
 *
 * If `npm start` is running with the same data directory, the job talks to its DynamoDB Local
 * (and event bus), because two DynamoDB Local processes must not share one database file.
 * Otherwise it starts DynamoDB Local on a free port over the persisted data, runs the job and
 * stops it again.
 *
 * The job's result is the one JSON line on stdout (pipe it to jq); what the handler logs goes to
 * stderr, readable or as JSON (LOG_FORMAT, local/logs.ts). Links in the emails it sends point at
 * the running CRM's app pages (or APP_BASE_URL).
 */
import './sdk-warning';
import { join } from 'node:path';
import type { LocalSes } from './engines/ses';

// Everything else loads after the job's name is known: `export` is held to a 256 MB process
// budget (docs/analytics.md, "Export benchmark"), and the scheduler, the handlers' loader, the
// schedules and the log capture are ≈ 25 MB of it that the export never uses.
async function usage(): Promise<string> {
  const { SCHEDULES } = await import('../functions/api/schedules');
  return `Usage: npm run job -- <name> [--now <ISO time>]\n  jobs: ${SCHEDULES.map((s) => `${s.name} (${s.expression})`).join(', ') || 'none'}, export (the analytics lake: npm run sql)\n`;
}

async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  // EventBridge passes the scheduled time to the second, and the handler takes "now" from it. A run
  // without --now rounds up to the next whole second, so that everything written before the
  // command started (a campaign scheduled "now", 400 ms ago) is due in it, as it would be on the
  // schedule's next tick; truncating would leave it for the next run.
  let now = new Date(Math.ceil(Date.now() / 1000) * 1000);
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--now' && rest[i + 1]) {
      now = new Date(rest[++i]!);
      if (Number.isNaN(now.getTime())) { process.stderr.write(`--now: not a time: ${rest[i]}\n${await usage()}`); return 1; }
    } else {
      process.stderr.write(`Unexpected argument: ${rest[i]}\n${await usage()}`);
      return 1;
    }
  }
  if (!name || name === '--help' || name === '-h') { process.stderr.write(await usage()); return name ? 0 : 1; }
  if (name === 'export') {
    // Not a Lambda job: the local stand-in for the analytics workflow (DynamoDB export → lake).
    process.stderr.write('Exporting the table and rebuilding the lake…\n');
    // Loaded only for this: the lake's modules would slow every other job's start.
    const { runLocalExport } = await import('./lake-cli');
    const result = await runLocalExport();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.stderr.write('Query it with: npm run sql -- "select tier, count(*) from customers_current group by 1"\n');
    return 0;
  }
  const [{ SCHEDULES }, { TABLE_SPEC }, { applyEnvironment, handlerEnvironment }, { dataDir }, { freePort }, { persistentSecret, runningCrm }, { eventTime, runJob }, { Terminal, captureHandlerLogs, logFormat }, { DEFAULT_LOCAL_WEBHOOK_HOSTS }] = await Promise.all([
    import('../functions/api/schedules'), import('../functions/data/table'), import('./env'), import('./paths'), import('./ports'),
    import('./runtime'), import('./scheduler'), import('./logs'), import('./webhook-target'),
  ]);
  if (!SCHEDULES.some((s) => s.name === name)) { process.stderr.write(`Unknown job "${name}".\n${await usage()}`); return 1; }

  const dir = dataDir();
  const running = runningCrm(dir);
  let stop = async () => {};
  let temporarySes: LocalSes | undefined;
  let endpoint: string;
  let tableName: string;
  if (running) {
    endpoint = running.dynamodb;
    tableName = running.tableName;
    process.stderr.write(`Using the running CRM (pid ${running.pid}).\n`);
  } else {
    // Loaded only without a running CRM: the SES stand-in alone is over half a second of CPU,
    // which every job run against `npm start` (the README's walk-throughs) would pay for nothing.
    const [{ ensureTable, startDynamoDbLocal }, { startSes }] = await Promise.all([import('./engines/dynamodb'), import('./engines/ses')]);
    const engine = await startDynamoDbLocal({ port: await freePort(), directory: join(dir, 'dynamodb') });
    // Without the running CRM there is no inbox to deliver to: a temporary local SES catches the
    // mail, and what it caught is listed when the job ends.
    const ses = await startSes();
    temporarySes = ses;
    stop = async () => {
      await ses.stop();
      await engine.stop();
    };
    endpoint = engine.endpoint;
    tableName = process.env.TABLE_NAME || TABLE_SPEC.logicalName;
    const client = engine.client();
    await ensureTable(client, tableName);
    client.destroy();
  }
  // Handler logs to stderr, so stdout carries only the result.
  const restoreStreams = captureHandlerLogs({ format: logFormat(), terminal: new Terminal(process.stderr, process.stderr) });
  try {
    // Webhook retries may reach receivers on this machine, as from `npm start` (local/webhook-target.ts).
    process.env.WEBHOOK_ALLOWED_HOSTS ??= DEFAULT_LOCAL_WEBHOOK_HOSTS;
    applyEnvironment(handlerEnvironment({
      tableName,
      appBaseUrl: process.env.APP_BASE_URL || running?.api,
      cursorSecret: persistentSecret(dir, 'cursor-secret'),
      endpoints: { dynamodb: endpoint, events: running?.events, ses: running?.ses ?? temporarySes?.endpoint, s3: running?.s3, sms: running?.sms },
    }));
    process.stderr.write(`Running ${name} as of ${eventTime(now)}…\n`);
    const result = await runJob(name, now);
    process.stdout.write(`${JSON.stringify(result ?? null)}\n`);
    if (temporarySes) {
      const sent = await temporarySes.sentEmails();
      process.stderr.write(`The CRM is not running, so ${sent.length} email(s) went to a temporary inbox${sent.length ? ':' : '.'}\n`);
      for (const mail of sent) process.stderr.write(`  ${String((mail as { subject?: unknown }).subject ?? '(no subject)')}\n`);
      process.stderr.write('Start the CRM (npm start) to keep mail in its inbox.\n');
    }
    return 0;
  } finally {
    restoreStreams();
    await stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`job failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
