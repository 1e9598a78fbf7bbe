/**
 * Requests the local gateway runs at the same time keep their own log keys. Every handler module
 * is loaded once per process locally (one Lambda container per function in AWS, one request at a
 * time), so the keys a handler appends to its module-level Powertools logger (functions/http/chain.ts:
 * the gateway's request id, the caller) would be one shared set: under load a request's log line
 * carried another request's ids, or none once another request had reset them. The local runtime
 * runs each invocation in its own invocation store (local/lambda.ts), as Lambda does when one
 * environment serves invocations concurrently, and the logger scopes its keys to it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../local/gateway';
import { localIssuer } from '../../local/jwt';
import { captureHandlerLogs, parsePowertoolsLine, Terminal } from '../../local/logs';

const CONCURRENT = 12;

/** As functions/http/chain.ts: one logger for the module, keys appended per request and reset after. */
const logger = new Logger({ serviceName: 'crm-test', logLevel: 'INFO' });

/** Holds every request until all of them have appended their keys, so they really overlap. */
let arrived = 0;
let allArrived!: () => void;
const together = new Promise<void>((resolve) => { allArrived = resolve; });

async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) {
  logger.addContext(context);
  logger.appendKeys({ apiRequestId: event.requestContext.requestId, userId: event.headers['x-user'] });
  if (++arrived === CONCURRENT) allArrived();
  await together;
  logger.info('request', { status: 200 });
  logger.resetKeys();
  return { statusCode: 200, body: '' };
}

let gateway: Gateway;
let token: string;
let restore: (() => void) | undefined;
const lines: string[] = [];

beforeAll(async () => {
  const issuer = await localIssuer();
  gateway = await createGateway({ verifier: issuer.verifier, throttle: false, handlerFor: async () => handler as never });
  token = await issuer.signToken({ sub: 'user-1', email: 'ada@example.com', groups: ['admin'] });
  const sink = { isTTY: false, write: (text: string) => { lines.push(text); return true; } } as unknown as NodeJS.WriteStream;
  restore = captureHandlerLogs({ format: 'json', terminal: new Terminal(sink, sink) });
}, 60_000);

afterAll(async () => {
  restore?.();
  await gateway?.close();
});

describe('concurrent local requests', () => {
  it("log each request's own ids, however they interleave", async () => {
    const responses = await Promise.all(Array.from({ length: CONCURRENT }, async (_, i) => {
      const res = await fetch(`${gateway.url}/v1/customers`, { headers: { authorization: `Bearer ${token}`, 'x-user': `user-${i}` } });
      expect(res.status).toBe(200);
      return { user: `user-${i}`, apiRequestId: res.headers.get('apigw-requestid') };
    }));
    restore?.();
    restore = undefined;
    const entries = lines.flatMap((text) => text.split('\n')).map(parsePowertoolsLine).filter((e) => e?.message === 'request');
    expect(entries).toHaveLength(CONCURRENT);
    const logged = entries.map((e) => ({ user: e!.userId, apiRequestId: e!.apiRequestId }));
    expect(new Set(logged.map((e) => e.apiRequestId)).size).toBe(CONCURRENT);
    expect(logged.sort((a, b) => String(a.user).localeCompare(String(b.user)))).toEqual(responses.sort((a, b) => a.user.localeCompare(b.user)));
    // The Lambda context too: each line names its own invocation, never a neighbour's.
    expect(new Set(entries.map((e) => e!.function_request_id)).size).toBe(CONCURRENT);
  }, 120_000);
});
