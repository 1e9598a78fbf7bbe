/**
 * The local runtime's log lines (local/logs.ts): what the handlers write as Powertools JSON is
 * folded into the gateway's one request line, printed as a readable line, dropped for the demo
 * seed — or, with LOG_FORMAT=json, passed through byte for byte, as CloudWatch would get it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { Terminal, captureHandlerLogs, describeError, invocations, logFormat, requestLine, withinInvocation, type Invocation } from '../../local/logs';

/** A terminal writing into arrays instead of the process's streams. */
function fakeTerminal(tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const stream = (into: string[]) => ({ isTTY: tty, write: (text: string) => { into.push(text); return true; } }) as unknown as NodeJS.WriteStream;
  return { terminal: new Terminal(stream(out), stream(err)), out, err };
}

let restore: (() => void) | undefined;
afterEach(() => { restore?.(); restore = undefined; });

/** A Powertools logger as the handlers build theirs (functions/http/chain.ts), writing to the (captured) process streams. */
const logger = () => new Logger({ serviceName: 'crm-test' });

describe('LOG_FORMAT', () => {
  it('is pretty by default, json on request, and refuses anything else', () => {
    expect(logFormat(undefined)).toBe('pretty');
    expect(logFormat('JSON')).toBe('json');
    expect(() => logFormat('yaml')).toThrow(/LOG_FORMAT/);
  });
});

describe('pretty (default)', () => {
  it("folds the handler's request entry into the gateway line: method, path, status, ms, db requests, request id, problems", async () => {
    const { terminal, out, err } = fakeTerminal();
    restore = captureHandlerLogs({ format: 'pretty', terminal });
    const invocation: Invocation = { kind: 'http', feature: 'customers', quiet: false, problems: [] };
    const log = logger();
    await invocations.run(invocation, async () => {
      log.error('request failed', { error: { name: 'TypeError', message: 'x is undefined', cause: { name: 'Error', message: 'deeper' } } });
      log.info('request', { routeKey: 'GET /v1/customers', status: 500, db: { requests: 3, readUnits: 1, writeUnits: 0 } });
    });
    restore();
    restore = undefined;
    expect(out.join('') + err.join('')).toBe('');
    expect(invocation.dbRequests).toBe(3);
    expect(invocation.problems).toHaveLength(1);
    const line = requestLine({ method: 'GET', path: '/v1/customers', status: 500, latencyMs: 12, dbRequests: 3, requestId: 'abc=', problems: invocation.problems });
    expect(line).toMatch(/^\d\d:\d\d:\d\d GET \/v1\/customers 500 12ms db=3 req=abc= — ERROR request failed error="TypeError: x is undefined \(cause: Error: deeper\)"$/);
  });

  it("prints nothing of a quiet invocation (the demo seed's requests)", async () => {
    const { terminal, out, err } = fakeTerminal();
    restore = captureHandlerLogs({ format: 'pretty', terminal });
    const log = logger();
    await invocations.run({ kind: 'http', feature: 'customers', quiet: true, problems: [] }, async () => {
      log.info('request', { status: 201, db: { requests: 3 } });
      log.error('request failed', { error: { name: 'Error', message: 'boom' } });
    });
    expect(out.concat(err)).toEqual([]);
  });

  it('outside a request: a job line when the job did something or failed, nothing for idle runs', async () => {
    const { terminal, out, err } = fakeTerminal();
    restore = captureHandlerLogs({ format: 'pretty', terminal });
    const log = logger();
    await withinInvocation('jobs', async () => {
      log.info('job finished', { job: 'reminders', processed: 0, failed: 0 });
      log.info('job finished', { job: 'reminders', processed: 2, emailed: 2, failed: 0 });
      log.error('job failed', { job: 'reminders', error: 'ThrottlingException' });
    });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d \[jobs\] job finished job=reminders processed=2 emailed=2 failed=0\n$/);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/\[jobs\] ERROR job failed job=reminders error=ThrottlingException/);
  });

  it('lets other output through and keeps a TTY progress line out of its way', () => {
    const { terminal, out } = fakeTerminal(true);
    terminal.progress('Seeding demo data [##--] 50%');
    terminal.line('a line');
    expect(out.join('')).toBe('\r\x1b[KSeeding demo data [##--] 50%\r\x1b[Ka line\nSeeding demo data [##--] 50%');
    terminal.endProgress();
    terminal.line('after');
    expect(out.slice(-2).join('')).toBe('\r\x1b[Kafter\n');
  });
});

describe('json', () => {
  it("passes the handlers' Powertools JSON through unchanged, also for requests", async () => {
    const { terminal, out } = fakeTerminal();
    restore = captureHandlerLogs({ format: 'json', terminal });
    const invocation: Invocation = { kind: 'http', feature: 'customers', quiet: false, problems: [] };
    const log = logger();
    await invocations.run(invocation, async () => { log.info('request', { status: 200, db: { requests: 1 } }); });
    expect(out).toHaveLength(1);
    const entry = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 'INFO', message: 'request', service: 'crm-test', status: 200, db: { requests: 1 } });
    expect(out[0]!.endsWith('}\n')).toBe(true);
    expect(out[0]!.split('\n')).toHaveLength(2); // one line, as in CloudWatch
    expect(invocation.dbRequests).toBe(1);
  });
});

describe('describeError', () => {
  it('names the error and its causes', () => {
    expect(describeError(new Error('outer', { cause: new TypeError('inner') }))).toBe('Error: outer (cause: TypeError: inner)');
    expect(describeError('text')).toBe('text');
  });
});
