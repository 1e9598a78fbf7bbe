/**
 * The HTTP chain's deadline (functions/http/chain.ts, runChain): an operation that never settles
 * still gets an answer a few milliseconds before the function's deadline — a problem+json, not
 * a Lambda timeout the client sees as a bare 502/504 — and an operation that answers in time is
 * untouched by the race.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHttpHandler, type HttpEvent, ok } from '../../functions/http/chain';
import { routes as settingsRoutes } from '../../functions/settings/routes';

function event(): HttpEvent {
  return {
    version: '2.0', routeKey: 'GET /v1/settings/service-rules', rawPath: '/v1/settings/service-rules', rawQueryString: '', headers: {}, isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000', apiId: 'unit', domainName: 'localhost', domainPrefix: 'localhost', requestId: 'req-1', routeKey: 'GET /v1/settings/service-rules', stage: '$default', time: '', timeEpoch: 0,
      http: { method: 'GET', path: '/v1/settings/service-rules', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'unit' },
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: { sub: 'user-1', 'cognito:groups': '[admin]' }, scopes: [] } },
    },
  };
}

function context(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false, functionName: 'unit', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:unit',
    memoryLimitInMB: '1024', awsRequestId: 'aws-req-1', logGroupName: 'unit', logStreamName: 'unit',
    getRemainingTimeInMillis: () => deadline - Date.now(), done: () => undefined, fail: () => undefined, succeed: () => undefined,
  };
}

describe('the chain\'s deadline', () => {
  it('answers an operation that never settles with a problem before the deadline', async () => {
    const handler = createHttpHandler('settings', settingsRoutes, { getServiceRules: () => new Promise(() => undefined), putServiceRules: async () => ok({}) });
    const result = await handler(event(), context(400));
    expect(result.statusCode, String(result.body)).toBe(503);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
  });

  it('leaves an operation that answers in time alone', async () => {
    const handler = createHttpHandler('settings', settingsRoutes, { getServiceRules: async () => ok({ fine: true }), putServiceRules: async () => ok({}) });
    const result = await handler(event(), context(30_000));
    expect(result.statusCode, String(result.body)).toBe(200);
    expect(JSON.parse(String(result.body))).toEqual({ fine: true });
  });
});
