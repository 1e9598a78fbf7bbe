import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CLIENT_ID, LOCAL_ISSUER, TokenError, createVerifier, flattenClaims, localIssuer, type LocalIssuer } from '../../local/jwt';

const user = { sub: '0a9f1d2e-0000-4000-8000-000000000003', email: 'sam.sales@example.com', groups: ['sales'] };
let issuer: LocalIssuer;

beforeAll(async () => { issuer = await localIssuer(); });

describe('local issuer', () => {
  it('signs Cognito-shaped access tokens valid for 12 hours', async () => {
    const token = await issuer.signToken(user);
    const header = decodeProtectedHeader(token);
    expect(header.alg).toBe('RS256');
    expect(header.kid).toBe(issuer.jwks.keys[0]!.kid);
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      sub: user.sub, email: user.email, 'cognito:groups': ['sales'], iss: LOCAL_ISSUER, client_id: LOCAL_CLIENT_ID, token_use: 'access',
    });
    expect(claims.exp! - claims.iat!).toBe(12 * 3600);
    expect(claims.jti).toBeTruthy();
    expect(claims.aud).toBeUndefined();
  });

  it('keeps its key pair in the data directory, private, across instances', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-jwt-'));
    try {
      const first = await localIssuer({ dataDir: dir });
      const second = await localIssuer({ dataDir: dir });
      expect(second.jwks).toEqual(first.jwks);
      await expect(second.verifier.verify(await first.signToken(user))).resolves.toMatchObject({ sub: user.sub });
      expect(statSync(join(dir, 'jwt', 'signing-key.json')).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('verifier (the HTTP API JWT authorizer\'s checks)', () => {
  const rejects = async (token: string, message: RegExp) => {
    const error = await issuer.verifier.verify(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenError);
    expect((error as Error).message).toMatch(message);
  };

  it('accepts a good token', async () => {
    await expect(issuer.verifier.verify(await issuer.signToken(user))).resolves.toMatchObject({ sub: user.sub });
  });

  it('rejects an expired token', async () => {
    const now = Math.floor(Date.now() / 1000) - 13 * 3600;
    await rejects(await issuer.signToken(user, { now }), /expired/);
  });

  it('rejects a token that is not yet valid', async () => {
    await rejects(await issuer.signToken(user, { notBefore: Math.floor(Date.now() / 1000) + 600 }), /nbf/);
  });

  it('rejects a wrong issuer', async () => {
    await rejects(await issuer.signToken(user, { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other' }), /iss/);
  });

  it('rejects a wrong audience (client_id)', async () => {
    await rejects(await issuer.signToken(user, { clientId: 'some-other-app' }), /audience/);
  });

  it('accepts the audience in aud as well as client_id', async () => {
    const verifier = createVerifier({ jwks: issuer.jwks, audiences: ['some-other-app'] });
    await expect(verifier.verify(await issuer.signToken(user, { clientId: 'some-other-app' }))).resolves.toBeTruthy();
  });

  it('rejects a tampered signature and a token from another key', async () => {
    const token = await issuer.signToken(user);
    const [h, p, s] = token.split('.');
    const flipped = `${s![0] === 'A' ? 'B' : 'A'}${s!.slice(1)}`;
    await rejects(`${h}.${p}.${flipped}`, /signature/);
    const forgedPayload = Buffer.from(JSON.stringify({ ...decodeJwt(token), 'cognito:groups': ['admin'] })).toString('base64url');
    await rejects(`${h}.${forgedPayload}.${s}`, /signature/);
    const other = await localIssuer();
    await rejects(await other.signToken(user), /unknown key/);
  });

  it('rejects garbage', async () => {
    await rejects('not.a.jwt', /invalid/i);
  });
});

describe('flattenClaims', () => {
  it('renders every claim as API Gateway does', () => {
    expect(flattenClaims({ 'cognito:groups': ['admin', 'manager'], exp: 1700000000, flag: true, nothing: null, nested: { a: 1 }, s: 'x' } as never)).toEqual({
      'cognito:groups': '[admin manager]', exp: '1700000000', flag: 'true', nested: '{"a":1}', s: 'x',
    });
  });
});
