import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COGNITO_ACCESS_TOKEN_CLAIMS, LOCAL_CLIENT_ID, LOCAL_ISSUER, LOCAL_USER_POOL_ID, TokenError, applyAccessTokenOverrides, createVerifier,
  flattenClaims, localIssuer, preTokenEvent, type LocalIssuer,
} from '../../local/jwt';

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

  it('shapes the token exactly like a Cognito access token, plus the email the trigger adds for a verified address', async () => {
    const verified = decodeJwt(await issuer.signToken(user));
    expect(Object.keys(verified)).toEqual([...COGNITO_ACCESS_TOKEN_CLAIMS, 'email']);
    expect(verified).toMatchObject({ version: 2, scope: 'aws.cognito.signin.user.admin', username: user.sub, email: user.email });
    expect(verified.auth_time).toBe(verified.iat);
  });

  it('carries no email claim when the address is unverified or missing — as in AWS', async () => {
    for (const subject of [{ ...user, emailVerified: false }, { sub: user.sub, groups: ['sales'] }]) {
      const claims = decodeJwt(await issuer.signToken(subject));
      expect(Object.keys(claims)).toEqual([...COGNITO_ACCESS_TOKEN_CLAIMS]);
      expect(claims.email).toBeUndefined();
    }
  });

  it('runs the trigger for refreshed tokens too', async () => {
    const claims = decodeJwt(await issuer.signToken(user, { triggerSource: 'TokenGeneration_RefreshTokens' }));
    expect(claims.email).toBe(user.email);
  });

  it('sends the trigger a Cognito-shaped V2_0 event', () => {
    const event = preTokenEvent({ ...user, username: 'sam.sales' });
    expect(event).toEqual({
      version: '2',
      triggerSource: 'TokenGeneration_Authentication',
      region: 'us-east-1',
      userPoolId: LOCAL_USER_POOL_ID,
      userName: 'sam.sales',
      callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: LOCAL_CLIENT_ID },
      request: {
        userAttributes: { sub: user.sub, 'cognito:user_status': 'CONFIRMED', email: user.email, email_verified: 'true', 'cognito:email_alias': user.email },
        groupConfiguration: { groupsToOverride: ['sales'], iamRolesToOverride: [], preferredRole: null },
        scopes: ['aws.cognito.signin.user.admin'],
      },
      response: { claimsAndScopeOverrideDetails: null },
    });
    expect(preTokenEvent({ ...user, emailVerified: false }).request.userAttributes).toEqual({
      sub: user.sub, 'cognito:user_status': 'CONFIRMED', email: user.email, email_verified: 'false',
    });
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

describe('applying a trigger response (as Cognito does)', () => {
  const base = { sub: 's', 'cognito:groups': ['sales'], scope: 'aws.cognito.signin.user.admin', token_use: 'access', tier: 'b' };

  it('adds, overrides and suppresses claims; suppression wins over addition', () => {
    expect(applyAccessTokenOverrides(base, {
      accessTokenGeneration: { claimsToAddOrOverride: { email: 'a@b.example', tier: 'a', nickname: 'x' }, claimsToSuppress: ['nickname'] },
    })).toEqual({ ...base, email: 'a@b.example', tier: 'a' });
  });

  it('replaces groups only through groupOverrideDetails, and scopes only through scopesToAdd/Suppress', () => {
    expect(applyAccessTokenOverrides(base, {
      groupOverrideDetails: { groupsToOverride: ['analyst'] },
      accessTokenGeneration: { scopesToAdd: ['crm/read'], scopesToSuppress: ['aws.cognito.signin.user.admin'] },
    })).toMatchObject({ 'cognito:groups': ['analyst'], scope: 'crm/read' });
    expect(applyAccessTokenOverrides(base, { groupOverrideDetails: {} })).not.toHaveProperty('cognito:groups');
    expect(applyAccessTokenOverrides(base, null)).toEqual(base);
  });

  it('refuses changes to claims Cognito owns, so a trigger AWS would not honour fails locally first', () => {
    for (const claim of ['sub', 'cognito:groups', 'scope', 'client_id', 'exp', 'iss', 'token_use']) {
      expect(() => applyAccessTokenOverrides(base, { accessTokenGeneration: { claimsToAddOrOverride: { [claim]: 'x' } } })).toThrow(claim);
    }
    expect(() => applyAccessTokenOverrides(base, { accessTokenGeneration: { claimsToSuppress: ['sub'] } })).toThrow('sub');
  });
});

describe('flattenClaims', () => {
  it('renders every claim as API Gateway does', () => {
    expect(flattenClaims({ 'cognito:groups': ['admin', 'manager'], exp: 1700000000, flag: true, nothing: null, nested: { a: 1 }, s: 'x' } as never)).toEqual({
      'cognito:groups': '[admin manager]', exp: '1700000000', flag: 'true', nested: '{"a":1}', s: 'x',
    });
  });
});
