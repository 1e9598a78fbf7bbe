/**
 * Rotating the cursor-signing key: a cursor in flight survives one rotation, one signed two
 * rotations ago is a 400 problem, and warm containers pick up the new key after the TTL (or at
 * once when they see a cursor signed with it). The key is read through the real SDK call path
 * from a small Secrets Manager stand-in (GetSecretValue by version stage, put-secret-value's
 * stage moves) — no emulator for Secrets Manager is installable here — and locally from
 * CURSOR_SECRET / CURSOR_SECRET_PREVIOUS. Time is injected; nothing waits for the TTL.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '../../functions/config';
import { cursorKeyFromSecret, decodeCursor, encodeCursor, KEY_RETRY_MS, KEY_TTL_MS, openCursor, resetCursorKeyForTests, sealCursor, setCursorClockForTests } from '../../functions/data/cursor';
import { HttpError, toProblemResponse } from '../../functions/http/problem';

const FINGERPRINT = 'customers|gsi1|OWNER#u1';
const LAST_KEY = { pk: 'CUS#1', sk: 'CUS#1' };
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:crm-cursor-AbCdEf';

/** A cursor as a container holding `secret` would seal it (the format of functions/data/cursor.ts). */
function cursorSignedWith(secret: string): string {
  return sealCursor(cursorKeyFromSecret(secret), LAST_KEY, FINGERPRINT);
}

/** Whether `cursor` was sealed with `secret` alone (encryption is randomised: compare by opening). */
function sealedWith(cursor: string | null, secret: string): boolean {
  return cursor !== null && openCursor([cursorKeyFromSecret(secret)], cursor, FINGERPRINT) !== undefined;
}

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

let now = Date.parse('2026-11-23T10:00:00Z');
const advance = (ms: number) => { now += ms; };

function useEnvironment(vars: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetConfigForTests();
  resetCursorKeyForTests();
  setCursorClockForTests(() => now);
}

describe('cursor keys from Secrets Manager', () => {
  /** Versions newest first; stages as put-secret-value leaves them. */
  const versions: { value: string; stages: string[] }[] = [];
  const calls: string[] = [];
  let failing = false;

  function putSecretValue(value: string): void {
    for (const v of versions) v.stages = v.stages.includes('AWSCURRENT') ? ['AWSPREVIOUS'] : [];
    versions.unshift({ value, stages: ['AWSCURRENT'] });
  }

  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => { body += chunk.toString(); });
    req.on('end', () => {
      const reply = (status: number, json: unknown, type?: string) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(type ? { 'x-amzn-errortype': type } : {}) });
        res.end(JSON.stringify(json));
      };
      const target = String(req.headers['x-amz-target']);
      const input = JSON.parse(body) as { SecretId: string; VersionStage?: string };
      const stage = input.VersionStage ?? 'AWSCURRENT';
      calls.push(stage);
      if (failing) return reply(500, { __type: 'InternalServiceError', message: 'down' }, 'InternalServiceError');
      if (target !== 'secretsmanager.GetSecretValue' || input.SecretId !== SECRET_ARN) return reply(400, { __type: 'ResourceNotFoundException', message: 'no such secret' }, 'ResourceNotFoundException');
      const version = versions.find((v) => v.stages.includes(stage));
      if (!version) return reply(400, { __type: 'ResourceNotFoundException', message: `no version with staging label ${stage}` }, 'ResourceNotFoundException');
      reply(200, { ARN: SECRET_ARN, Name: 'crm-cursor', VersionId: `v${versions.indexOf(version)}`, SecretString: version.value, VersionStages: version.stages });
    });
  });

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    versions.length = 0;
    calls.length = 0;
    failing = false;
    useEnvironment({
      TABLE_NAME: 'crm-test',
      CURSOR_SECRET: undefined,
      CURSOR_SECRET_PREVIOUS: undefined,
      CURSOR_SECRET_ARN: SECRET_ARN,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    });
  });

  it('keeps a cursor valid across one rotation, rejects it after two, and signs with the newest key', async () => {
    putSecretValue('key-0');
    const beforeRotation = (await encodeCursor(LAST_KEY, FINGERPRINT))!;
    expect(sealedWith(beforeRotation, 'key-0')).toBe(true);
    expect(calls).toEqual(expect.arrayContaining(['AWSCURRENT', 'AWSPREVIOUS']));

    putSecretValue('key-1');
    // Within the TTL a warm container keeps its keys and asks Secrets Manager nothing.
    advance(KEY_TTL_MS - 1_000);
    const fetches = calls.length;
    expect(sealedWith(await encodeCursor(LAST_KEY, FINGERPRINT), 'key-0')).toBe(true);
    expect(calls).toHaveLength(fetches);

    // After the TTL it signs with the new key and still accepts the old one.
    advance(2_000);
    const afterOneRotation = (await encodeCursor(LAST_KEY, FINGERPRINT))!;
    expect(sealedWith(afterOneRotation, 'key-1')).toBe(true);
    expect(calls.length).toBeGreaterThan(fetches);
    expect(await decodeCursor(beforeRotation, FINGERPRINT)).toEqual(LAST_KEY);

    putSecretValue('key-2');
    advance(KEY_TTL_MS);
    expect(await decodeCursor(afterOneRotation, FINGERPRINT)).toEqual(LAST_KEY);
    const error = await rejection(decodeCursor(beforeRotation, FINGERPRINT));
    expect(error.status).toBe(400);
    const problem = toProblemResponse(error, 'req-1', '/v1/customers');
    expect(problem.statusCode).toBe(400);
    expect(JSON.parse(problem.body)).toMatchObject({ status: 400, errors: [{ path: 'cursor' }] });
  });

  it('accepts at once a cursor signed with a key newer than its own, but refetches for bad cursors at most every few seconds', async () => {
    putSecretValue('key-0');
    expect(await decodeCursor(cursorSignedWith('key-0'), FINGERPRINT)).toEqual(LAST_KEY);
    putSecretValue('key-1');
    advance(KEY_RETRY_MS + 1);
    // A new container already signs with key-1; this warm one learns of the rotation from the cursor.
    expect(await decodeCursor(cursorSignedWith('key-1'), FINGERPRINT)).toEqual(LAST_KEY);

    const fetches = calls.length;
    for (let i = 0; i < 5; i++) await rejection(decodeCursor(cursorSignedWith('forged'), FINGERPRINT));
    expect(calls).toHaveLength(fetches);
    advance(KEY_RETRY_MS + 1);
    await rejection(decodeCursor(cursorSignedWith('forged'), FINGERPRINT));
    expect(calls.length).toBeGreaterThan(fetches);
  });

  it('keeps the cached keys when a refresh fails, and works on a secret never rotated', async () => {
    putSecretValue('key-0');
    const cursor = (await encodeCursor(LAST_KEY, FINGERPRINT))!;
    failing = true;
    advance(KEY_TTL_MS + 1);
    expect(await decodeCursor(cursor, FINGERPRINT)).toEqual(LAST_KEY);
    expect(sealedWith(await encodeCursor(LAST_KEY, FINGERPRINT), 'key-0')).toBe(true);
    failing = false;
  });

  it('fails loudly when the first fetch fails (no keys to fall back on)', async () => {
    failing = true;
    const error = await encodeCursor(LAST_KEY, FINGERPRINT).then(() => undefined, (e: Error) => e);
    expect(error?.name).toBe('InternalServiceError');
  });
});

describe('cursor keys in clear (local runtime)', () => {
  it('accepts CURSOR_SECRET_PREVIOUS for verification only and rejects any other key', async () => {
    useEnvironment({ TABLE_NAME: 'crm-test', CURSOR_SECRET_ARN: undefined, CURSOR_SECRET: 'local-new', CURSOR_SECRET_PREVIOUS: 'local-old' });
    expect(sealedWith(await encodeCursor(LAST_KEY, FINGERPRINT), 'local-new')).toBe(true);
    expect(await decodeCursor(cursorSignedWith('local-old'), FINGERPRINT)).toEqual(LAST_KEY);
    expect((await rejection(decodeCursor(cursorSignedWith('local-older'), FINGERPRINT))).status).toBe(400);

    useEnvironment({ CURSOR_SECRET_PREVIOUS: undefined });
    expect((await rejection(decodeCursor(cursorSignedWith('local-old'), FINGERPRINT))).status).toBe(400);
  });
});
