/**
 * `npm run replay:marketing` replays what marketing's dead-letter queues hold, through the same code
 * the functions run, so a replay is exactly the first delivery. It is an operator action, not a
 * request path (docs/marketing.md, "Replaying failed events").
 *
 *   npm run replay:marketing -- ses-events  <file> [--dry-run] [--local]
 *   npm run replay:marketing -- sms-inbound <file> [--dry-run] [--local]
 *   npm run replay:marketing -- campaigns   [--local]
 *
 * <file> holds the dead letters as saved with the AWS CLI (`aws sqs receive-message … > file`:
 * `{"Messages": [{"Body": "…"}]}`), or a JSON array, or one JSON value per line, of message bodies:
 * - ses-events: the EventBridge events of the campaign configuration set (the rule's DLQ holds the
 *   event itself); each is applied by `applySesEvent` (functions/marketing/feedback.ts);
 * - sms-inbound: the SNS events (a Lambda asynchronous-invocation DLQ holds the event) or the bare
 *   End User Messaging inbound messages; each STOP is applied by `handleInbound`;
 * - campaigns: no file — one run of the campaigns job, which continues every due campaign from
 *   its ledger (a failed scheduled run leaves nothing else to replay).
 *
 * Safe to repeat: every effect is conditional. An SES event already counted finds its ledger field
 * set (`duplicate`); a STOP for a contact already opted out changes nothing (`already`); the
 * campaigns job claims only pending recipients, so nobody is sent twice. Replaying a file twice
 * changes nothing the second time.
 *
 * In AWS the table comes from --table or TABLE_NAME (stack output TableName) and credentials from
 * the usual chain; --local uses the running `npm start` instead.
 */
import { applyEnvironment, handlerEnvironment } from '../local/env';
import { dataDir } from '../local/paths';
import { persistentSecret, runningCrm } from '../local/runtime';
import { runIfInvoked } from './cli';

export const REPLAY_KINDS = ['ses-events', 'sms-inbound', 'campaigns'] as const;
export type ReplayKind = (typeof REPLAY_KINDS)[number];

export const USAGE = `Usage:
  npm run replay:marketing -- ses-events  <file> [--dry-run] [--local] [--table T]
  npm run replay:marketing -- sms-inbound <file> [--dry-run] [--local] [--table T]
  npm run replay:marketing -- campaigns [--local]
<file>: \`aws sqs receive-message\` output, a JSON array or JSON lines of message bodies.`;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * A message body: parsed when it is JSON text (an SQS Body), else as it is. A Lambda on-failure
 * destination record (the failure queue's messages: `requestPayload` is the event the function
 * failed on) is unwrapped to that event.
 */
const body = (value: unknown): unknown => unwrapFailure(typeof value === 'string' ? parseJson(value) : value);
const unwrapFailure = (value: unknown): unknown =>
  isRecord(value) && 'requestPayload' in value && isRecord(value.requestContext) ? value.requestPayload : value;

/** The dead letters of a saved file: SQS receive-message output, a JSON array or JSON lines. */
export function deadLetters(text: string): unknown[] {
  const whole = parseJson(text);
  const values = whole === undefined
    ? text.split('\n').map((l) => l.trim()).filter(Boolean).map(parseJson)
    : Array.isArray(whole) ? whole : [whole];
  return values.flatMap((v) => {
    if (isRecord(v) && Array.isArray(v.Messages)) return v.Messages.map((m: unknown) => body(isRecord(m) ? m.Body : undefined));
    if (isRecord(v) && 'Body' in v && !('detail' in v)) return [body(v.Body)];
    return [unwrapFailure(v)];
  });
}

export type ReplayOutcomes = Record<string, number>;

function add(outcomes: ReplayOutcomes, key: string, n = 1): void {
  outcomes[key] = (outcomes[key] ?? 0) + n;
}

/** Replays the dead letters through the functions' own code; the outcome of each, counted. */
export async function replay(kind: ReplayKind, letters: readonly unknown[], now: Date, options: { dryRun?: boolean } = {}): Promise<ReplayOutcomes> {
  const outcomes: ReplayOutcomes = {};
  if (kind === 'campaigns') {
    if (options.dryRun) return { 'would-run': 1 };
    const { runCampaigns } = await import('../functions/marketing/send');
    const result = await runCampaigns(now);
    add(outcomes, 'sent', result.sent);
    add(outcomes, 'completed', result.completed);
    add(outcomes, 'unconfirmed', result.unconfirmed);
    return outcomes;
  }
  if (kind === 'ses-events') {
    const { applySesEvent, isSesEventDetail } = await import('../functions/marketing/feedback');
    for (const letter of letters) {
      const detail = isRecord(letter) ? letter.detail : undefined;
      if (!isSesEventDetail(detail)) { add(outcomes, 'unreadable'); continue; }
      if (options.dryRun) { add(outcomes, 'would-apply'); continue; }
      add(outcomes, (await applySesEvent(detail, now)).outcome);
    }
    return outcomes;
  }
  const { handleInbound, parseInbound } = await import('../functions/marketing/sms-inbound');
  for (const letter of letters) {
    // An SNS event (the Lambda DLQ's body) carries the inbound messages in its records.
    const records = isRecord(letter) && Array.isArray(letter.Records) ? letter.Records : [letter];
    for (const record of records) {
      const sns = isRecord(record) && isRecord(record.Sns) ? record.Sns.Message : undefined;
      const message = typeof sns === 'string' ? parseInbound(sns) : isRecord(record) ? parseInbound(JSON.stringify(record)) : undefined;
      if (!message?.originationNumber) { add(outcomes, 'unreadable'); continue; }
      if (options.dryRun) { add(outcomes, 'would-apply'); continue; }
      add(outcomes, await handleInbound(message, now));
    }
  }
  return outcomes;
}

async function main(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const tableAt = rest.indexOf('--table');
  const table = tableAt >= 0 ? rest[tableAt + 1] : process.env.TABLE_NAME;
  const file = rest.find((a, i) => !a.startsWith('--') && rest[i - 1] !== '--table');
  const kindOk = REPLAY_KINDS.find((k) => k === kind);
  if (!kindOk || (kindOk !== 'campaigns' && !file)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (flags.has('--local')) {
    const dir = dataDir();
    const running = runningCrm(dir);
    if (!running) {
      process.stderr.write('The CRM is not running: start it (npm start).\n');
      return 1;
    }
    applyEnvironment(handlerEnvironment({
      tableName: running.tableName,
      cursorSecret: persistentSecret(dir, 'cursor-secret'),
      endpoints: { dynamodb: running.dynamodb, events: running.events, ses: running.ses, s3: running.s3 },
    }));
  } else if (!table) {
    process.stderr.write('Name the table: --table T or TABLE_NAME (stack output TableName), or --local.\n');
    return 2;
  } else {
    process.env.TABLE_NAME = table;
  }
  const { readFileSync } = await import('node:fs');
  const letters = file ? deadLetters(readFileSync(file, 'utf8')) : [];
  const outcomes = await replay(kindOk, letters, new Date(), { dryRun: flags.has('--dry-run') });
  process.stdout.write(`${JSON.stringify({ kind: kindOk, letters: letters.length, outcomes })}\n`);
  return outcomes.unreadable ? 1 : 0;
}

runIfInvoked(import.meta.url, 'replay:marketing', main);
