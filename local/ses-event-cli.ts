/**
 * `npm run ses-event -- <bounce|complaint|delivery|open|click> <messageId> [--soft]` injects the SES
 * event AWS would publish for a message the running local CRM sent (its id is in the inbox at
 * http://localhost:8005/ and in the campaign's recipient ledger) into the same handler the
 * EventBridge rule targets in AWS (local/ses-event.ts). `--soft` makes a bounce transient.
 * The handler's result is the one JSON line on stdout; what it logs goes to stderr.
 */
import './sdk-warning';
import { applyEnvironment, handlerEnvironment } from './env';
import { Terminal, captureHandlerLogs, logFormat } from './logs';
import { dataDir } from './paths';
import { persistentSecret, runningCrm } from './runtime';
import { injectSesEvent, SES_EVENT_TYPES, type SesEventType } from './ses-event';

const usage = () => `Usage: npm run ses-event -- <${SES_EVENT_TYPES.join('|')}> <messageId> [--soft]\n`;

async function main(args: string[]): Promise<number> {
  const [type, messageId, ...rest] = args;
  if (!type || !messageId || !SES_EVENT_TYPES.includes(type as SesEventType) || rest.some((a) => a !== '--soft')) {
    process.stderr.write(usage());
    return 1;
  }
  const dir = dataDir();
  const running = runningCrm(dir);
  if (!running?.ses) {
    process.stderr.write('The CRM is not running: start it (npm start); the message must be in its inbox.\n');
    return 1;
  }
  const restoreStreams = captureHandlerLogs({ format: logFormat(), terminal: new Terminal(process.stderr, process.stderr) });
  try {
    applyEnvironment(handlerEnvironment({
      tableName: running.tableName,
      cursorSecret: persistentSecret(dir, 'cursor-secret'),
      endpoints: { dynamodb: running.dynamodb, events: running.events, ses: running.ses, s3: running.s3 },
    }));
    const { event, result } = await injectSesEvent(type as SesEventType, messageId, { sesEndpoint: running.ses, ...(rest.includes('--soft') ? { bounceType: 'Transient' as const } : {}) });
    process.stderr.write(`Injected "${event['detail-type']}" (${event.id}) for ${messageId}.\n`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    restoreStreams();
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`ses-event failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
