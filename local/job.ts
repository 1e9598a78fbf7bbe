/**
 * `npm run job -- <name> [--now <ISO time>]` runs one scheduled job once, as if EventBridge had
 * fired it at that time (default: now), against the local data.
 *
 * If `npm start` is running with the same data directory, the job talks to its DynamoDB Local
 * (and event bus), because two DynamoDB Local processes must not share one database file.
 * Otherwise it starts DynamoDB Local on a free port over the persisted data, runs the job and
 * stops it again.
 */
import { join } from 'node:path';
import { SCHEDULES } from '../functions/api/schedules';
import { TABLE_SPEC } from '../functions/data/table';
import { ensureTable, startDynamoDbLocal } from './engines/dynamodb';
import { type LocalSes, startSes } from './engines/ses';
import { applyEnvironment, handlerEnvironment } from './env';
import { dataDir } from './paths';
import { freePort } from './ports';
import { persistentSecret, runningCrm } from './runtime';
import { eventTime, runJob } from './scheduler';

function usage(): string {
  return `Usage: npm run job -- <name> [--now <ISO time>]\n  jobs: ${SCHEDULES.map((s) => `${s.name} (${s.expression})`).join(', ') || 'none'}\n`;
}

async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  let now = new Date();
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--now' && rest[i + 1]) {
      now = new Date(rest[++i]!);
      if (Number.isNaN(now.getTime())) { process.stderr.write(`--now: not a time: ${rest[i]}\n${usage()}`); return 1; }
    } else {
      process.stderr.write(`Unexpected argument: ${rest[i]}\n${usage()}`);
      return 1;
    }
  }
  if (!name || name === '--help' || name === '-h') { process.stderr.write(usage()); return name ? 0 : 1; }
  if (!SCHEDULES.some((s) => s.name === name)) { process.stderr.write(`Unknown job "${name}".\n${usage()}`); return 1; }

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
  try {
    applyEnvironment(handlerEnvironment({
      tableName,
      cursorSecret: persistentSecret(dir, 'cursor-secret'),
      endpoints: { dynamodb: endpoint, events: running?.events, ses: running?.ses ?? temporarySes?.endpoint, s3: running?.s3 },
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
