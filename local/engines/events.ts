/**
 * A small local stand-in for Amazon EventBridge's PutEvents API. There is no local EventBridge
 * engine (no equivalent of DynamoDB Local), so this serves just what the events publisher uses:
 * `POST /` with `X-Amz-Target: AWSEvents.PutEvents` (AWS JSON 1.1 protocol), validated like the
 * service does for the parts that matter (1–10 entries, required fields, Detail must be a JSON
 * object, 256 KB per request). Accepted entries are recorded as the event envelope a rule target
 * would receive, plus the bus name, and appended to a JSON-lines file when one is given.
 * `GET /events` lists them (`?detailType=` filters). Rule targets (`targets`) stand in for the
 * bus's rules: each accepted event that a target's pattern matches is handed to it asynchronously,
 * as EventBridge invokes a Lambda target (the webhooks deliverer; lib/constructs/domain-events.ts),
 * with two retries when it throws, as Lambda retries an asynchronous invocation.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { LOCAL_REGION } from '../env';
import { LOCAL_ACCOUNT } from '../lambda';

const MAX_REQUEST_BYTES = 256 * 1024;

export interface RecordedEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
  /** Local addition: the bus the entry was put on. */
  eventBusName: string;
}

/** A rule and its target: which events it takes and what handles them. */
export interface EventTarget {
  name: string;
  matches: (event: RecordedEvent) => boolean;
  invoke: (event: RecordedEvent) => Promise<unknown>;
}

export interface LocalEventBus {
  endpoint: string;
  port: number;
  events(): RecordedEvent[];
  /** Resolves when every target invocation started so far has finished (tests). */
  targetsSettled(): Promise<void>;
  clear(): void;
  stop(): Promise<void>;
}

export interface EventBusOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** JSON-lines file the events are appended to (and loaded from on start); omitted = memory only. */
  file?: string;
  /** Rule targets invoked for matching events (none: events are only recorded). */
  targets?: readonly EventTarget[];
  /** Where a target's final failure is reported (ids only). */
  log?: (entry: Record<string, unknown>) => void;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: string | number;
}

export function startEventBus(options: EventBusOptions = {}): Promise<LocalEventBus> {
  const recorded: RecordedEvent[] = [];
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    if (existsSync(options.file)) {
      for (const line of readFileSync(options.file, 'utf8').split('\n')) {
        if (line.trim()) recorded.push(JSON.parse(line) as RecordedEvent);
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => sendJson(res, 500, { __type: 'InternalException', message: 'Internal error' }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/events') {
      const detailType = url.searchParams.get('detailType');
      sendJson(res, 200, detailType ? recorded.filter((e) => e['detail-type'] === detailType) : recorded, 'application/json');
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/') {
      sendJson(res, 404, { message: 'Local EventBridge stand-in: POST / (PutEvents) or GET /events' }, 'application/json');
      return;
    }
    const target = req.headers['x-amz-target'];
    const body = await readAll(req);
    if (target !== 'AWSEvents.PutEvents') {
      sendJson(res, 400, { __type: 'UnknownOperationException', message: `The local event bus supports only PutEvents, not ${String(target)}` });
      return;
    }
    if (body.length > MAX_REQUEST_BYTES) {
      sendJson(res, 400, { __type: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' });
      return;
    }
    let input: { Entries?: PutEventsEntry[] };
    try {
      input = JSON.parse(body.toString('utf8')) as { Entries?: PutEventsEntry[] };
    } catch {
      sendJson(res, 400, { __type: 'SerializationException', message: 'Malformed JSON request body' });
      return;
    }
    const entries = input.Entries ?? [];
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      sendJson(res, 400, { __type: 'ValidationException', message: '1 validation error detected: Value at \'entries\' failed to satisfy constraint: Member must have length between 1 and 10' });
      return;
    }
    const results = entries.map((entry) => accept(entry));
    sendJson(res, 200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  }

  function accept(entry: PutEventsEntry): { EventId: string } | { ErrorCode: string; ErrorMessage: string } {
    const missing = (['Source', 'DetailType', 'Detail'] as const).filter((name) => !entry[name]);
    if (missing.length) return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter(s) ${missing.join(', ')} is(are) missing.` };
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail!);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const time = entry.Time === undefined ? new Date() : new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : entry.Time);
    const event: RecordedEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType!,
      source: entry.Source!,
      account: LOCAL_ACCOUNT,
      time: (Number.isNaN(time.getTime()) ? new Date() : time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: LOCAL_REGION,
      resources: entry.Resources ?? [],
      detail,
      eventBusName: entry.EventBusName ?? 'default',
    };
    recorded.push(event);
    if (options.file) appendFileSync(options.file, `${JSON.stringify(event)}\n`);
    for (const target of options.targets ?? []) {
      if (!target.matches(event)) continue;
      const run = invokeTarget(target, event).finally(() => inFlight.delete(run));
      inFlight.add(run);
    }
    return { EventId: event.id };
  }

  const inFlight = new Set<Promise<void>>();
  async function invokeTarget(target: EventTarget, event: RecordedEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await target.invoke(event);
        return;
      } catch (error) {
        if (attempt >= 3) {
          options.log?.({ msg: 'event target failed after retries', target: target.name, eventId: event.id, error: error instanceof Error ? error.name : 'unknown' });
          return;
        }
        await new Promise((done) => setTimeout(done, 100 * attempt));
      }
    }
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        port,
        events: () => [...recorded],
        targetsSettled: async () => { while (inFlight.size > 0) await Promise.allSettled([...inFlight]); },
        clear: () => { recorded.length = 0; },
        stop: () => new Promise<void>((done) => { server.close(() => done()); server.closeAllConnections(); }),
      });
    });
  });
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown, contentType = 'application/x-amz-json-1.1'): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': contentType, 'content-length': body.length, 'x-amzn-requestid': randomUUID() });
  res.end(body);
}
