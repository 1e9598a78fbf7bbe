/**
 * The CRM running in-process for integration tests: the real handler modules behind the local
 * gateway on a free port, against DynamoDB Local (the run's shared engine from global-setup.ts,
 * or a private one when that setup is absent) with a table of its own, the EventBridge stand-in,
 * and optionally local SES and S3.
 *
 * Environment variables are process-wide and handler modules cache their configuration, so a test
 * file should run one stack at a time (start it in beforeAll, stop it in afterAll). Vitest gives
 * every test file its own process and module graph, so files do not interfere.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { engineEndpoint, signingKeyDir } from './engine';
import { resetConfigForTests } from '../../functions/config';
import type { Role } from '../../functions/security/permissions';
import { resolveUser } from '../../local/demo-users';
import { ensureTable, startDynamoDbLocal, type DynamoDbLocal } from '../../local/engines/dynamodb';
import { startEventBus } from '../../local/engines/events';
import type { LocalSes } from '../../local/engines/ses';
import { startSmsSink, type InboundSmsMessage, type LocalSms, type SmsMessage } from '../../local/engines/sms';
import { deliverInboundSms } from '../../local/sms-inbound';
import { applyEnvironment, handlerEnvironment, LOCAL_ATTACHMENTS_BUCKET, LOCAL_CREDENTIALS, LOCAL_EXPORTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET, LOCAL_INBOUND_BUCKET, LOCAL_REGION } from '../../local/env';
import { inboundMailTarget, type InboundMailTarget } from '../../local/inbound-mail';
import { createGateway } from '../../local/gateway';
import { createLocalOAuth, localSignInEnvironment } from '../../local/oauth';
import { takeAccessDenials } from '../../local/iam';
import { localIssuer, portalUserOf } from '../../local/jwt';
import { freePort } from '../../local/ports';
import { runJob } from '../../local/scheduler';
import { createStreamPoller } from '../../local/stream-poller';
import { webhookDeliveryTarget } from '../../local/webhook-target';

export interface TestStack {
  baseUrl: string;
  tableName: string;
  ddb: DynamoDBDocumentClient;
  token(role: Role, userId?: string): Promise<string>;
  request(method: string, path: string, opts?: RequestOptions): Promise<TestResponse>;
  sentEmails(): Promise<any[]>;
  /** What the SMS sink recorded (with `{ sms: true }`; otherwise empty). */
  sentSms(): SmsMessage[];
  /** A reply from a phone, delivered to the sms-inbound handler as the two-way SNS topic would. */
  replySms(message: Pick<InboundSmsMessage, 'originationNumber' | 'messageBody'>): Promise<void>;
  publishedEvents(): Promise<any[]>;
  drainOutbox(): Promise<void>;
  /** Waits until every event-bus rule target invoked so far (the webhooks deliverer) has finished. */
  eventTargetsSettled(): Promise<void>;
  /**
   * Drains until at least `atLeast` published events match, then once more (so duplicates would
   * show), and returns the matching ones. Streams are asynchronous: an empty read is no proof that
   * nothing more is coming, so tests that expect events wait for them, up to `timeoutMs`.
   */
  waitForEvents(match: (event: any) => boolean, atLeast: number, timeoutMs?: number): Promise<any[]>;
  /** With `s3`: waits until every inbound-mail invocation the local S3 started so far has finished. */
  inboundSettled(): Promise<void>;
  /** With `s3`: the local S3 endpoint (the inbound bucket is `crm-inbound-local`). */
  s3Endpoint?: string;
  /** Extra: runs a scheduled job once as if EventBridge fired it at `time` (default now). */
  runJob(name: string, time?: Date | string): Promise<unknown>;
  stop(): Promise<void>;
}

export interface RequestOptions {
  /** Adds a bearer token for the role's first demo user (or `userId`; for `customer`, the contact id). */
  role?: Role;
  userId?: string;
  /** An explicit token; `null` sends no Authorization header even with a role. */
  token?: string | null;
  /** Sent as JSON (content-type application/json unless headers say otherwise). */
  body?: unknown;
  /** Sent as is (content-type application/json unless headers say otherwise). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text ('' when empty → undefined). */
  body: any;
  text: string;
}

export async function startTestStack(opts: { ses?: boolean; s3?: boolean; webhooks?: boolean; sms?: boolean } = {}): Promise<TestStack> {
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    let endpoint = injectedEndpoint();
    if (!endpoint) {
      // Running without the global setup (e.g. one file with a custom config): start a private engine.
      const engine: DynamoDbLocal = await startDynamoDbLocal({ port: await freePort() });
      cleanups.push(() => engine.stop());
      endpoint = engine.endpoint;
    }
    const tableName = `crm-test-${process.pid}-${randomBytes(4).toString('hex')}`;
    const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    cleanups.push(() => client.destroy());
    await ensureTable(client, tableName);
    cleanups.push(async () => { await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {}); });

    // `webhooks`: the bus's rule invokes the webhooks deliverer, as in AWS (local/webhook-target.ts).
    const bus = await startEventBus(opts.webhooks ? { targets: [webhookDeliveryTarget()] } : {});
    cleanups.push(() => bus.stop());
    let ses: LocalSes | undefined;
    if (opts.ses) {
      // Imported only when asked for: s3rver and the SES stand-in cost over a second of CPU to
      // load, and most files use neither.
      const { startSes } = await import('../../local/engines/ses');
      ses = await startSes();
      cleanups.push(() => ses!.stop());
      // The library keeps mail in a process-wide store: start each stack with an empty inbox.
      await fetch(`${ses.endpoint}/clear-store`, { method: 'POST' });
    }
    let sms: LocalSms | undefined;
    if (opts.sms) {
      sms = await startSmsSink();
      cleanups.push(() => sms!.stop());
    }
    let s3Endpoint: string | undefined;
    let inbound: InboundMailTarget | undefined;
    if (opts.s3) {
      const directory = mkdtempSync(join(tmpdir(), 'crm-s3-'));
      // As `npm start`: objects put under inbound/ of the inbound bucket go to the inbound-mail handler.
      inbound = inboundMailTarget();
      const { startS3 } = await import('../../local/engines/s3');
      const s3 = await startS3({ directory, buckets: [LOCAL_EXPORTS_BUCKET, LOCAL_ATTACHMENTS_BUCKET, LOCAL_FAILED_EVENTS_BUCKET, LOCAL_INBOUND_BUCKET], onEvent: inbound.onEvent });
      cleanups.push(() => s3.stop(), () => rmSync(directory, { recursive: true, force: true }));
      s3Endpoint = s3.endpoint;
    }

    // The local write model (functions/data/capacity.ts) reads every transaction's items before and
    // after it to price it: two extra requests each, ≈ 10 % of a write-heavy file's time. Only files
    // that read capacity figures (the x-db-* headers, DB_METRICS_HEADERS) need it; a file may also
    // set LOCAL_WRITE_MODEL itself.
    process.env.LOCAL_WRITE_MODEL ??= process.env.DB_METRICS_HEADERS === 'true' ? 'on' : 'off';
    // Before any handler module is imported (the gateway imports them on first request).
    applyEnvironment(handlerEnvironment({
      tableName,
      stage: 'test',
      cursorSecret: randomBytes(32).toString('hex'),
      eventBusName: 'crm-test',
      logLevel: process.env.LOG_LEVEL ?? 'ERROR',
      endpoints: { dynamodb: endpoint, events: bus.endpoint, ses: ses?.endpoint, s3: s3Endpoint, sms: sms?.endpoint },
    }));
    resetConfigForTests();

    // The run's shared key when the global setup made one (a fresh key per file costs ~0.25 s of CPU).
    const keyDir = signingKeyDir();
    const issuer = await localIssuer(keyDir ? { dataDir: keyDir } : {});
    const gateway = await createGateway({ verifier: issuer.verifier, portalVerifier: issuer.portalVerifier, throttle: false, oauth: createLocalOAuth({ issuer }) });
    cleanups.push(() => gateway.close());
    // As `npm start` does: sign-in endpoints and problem `type` URIs on this gateway (local/oauth.ts).
    applyEnvironment(localSignInEnvironment(gateway.url, {}));
    const poller = createStreamPoller({
      tableName, ddb: client, endpoint, maxRetries: 3,
      ...(s3Endpoint ? { onFailure: { endpoint: s3Endpoint, bucket: LOCAL_FAILED_EVENTS_BUCKET } } : {}),
    });
    cleanups.push(() => poller.stop());
    const ddb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

    const token = (role: Role, userId?: string) => {
      // The portal's customer role: a portal pool token for the contact `userId` (its customer is
      // looked up by the portal pool's trigger, as in AWS).
      if (role === 'customer') {
        if (!userId) throw new Error('A customer token needs a contact id: token(\'customer\', contactId)');
        return issuer.signPortalToken(portalUserOf(userId));
      }
      const user = resolveUser(role, userId);
      return issuer.signToken({ sub: user.id, email: user.email, groups: [role], username: user.username });
    };

    // Signing is RS256 plus the pre-token trigger, about 2 ms of CPU, and a file sends thousands of
    // requests as a role: as a real client keeps its access token, a staff role's token is reused
    // for a minute (its claims depend on the role and user only). Portal tokens are signed afresh:
    // their trigger reads the contact's customer from the table, which a test may have changed.
    const staffTokens = new Map<string, { token: Promise<string>; signedAt: number }>();
    const requestToken = (role: Role, userId?: string): Promise<string> => {
      if (role === 'customer') return token(role, userId);
      const key = `${role}\u0000${userId ?? ''}`;
      const now = Date.now();
      const cached = staffTokens.get(key);
      if (cached && now >= cached.signedAt && now - cached.signedAt < 60_000) return cached.token;
      const signed = token(role, userId);
      const entry = { token: signed, signedAt: now };
      staffTokens.set(key, entry);
      signed.catch(() => { if (staffTokens.get(key) === entry) staffTokens.delete(key); });
      return signed;
    };

    async function request(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse> {
      const headers: Record<string, string> = { ...options.headers };
      const has = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
      let authorization: string | undefined;
      if (options.token !== undefined) authorization = options.token === null ? undefined : `Bearer ${options.token}`;
      else if (options.role) authorization = `Bearer ${await requestToken(options.role, options.userId)}`;
      if (authorization && !has('authorization')) headers.authorization = authorization;
      let body: string | undefined;
      if (options.rawBody !== undefined) body = options.rawBody;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && !has('content-type')) headers['content-type'] = 'application/json';
      const response = await fetch(`${gateway.url}${path}`, { method, headers, body });
      const text = await response.text();
      let parsed: unknown = text === '' ? undefined : text;
      if (text && /json/i.test(response.headers.get('content-type') ?? '')) {
        try { parsed = JSON.parse(text); } catch { /* keep the text */ }
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    }

    let stopped = false;
    return {
      baseUrl: gateway.url,
      tableName,
      ddb,
      token,
      request,
      sentEmails: async () => (ses ? ses.sentEmails() : []),
      sentSms: () => sms?.messages() ?? [],
      async replySms(message) {
        await deliverInboundSms({ destinationNumber: '+15555550100', messageKeyword: message.messageBody.trim().split(/\s+/)[0]!.toUpperCase(), inboundMessageId: randomBytes(8).toString('hex'), ...message });
      },
      publishedEvents: async () => bus.events(),
      drainOutbox: () => poller.drain(),
      eventTargetsSettled: () => bus.targetsSettled(),
      inboundSettled: async () => { await inbound?.settled(); },
      s3Endpoint,
      async waitForEvents(match, atLeast, timeoutMs = 15_000) {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          await poller.drain();
          const found = (await bus.events()).filter(match);
          if (found.length >= atLeast || Date.now() > deadline) {
            await poller.drain();
            return (await bus.events()).filter(match);
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      },
      runJob: (name, time) => runJob(name, time === undefined ? new Date() : new Date(time)),
      async stop() {
        if (stopped) return;
        stopped = true;
        await runCleanups(cleanups);
        // Some refusals are swallowed on purpose by the code (releasing an idempotency key):
        // a grant missing from FEATURES still fails the file that exercised it.
        const denied = takeAccessDenials();
        if (denied.length > 0) throw new Error(`Handlers sent DynamoDB requests their feature's grants refuse (functions/api/features.ts): ${JSON.stringify(denied)}`);
      },
    };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}

function injectedEndpoint(): string | undefined {
  return engineEndpoint();
}

async function runCleanups(cleanups: (() => Promise<void> | void)[]): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    try { await cleanup(); } catch { /* keep cleaning up */ }
  }
  cleanups.length = 0;
}
