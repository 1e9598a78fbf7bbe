/**
 * `npm start`: the whole CRM on this machine, on real engines where they exist.
 *
 *   DynamoDB Local (Java) ← data in .data/dynamodb, survives restarts
 *   local SES (inbox viewer), s3rver (exports bucket, .data/s3), EventBridge stand-in (.data/events)
 *   gateway on PORT → the same handler modules Lambda runs, with payload-v2 events and JWT checks
 *   stream poller (table stream → events publisher), scheduler (schedule table → jobs handler)
 *
 * The banner (what runs where, how to get a token) is printed as soon as the API answers; the
 * demo data of a first start is created afterwards, in the background, with one progress line.
 *
 * Every setting is an environment variable, all documented in README.md ("The local runtime"):
 * ports PORT (3000), DYNAMODB_PORT (8000), SES_PORT (8005), S3_PORT (4569), EVENTS_PORT (4010), SMS_PORT (8006, the SMS sink);
 * DATA_DIR (.data), HOST (127.0.0.1), TABLE_NAME, CORS_ORIGINS (comma-separated), SEED_CUSTOMERS
 * (300; 0 = no demo data), THROTTLE_RATE / THROTTLE_BURST (per client), LOG_LEVEL (INFO),
 * LOG_FORMAT (pretty | json), APP_BASE_URL (where email links point), BUSINESS_TIME_ZONE,
 * WEBHOOK_ALLOWED_HOSTS (hosts webhooks may reach past the SSRF guard; default localhost,127.0.0.1),
 * SES_MAX_SEND_RATE, OAUTH_CALLBACK_URLS (a web client's sign-in callbacks, local/oauth.ts),
 * PROBLEM_BASE_URL (base of problem `type` URIs; default this API's /problems/).
 */
import './sdk-warning';
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_SPEC } from '../functions/data/table';
import { STAFF_ROLES } from '../functions/security/permissions';
import { registerUsers } from '../functions/notifications/profiles';
import { DEMO_USERS, resolveUser } from './demo-users';
import { JavaMissingError, checkJava, ensureTable, startDynamoDbLocal } from './engines/dynamodb';
import { startEventBus } from './engines/events';
import { startS3 } from './engines/s3';
import { startSes } from './engines/ses';
import { startSmsSink } from './engines/sms';
import { deliverInboundSms } from './sms-inbound';
import { LOCAL_ATTACHMENTS_BUCKET, LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET, LOCAL_INBOUND_BUCKET, applyEnvironment, handlerEnvironment } from './env';
import { inboundMailTarget } from './inbound-mail';
import { DEFAULT_CORS_ORIGINS, createGateway } from './gateway';
import { enforceFeatureGrants } from './iam';
import { localIssuer } from './jwt';
import { createLocalOAuth, localSignInEnvironment } from './oauth';
import { Terminal, captureHandlerLogs, clock, fieldsText, logFormat, requestLine, type LogFormat } from './logs';
import { REPO_ROOT, dataDir } from './paths';
import { portFromEnv } from './ports';
import { persistentSecret, removeRuntime, runningCrm, writeRuntime } from './runtime';
import { startScheduler } from './scheduler';
import { DEFAULT_SEED_CUSTOMERS, seedIfNeeded, type SeedResult } from './seed';
import { SEED_PHASES, SEED_USER_AGENT, type SeedPhase } from './seed-data';
import { createStreamPoller } from './stream-poller';
import { DEFAULT_LOCAL_WEBHOOK_HOSTS, webhookDeliveryTarget } from './webhook-target';
import { isExportWorkRecord } from '../functions/exports/storage';
import { isImportWorkRecord } from '../functions/imports/storage';

type Stop = () => Promise<unknown> | void;

const terminal = new Terminal();
const say = (line: string) => terminal.line(line);
const warn = (line: string) => terminal.error(line);

/** Runtime lines (scheduler, stream poller, seed): ids and numbers only, never personal data. */
const logLine = (format: LogFormat, source: string) => (entry: Record<string, unknown>) => {
  if (format === 'json') { say(JSON.stringify({ timestamp: new Date().toISOString(), source, ...entry })); return; }
  const { msg, shardId: _shard, awsRequestId: _request, ...rest } = entry;
  const fields = fieldsText(rest, new Set());
  say(`${clock()} [${source}] ${msg ?? ''}${msg && fields ? ' ' : ''}${fields}`);
};

/**
 * The seed's progress: on a terminal one line redrawn in place (a bar over the phases), otherwise
 * a line every `everyMs`.
 */
function seedProgress(everyMs = 10_000): (phase: SeedPhase, done: number, total: number) => void {
  let lastDraw = 0;
  return (phase, done, total) => {
    const now = Date.now();
    const share = (SEED_PHASES.indexOf(phase) + (total > 0 ? done / total : 1)) / SEED_PHASES.length;
    const percent = Math.floor(share * 100);
    if (terminal.tty) {
      if (now - lastDraw < 100 && done < total) return;
      lastDraw = now;
      const width = 24;
      const filled = Math.round(share * width);
      terminal.progress(`Seeding demo data [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${percent}% ${phase} ${done}/${total}`);
      return;
    }
    if (lastDraw === 0) { lastDraw = now; return; }
    if (now - lastDraw < everyMs) return;
    lastDraw = now;
    terminal.line(`Seeding demo data: ${percent}% (${phase} ${done}/${total})`);
  };
}

function seedSummary(result: SeedResult, ms: number): string {
  const parts = [`${result.contacts} contacts`];
  const sales = result.sales;
  if (sales) {
    parts.push(`${sales.products} products`, `${sales.deals} deals (${sales.won} won, ${sales.lost} lost)`, `${sales.orders} orders`, `${sales.activities} activities`, `${sales.tasks} open tasks`);
  }
  return `Seeded ${result.customers} demo customers with ${parts.join(', ')} in ${Math.round(ms / 1000)} s.`;
}

async function main(): Promise<void> {
  const stops: Stop[] = [];
  let format: LogFormat;
  try {
    format = logFormat();
  } catch (error) {
    warn((error as Error).message);
    process.exitCode = 1;
    return;
  }
  /** While seeding: no "events published" lines (the seed's own requests are never printed). */
  let seeding = false;
  let stopping: Promise<void> | undefined;
  const dir = dataDir();

  const shutdown = (reason: string, code = 0): Promise<void> => {
    stopping ??= (async () => {
      terminal.endProgress();
      say(`\nStopping (${reason})…`);
      // The CRM stops serving now: other commands (`npm run job`, `npm run token`) must not find
      // it any more, even if the engines below take longer than the forced exit allows.
      removeRuntime(dir);
      const force = setTimeout(() => { warn('Shutdown took too long; exiting.'); process.exit(1); }, 15_000);
      force.unref();
      for (const stop of stops.reverse()) {
        try { await stop(); } catch (error) { warn(`While stopping: ${error instanceof Error ? error.message : String(error)}`); }
      }
      say('Stopped.');
      process.exitCode = code;
    })();
    return stopping;
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    checkJava();
  } catch (error) {
    if (error instanceof JavaMissingError) { warn(`\n${error.message}\n`); process.exitCode = 1; return; }
    throw error;
  }

  const already = runningCrm(dir);
  if (already) {
    warn(`The CRM is already running (pid ${already.pid}) with this data directory: API at ${already.api}. Stop it first (Ctrl-C in its terminal).`);
    process.exitCode = 1;
    return;
  }

  const ports = {
    api: portFromEnv('PORT', 3000),
    dynamodb: portFromEnv('DYNAMODB_PORT', 8000),
    ses: portFromEnv('SES_PORT', 8005),
    s3: portFromEnv('S3_PORT', 4569),
    events: portFromEnv('EVENTS_PORT', 4010),
    sms: portFromEnv('SMS_PORT', 8006),
  };
  const host = process.env.HOST || '127.0.0.1';
  const tableName = process.env.TABLE_NAME || TABLE_SPEC.logicalName;
  mkdirSync(dir, { recursive: true });

  try {
    say('Starting DynamoDB Local…');
    const dynamodb = await startDynamoDbLocal({ port: ports.dynamodb, directory: join(dir, 'dynamodb') });
    stops.push(() => dynamodb.stop());
    const ses = await startSes({ port: ports.ses, host });
    stops.push(() => ses.stop());
    // The SMS sink (campaign SMS; a reply posted to /inbound goes to the sms-inbound handler).
    const sms = await startSmsSink({ port: ports.sms, host, onInbound: deliverInboundSms });
    stops.push(() => sms.stop());
    // Mail put under inbound/ of the inbound bucket (npm run mail) goes to the inbound-mail handler (local/inbound-mail.ts).
    const inbound = inboundMailTarget({ log: (e) => warn(`[inbound-mail] ${String(e.msg)} (${String(e.key)}): ${String(e.error)}`) });
    const s3 = await startS3({ port: ports.s3, host, directory: join(dir, 's3'), buckets: [LOCAL_EXPORTS_BUCKET, LOCAL_ATTACHMENTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET, LOCAL_INBOUND_BUCKET], onEvent: inbound.onEvent });
    stops.push(() => s3.stop());
    // The bus's rule: every CRM event goes to the webhooks deliverer (local/webhook-target.ts), which
    // may call receivers on this machine (WEBHOOK_ALLOWED_HOSTS; never set in AWS).
    process.env.WEBHOOK_ALLOWED_HOSTS ??= DEFAULT_LOCAL_WEBHOOK_HOSTS;
    const bus = await startEventBus({
      port: ports.events, host, file: join(dir, 'events', 'events.jsonl'),
      targets: [webhookDeliveryTarget()], log: (e) => warn(`[events] ${String(e.msg)} (${String(e.target)}, ${String(e.eventId)})`),
    });
    stops.push(() => bus.stop());

    // Before the first handler module loads.
    applyEnvironment(handlerEnvironment({
      tableName,
      stage: 'local',
      // Links in emails; by default this gateway's own app pages (local/gateway.ts, appPage).
      appBaseUrl: process.env.APP_BASE_URL || `http://localhost:${ports.api}`,
      cursorSecret: persistentSecret(dir, 'cursor-secret'),
      endpoints: { dynamodb: dynamodb.endpoint, ses: ses.endpoint, s3: s3.endpoint, events: bus.endpoint, sms: sms.endpoint },
    }));
    // The handlers' Powertools JSON becomes readable lines (or stays JSON with LOG_FORMAT=json).
    const restoreStreams = captureHandlerLogs({ format, terminal });
    stops.push(restoreStreams);
    // Handlers run as their feature's IAM role would in AWS (local/iam.ts); a refusal is also
    // reported here, because some code paths swallow errors on purpose.
    enforceFeatureGrants({ onDenied: (d) => warn(`[iam] ${d.feature} may not ${d.action}${d.leadingKeys ? ` in ${d.leadingKeys.join(', ')}` : ` on ${d.resource}`}: declare it in functions/api/features.ts`) });

    const client = dynamodb.client();
    stops.push(() => client.destroy());
    await ensureTable(client, tableName);

    const issuer = await localIssuer({ dataDir: dir });
    const throttleRate = Number(process.env.THROTTLE_RATE || 200);
    const throttleBurst = Number(process.env.THROTTLE_BURST || 400);
    const gateway = await createGateway({
      port: ports.api,
      host,
      verifier: issuer.verifier,
      portalVerifier: issuer.portalVerifier,
      cors: { allowOrigins: process.env.CORS_ORIGINS ? process.env.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean) : DEFAULT_CORS_ORIGINS },
      throttle: { ratePerSecond: throttleRate, burst: throttleBurst },
      appPages: true,
      oauth: createLocalOAuth({ issuer }),
      quiet: (req) => req.headers['user-agent'] === SEED_USER_AGENT,
      log: (e) => {
        if (e.quiet) return;
        say(format === 'json' ? JSON.stringify({ timestamp: new Date().toISOString(), source: 'api', ...e }) : requestLine(e));
      },
    });
    stops.push(() => gateway.close());
    // Sign-in endpoints, the docs client and problem `type` URIs: this gateway's own (local/oauth.ts).
    applyEnvironment(localSignInEnvironment(`http://localhost:${gateway.port}`));

    const streamLog = logLine(format, 'stream');
    const poller = createStreamPoller({
      tableName, ddb: client, endpoint: dynamodb.endpoint, stateFile: join(dir, 'stream-poller', `${tableName}.json`),
      onFailure: { endpoint: s3.endpoint, bucket: LOCAL_FAILED_EVENTS_BUCKET },
      log: (e) => { if (!seeding || e.msg !== 'events published') streamLog(e); },
    });
    poller.start();
    stops.push(() => poller.stop());
    // The export worker's mapping on the same stream (lib/constructs/export-worker.ts).
    const exportsPoller = createStreamPoller({
      tableName, ddb: client, endpoint: dynamodb.endpoint, stateFile: join(dir, 'stream-poller', `${tableName}.exports.json`),
      mapping: { feature: 'exports-worker', filter: isExportWorkRecord },
      log: (e) => { if (e.msg !== 'events published') streamLog(e); },
    });
    exportsPoller.start();
    stops.push(() => exportsPoller.stop());
    // The import worker's mapping (lib/constructs/import-worker.ts): CSV imports run chunk by chunk.
    const importsPoller = createStreamPoller({
      tableName, ddb: client, endpoint: dynamodb.endpoint, stateFile: join(dir, 'stream-poller', `${tableName}.imports.json`),
      mapping: { feature: 'imports-worker', filter: isImportWorkRecord },
      log: (e) => { if (e.msg !== 'events published') streamLog(e); },
    });
    importsPoller.start();
    stops.push(() => importsPoller.stop());

    const schedulerLog = logLine(format, 'scheduler');
    // Readable mode: the jobs handler's own line says what a run did (local/logs.ts); "scheduled"
    // and "job finished" would be a line a minute saying nothing.
    const scheduler = startScheduler({ log: (e) => { if (format === 'json' || (e.msg !== 'scheduled' && e.msg !== 'job finished')) schedulerLog(e); } });
    stops.push(() => scheduler.stop());

    const api = `http://localhost:${gateway.port}`;
    writeRuntime(dir, {
      pid: process.pid, javaPid: dynamodb.pid, startedAt: new Date().toISOString(), tableName, api,
      dynamodb: dynamodb.endpoint, ses: ses.endpoint, s3: s3.endpoint, events: bus.endpoint, sms: sms.endpoint,
    });

    // Demo users get a profile (email) so reminder emails reach them before their first call.
    await registerUsers(DEMO_USERS);

    const seedLog = logLine(format, 'seed');
    const shown = relative(REPO_ROOT, dir) || dir;
    say([
      '',
      `Serverless CRM is running (stage local, table ${tableName}, data in ${shown.startsWith('..') ? dir : shown}/)`,
      '',
      `  API            ${api}`,
      `  Docs           ${api}/docs`,
      `  Dashboard      ${api}/dashboard (paste a token: npm run --silent token -- manager)`,
      `  OpenAPI        ${api}/v1/openapi.json`,
      `  Health         ${api}/v1/health`,
      `  Email inbox    http://localhost:${ses.port}/`,
      `  SMS sink       http://localhost:${sms.port}/messages`,
      `  Domain events  http://localhost:${bus.port}/events`,
      `  DynamoDB Local http://localhost:${dynamodb.port}`,
      `  S3 (exports)   http://localhost:${s3.port}/${LOCAL_EXPORTS_BUCKET}`,
      `  Failed events  http://localhost:${s3.port}/${LOCAL_FAILED_EVENTS_BUCKET} (npm run redrive -- --local --failures)`,
      `  Inbound mail   http://localhost:${s3.port}/${LOCAL_INBOUND_BUCKET} (npm run mail -- <file.eml>)`,
      '',
      `Get a token (roles: ${STAFF_ROLES.join(', ')}; optional second argument: a user id; a portal contact's: customer <contactId>):`,
      '  TOKEN=$(npm run --silent token -- admin)',
      'Then, for example:',
      `  curl -s -H "Authorization: Bearer $TOKEN" "${api}/v1/customers?limit=5"`,
      '',
      `Logs: one line per request (LOG_FORMAT=json for the functions' JSON as in CloudWatch).`,
      'Press Ctrl-C to stop everything.',
      '',
    ].join('\n'));

    const seedCount = Number(process.env.SEED_CUSTOMERS ?? DEFAULT_SEED_CUSTOMERS);
    if (seedCount > 0) {
      // In the background: the API is usable meanwhile (the seed's requests print no lines).
      const admin = resolveUser('admin');
      const started = Date.now();
      seeding = true;
      void (async () => {
        try {
          const result = await seedIfNeeded({
            baseUrl: gateway.url,
            adminToken: await issuer.signToken({ sub: admin.id, email: admin.email, groups: ['admin'], username: admin.username }),
            tokenFor: (user) => issuer.signToken({ sub: user.id, email: user.email, groups: [user.role], username: user.username }),
            ddb: DynamoDBDocumentClient.from(client),
            tableName,
            count: seedCount,
            log: (entry) => { if (entry.msg !== 'seeded' && entry.msg !== 'seeded deals' && entry.msg !== 'seeded sales') seedLog(entry); },
            progress: seedProgress(),
          });
          terminal.endProgress();
          if (!result.skipped) say(seedSummary(result, Date.now() - started));
        } catch (error) {
          terminal.endProgress();
          if (!stopping) warn(`Demo data could not be created: ${error instanceof Error ? error.message : String(error)}. The CRM runs without it; the next start tries again.`);
        } finally {
          seeding = false;
        }
      })();
    }
  } catch (error) {
    warn(`\nStart-up failed: ${error instanceof Error ? error.message : String(error)}`);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') warn('A port is taken; set PORT, DYNAMODB_PORT, SES_PORT, S3_PORT, EVENTS_PORT or SMS_PORT to free ones.');
    await shutdown('start-up failed', 1);
  }
}

void main();
