import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { createGateway, type Gateway } from '../../local/gateway';
import { localIssuer, type LocalIssuer } from '../../local/jwt';

/** Handlers stand in for the features: they echo the event or misbehave on request. */
async function testHandler(event: APIGatewayProxyEventV2WithJWTAuthorizer, context: { awsRequestId: string; getRemainingTimeInMillis(): number }) {
  switch (event.headers['x-behaviour']) {
    case 'throw': throw new Error('boom with a secret detail');
    case 'binary': return { statusCode: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 1, 2, 255]).toString('base64'), isBase64Encoded: true };
    case 'cookies': return { statusCode: 201, cookies: ['a=1; Path=/', 'b=2; Path=/'], headers: { 'x-one': 'one' }, multiValueHeaders: { 'x-many': ['m1', 'm2'] }, body: '' };
    case 'inferred': return { hello: 'world' };
    case 'bad-status': return { statusCode: 'nope' };
    default:
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ event, context: { awsRequestId: context.awsRequestId, remaining: context.getRemainingTimeInMillis() } }),
      };
  }
}

let issuer: LocalIssuer;
let gateway: Gateway;
let throttled: Gateway;
let admin: string;

beforeAll(async () => {
  issuer = await localIssuer();
  gateway = await createGateway({ verifier: issuer.verifier, throttle: false, handlerFor: async () => testHandler as never });
  throttled = await createGateway({ verifier: issuer.verifier, throttle: { ratePerSecond: 1, burst: 3 }, handlerFor: async () => testHandler as never });
  admin = await issuer.signToken({ sub: 'user-1', email: 'ada@example.com', groups: ['admin', 'manager'] });
});

afterAll(async () => {
  await gateway?.close();
  await throttled?.close();
});

async function echo(path: string, init: RequestInit = {}) {
  const response = await fetch(`${gateway.url}${path}`, { ...init, headers: { authorization: `Bearer ${admin}`, ...init.headers } });
  expect(response.status).toBe(200);
  return (await response.json()) as { event: APIGatewayProxyEventV2WithJWTAuthorizer; context: { awsRequestId: string; remaining: number } };
}

describe('payload v2.0 event', () => {
  it('carries route, path parameters, query, headers, cookies and the request context', async () => {
    const { event, context } = await echo('/v1/customers/cus_01J0000000000000000000000A/contacts?limit=5&tag=a&tag=b%20c&q=Jos%C3%A9', {
      headers: { 'X-Custom': 'one', cookie: 'sid=abc; theme=dark', 'user-agent': 'vitest' },
    });
    expect(event.version).toBe('2.0');
    expect(event.routeKey).toBe('GET /v1/customers/{id}/contacts');
    expect(event.rawPath).toBe('/v1/customers/cus_01J0000000000000000000000A/contacts');
    expect(event.rawQueryString).toBe('limit=5&tag=a&tag=b%20c&q=Jos%C3%A9');
    expect(event.queryStringParameters).toEqual({ limit: '5', tag: 'a,b c', q: 'José' });
    expect(event.pathParameters).toEqual({ id: 'cus_01J0000000000000000000000A' });
    expect(event.cookies).toEqual(['sid=abc', 'theme=dark']);
    expect(event.headers['x-custom']).toBe('one');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.headers['x-forwarded-proto']).toBe('http');
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBeUndefined();
    const rc = event.requestContext;
    expect(rc).toMatchObject({
      accountId: expect.any(String), apiId: 'local', stage: '$default', routeKey: 'GET /v1/customers/{id}/contacts',
      http: { method: 'GET', path: '/v1/customers/cus_01J0000000000000000000000A/contacts', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
    });
    expect(rc.requestId).toMatch(/^[A-Za-z0-9+/]{14}=$/);
    expect(rc.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(rc.timeEpoch - Date.now())).toBeLessThan(10_000);
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.remaining).toBeGreaterThan(1_000);
  });

  it('passes claims as API Gateway does: all strings, arrays in [a b] form, scopes null', async () => {
    const { event } = await echo('/v1/me');
    const { claims, scopes } = event.requestContext.authorizer.jwt;
    expect(scopes).toBeNull();
    expect(claims['cognito:groups']).toBe('[admin manager]');
    expect(claims.sub).toBe('user-1');
    expect(claims.email).toBe('ada@example.com');
    expect(claims.token_use).toBe('access');
    expect(claims.exp).toMatch(/^\d{10}$/);
    expect(claims.version).toBe('2');
    for (const value of Object.values(claims)) expect(typeof value).toBe('string');
  });

  it('joins duplicate headers with commas and lower-cases names', async () => {
    // fetch merges duplicates itself; node:http sends two header lines.
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${gateway.url}/v1/me`, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
        res.on('end', () => resolve(text));
      });
      req.setHeader('authorization', `Bearer ${admin}`);
      req.setHeader('X-Dup', ['a', 'b']);
      req.on('error', reject);
      req.end();
    });
    const { event } = JSON.parse(body) as { event: APIGatewayProxyEventV2WithJWTAuthorizer };
    expect(event.headers['x-dup']).toBe('a,b');
  });

  it('passes JSON bodies as text and binary bodies as base64', async () => {
    const json = await echo('/v1/customers', { method: 'POST', body: '{"name":"Zoë"}', headers: { 'content-type': 'application/json; charset=utf-8' } });
    expect(json.event.body).toBe('{"name":"Zoë"}');
    expect(json.event.isBase64Encoded).toBe(false);
    const binary = await echo('/v1/customers', { method: 'POST', body: new Uint8Array([0, 159, 146, 150]), headers: { 'content-type': 'application/octet-stream' } });
    expect(binary.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.event.body!, 'base64')).toEqual(Buffer.from([0, 159, 146, 150]));
  });

  it('has no authorizer block on public routes and needs no token there', async () => {
    const response = await fetch(`${gateway.url}/v1/health`);
    expect(response.status).toBe(200);
    const { event } = (await response.json()) as { event: APIGatewayProxyEventV2WithJWTAuthorizer };
    expect(event.requestContext.authorizer).toBeUndefined();
  });
});

describe('results', () => {
  const call = (behaviour: string) => fetch(`${gateway.url}/v1/me`, { headers: { authorization: `Bearer ${admin}`, 'x-behaviour': behaviour } });

  it('answers a throwing handler with API Gateway\'s generic 500', async () => {
    const response = await call('throw');
    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.text()).toBe('{"message":"Internal Server Error"}');
  });

  it('answers an invalid structured result with the generic 500', async () => {
    expect((await call('bad-status')).status).toBe(500);
  });

  it('decodes base64 bodies', async () => {
    const response = await call('binary');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('writes cookies as separate Set-Cookie headers and multi-value headers', async () => {
    const response = await call('cookies');
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(response.headers.get('x-one')).toBe('one');
    expect(response.headers.get('x-many')).toBe('m1,m2');
    expect(response.headers.get('apigw-requestid')).toBeTruthy();
  });

  it('infers a 200 JSON response from a result without statusCode', async () => {
    const response = await call('inferred');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ hello: 'world' });
  });
});

describe('gateway answers', () => {
  it('404 problem+json for an unknown path', async () => {
    const response = await fetch(`${gateway.url}/v1/nope`);
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 404, title: 'Not found', type: expect.stringMatching(/\/not-found$/) });
  });

  it('405 problem+json with Allow for a wrong method on a known path', async () => {
    const response = await fetch(`${gateway.url}/v1/customers/cus_1`, { method: 'PUT' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('DELETE, GET, PATCH');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('401 problem+json with WWW-Authenticate for a missing, malformed or foreign token', async () => {
    const other = await localIssuer();
    const foreign = await other.signToken({ sub: 'x', email: 'x@example.com', groups: ['admin'] });
    for (const authorization of [undefined, 'Bearer not-a-jwt', `Bearer ${foreign}`]) {
      const response = await fetch(`${gateway.url}/v1/me`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const problem = (await response.json()) as { status: number; requestId: string };
      expect(problem.status).toBe(401);
      expect(problem.requestId).toBeTruthy();
    }
  });

  it('answers CORS preflight for allowed origins only, and adds the origin to responses', async () => {
    const allowed = await fetch(`${gateway.url}/v1/customers`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const denied = await fetch(`${gateway.url}/v1/customers`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(denied.status).toBe(204);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const actual = await fetch(`${gateway.url}/v1/health`, { headers: { origin: 'http://localhost:3000' } });
    expect(actual.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('413 for bodies over API Gateway\'s 10 MB limit', async () => {
    const response = await fetch(`${gateway.url}/v1/customers`, {
      method: 'POST', body: 'x'.repeat(10 * 1024 * 1024 + 1), headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
  });

  it('429 problem+json once a client exceeds its burst', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${throttled.url}/v1/nope`)).status);
    expect(statuses.slice(0, 3)).toEqual([404, 404, 404]);
    expect(statuses.slice(3)).toContain(429);
    const response = await fetch(`${throttled.url}/v1/nope`);
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('retry-after')).toBe('1');
  });
});
