import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { NotFound, toProblemResponse } from '../../functions/http/problem';
import { MAX_BODY_BYTES, parseIfMatch, parseJsonBody, parseQuery } from '../../functions/http/request';
import { fingerprint, validateKey } from '../../functions/http/idempotency';
import { CustomerListQuery } from '../../schemas/customers';

const event = (over: Partial<APIGatewayProxyEventV2>): APIGatewayProxyEventV2 => ({ headers: {}, ...over }) as APIGatewayProxyEventV2;
const statusOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { status?: number }).status;
  }
  return 'no error';
};

describe('request parsing', () => {
  it('answers 413 above 256 KB, 415 for non-JSON, 400 for malformed JSON', () => {
    const big = 'x'.repeat(MAX_BODY_BYTES + 1);
    expect(statusOf(() => parseJsonBody(event({ body: `"${big}"`, headers: { 'content-type': 'application/json' } })))).toBe(413);
    expect(statusOf(() => parseJsonBody(event({ body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } })))).toBe(415);
    expect(statusOf(() => parseJsonBody(event({ body: '{"a":', headers: { 'content-type': 'application/json' } })))).toBe(400);
    expect(parseJsonBody(event({ body: '{"a":1}', headers: { 'content-type': 'application/json; charset=utf-8' } }))).toEqual({ a: 1 });
    expect(parseJsonBody(event({ body: '{"a":1}', headers: { 'content-type': 'application/merge-patch+json' } }))).toEqual({ a: 1 });
  });
  it('reads If-Match ETags and rejects ones that can never match with 412', () => {
    expect(parseIfMatch(event({ headers: { 'if-match': '"7"' } }))).toBe(7);
    expect(parseIfMatch(event({ headers: { 'if-match': 'W/"7"' } }))).toBe(7);
    expect(parseIfMatch(event({ headers: { 'if-match': '*' } }))).toBeUndefined();
    expect(statusOf(() => parseIfMatch(event({ headers: { 'if-match': 'seven' } })))).toBe(412);
  });
  it('validates query parameters with field paths', () => {
    try {
      parseQuery(CustomerListQuery(), event({ queryStringParameters: { limit: '500', tier: 'Z', bogus: '1' } }));
      expect.unreachable();
    } catch (err) {
      const paths = ((err as { extra: { errors: { path: string }[] } }).extra.errors).map((e) => e.path).sort();
      expect(paths).toEqual(['query', 'query.limit', 'query.tier']);
    }
  });
});

describe('problem+json', () => {
  it('renders typed errors with status, type and request id', () => {
    const res = toProblemResponse(NotFound('No such customer'), 'req-1', '/v1/customers/x');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 404, title: 'Not found', detail: 'No such customer', requestId: 'req-1', type: expect.stringContaining('not-found') });
  });
  it('hides the details of unknown errors behind a generic 500', () => {
    const res = toProblemResponse(new Error('secret internals at db.ts:42'), 'req-2');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
  });
  it('turns DynamoDB throttling into a retryable 503, not a 500', () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    const res = toProblemResponse(throttled, 'req-3');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
  });
});

describe('idempotency keys', () => {
  it('accepts UUID-like keys and rejects short or non-ASCII ones', () => {
    expect(validateKey('3f8a2b1c-0000-4000-8000-000000000000')).toBeTruthy();
    expect(statusOf(() => validateKey('short'))).toBe(400);
    expect(statusOf(() => validateKey('ключ-ключ-ключ'))).toBe(400);
  });
  it('fingerprints bodies independently of key order', () => {
    expect(fingerprint('POST', '/v1/customers', { a: 1, b: { c: 2, d: 3 } })).toBe(fingerprint('POST', '/v1/customers', { b: { d: 3, c: 2 }, a: 1 }));
    expect(fingerprint('POST', '/v1/customers', { a: 1 })).not.toBe(fingerprint('POST', '/v1/customers', { a: 2 }));
  });
});
