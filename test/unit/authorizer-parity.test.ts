/**
 * The local authorizer chain behaves as API Gateway's HTTP API JWT authorizer and Cognito do, so
 * nothing passes locally that AWS would refuse:
 * - the authorizer requires a `kid` header naming a key of the issuer's JWKS (an RS256 token
 *   without `kid` is a 401, even when its signature is good);
 * - `cognito:groups` is a JSON array in the token and reaches the function as Go's rendering
 *   `[a b]`; a role is a group whose name is exactly the role's — `sales,admin`, `"admin"`,
 *   `Admin` or `admin ` lookalikes are not admin.
 * The chain under test is the real one: local issuer (with the pre-token trigger) → verifier →
 * flattenClaims (what the gateway puts in the event) → principalFromClaims (what every handler runs).
 */
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpError } from '../../functions/http/problem';
import { parseGroups, principalFromClaims } from '../../functions/security/principal';
import { createGateway, type Gateway } from '../../local/gateway';
import { LOCAL_CLIENT_ID, LOCAL_ISSUER, TokenError, createVerifier, flattenClaims, localIssuer, type LocalIssuer } from '../../local/jwt';

async function status(run: () => unknown): Promise<number> {
  try {
    await run();
    return 200;
  } catch (error) {
    if (error instanceof HttpError) return error.status;
    throw error;
  }
}

describe('the verifier requires kid, as the HTTP API JWT authorizer does', () => {
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwks: JSONWebKeySet;
  let kid: string;
  const now = () => Math.floor(Date.now() / 1000);
  const claims = () => ({ sub: 'u1', 'cognito:groups': ['sales'], iss: LOCAL_ISSUER, client_id: LOCAL_CLIENT_ID, token_use: 'access', iat: now(), exp: now() + 600 });

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    const publicJwk: JWK = await exportJWK(pair.publicKey);
    kid = await calculateJwkThumbprint(publicJwk);
    // One key in the set: the case where a library would happily pick it for a token without kid.
    jwks = { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] };
  });

  it('accepts a token whose kid names the key, and rejects one without kid, with an empty or an unknown kid', async () => {
    const verifier = createVerifier({ jwks });
    const sign = (header: Record<string, unknown>) => new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', ...header }).sign(privateKey);

    await expect(verifier.verify(await sign({ kid }))).resolves.toMatchObject({ sub: 'u1' });
    for (const header of [{}, { kid: '' }, { kid: 'some-other-key' }]) {
      const error = await verifier.verify(await sign(header)).then(() => undefined, (e: unknown) => e);
      expect(error, JSON.stringify(header)).toBeInstanceOf(TokenError);
    }
    const missing = await verifier.verify(await sign({})).then(() => undefined, (e: Error) => e);
    expect(missing?.message).toMatch(/kid/);
  });

  it('rejects a kid-less token also when its alg is not RS256 (HS256 with the public key as secret)', async () => {
    const verifier = createVerifier({ jwks });
    const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const hs = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid }).sign(secret);
    await expect(verifier.verify(hs)).rejects.toBeInstanceOf(TokenError);
  });
});

describe('groups: exact role names only', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await localIssuer();
  });

  /** The role a user in these Cognito groups gets, through the whole local chain (403 → undefined). */
  async function roleOf(groups: string[]): Promise<string | undefined> {
    const token = await issuer.signToken({ sub: 'u-groups', groups });
    const claims = flattenClaims(await issuer.verifier.verify(token));
    try {
      return principalFromClaims(claims).role;
    } catch (error) {
      expect(error).toBeInstanceOf(HttpError);
      expect((error as HttpError).status).toBe(403);
      return undefined;
    }
  }

  it('gives the most privileged exact role among several groups', async () => {
    expect(await roleOf(['sales', 'admin'])).toBe('admin');
    expect(await roleOf(['analyst', 'manager'])).toBe('manager');
    expect(await roleOf(['sales'])).toBe('sales');
  });

  it('does not read a role out of a group whose name only contains or resembles it', async () => {
    expect(await roleOf(['sales,admin'])).toBeUndefined();
    expect(await roleOf(['"admin"'])).toBeUndefined();
    expect(await roleOf(['["admin"]'])).toBeUndefined();
    expect(await roleOf(['[admin]'])).toBeUndefined();
    expect(await roleOf(['Admin'])).toBeUndefined();
    expect(await roleOf(['admins'])).toBeUndefined();
    // A lookalike group beside a real one: the real one counts, the lookalike adds nothing.
    expect(await roleOf(['sales', '"admin"'])).toBe('sales');
    expect(await roleOf(['sales', 'analyst,admin'])).toBe('sales');
    expect(await roleOf([])).toBeUndefined();
  });

  it('parses the claim as API Gateway renders it, and nothing else', () => {
    // What the HTTP API passes for ["sales","admin"], ['"admin"'] and ['sales,admin'] (Go's %v of the array).
    expect(parseGroups('[sales admin]')).toEqual(['sales', 'admin']);
    expect(parseGroups('["admin"]')).toEqual(['"admin"']);
    expect(parseGroups('[sales,admin]')).toEqual(['sales,admin']);
    expect(parseGroups('[]')).toEqual([]);
    // Not a rendering of an array: Cognito never issues cognito:groups as a plain string.
    expect(parseGroups('admin')).toEqual([]);
    expect(parseGroups('sales,admin')).toEqual([]);
    expect(parseGroups('"admin"')).toEqual([]);
    // A direct invocation with the array itself: exact strings, nothing split.
    expect(parseGroups(['sales,admin', 'service'])).toEqual(['sales,admin', 'service']);
    expect(parseGroups([42, 'analyst'])).toEqual(['analyst']);
  });

  it('answers 403 for every lookalike claim that reaches a handler', async () => {
    for (const value of ['admin', 'sales,admin', '["admin"]', '[sales,admin]', '[Admin]', '[ admin, ]', '"[admin]"', '[]']) {
      expect(await status(() => principalFromClaims({ sub: 'u1', 'cognito:groups': value })), value).toBe(403);
    }
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': '[sales admin]' }).role).toBe('admin');
  });
});

describe('through the local gateway (the authorizer in front of every handler)', () => {
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let kid: string;
  let gateway: Gateway;
  const now = () => Math.floor(Date.now() / 1000);

  /** Stands in for every feature: the principal exactly as the middleware chain derives it. */
  async function whoAmI(event: APIGatewayProxyEventV2WithJWTAuthorizer) {
    try {
      const principal = principalFromClaims(event.requestContext.authorizer.jwt.claims);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: principal.role }) };
    } catch (error) {
      return { statusCode: (error as HttpError).status, body: '' };
    }
  }

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    const publicJwk: JWK = await exportJWK(pair.publicKey);
    kid = await calculateJwkThumbprint(publicJwk);
    const verifier = createVerifier({ jwks: { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] } });
    gateway = await createGateway({ verifier, throttle: false, handlerFor: async () => whoAmI as never });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  async function call(groups: string[], header: Record<string, unknown> = { kid }) {
    const token = await new SignJWT({ sub: 'u1', 'cognito:groups': groups, iss: LOCAL_ISSUER, client_id: LOCAL_CLIENT_ID, token_use: 'access', iat: now(), exp: now() + 600 })
      .setProtectedHeader({ alg: 'RS256', ...header }).sign(privateKey);
    return fetch(`${gateway.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  }

  it('answers 401 for a token without kid, and passes the same token with kid on', async () => {
    const ok = await call(['sales']);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ role: 'sales' });
    const noKid = await call(['sales'], {});
    expect(noKid.status).toBe(401);
    expect(noKid.headers.get('content-type')).toBe('application/problem+json');
    expect(noKid.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('turns only exact group names into roles (403 for lookalikes)', async () => {
    expect(await (await call(['sales', 'admin'])).json()).toEqual({ role: 'admin' });
    for (const groups of [['sales,admin'], ['"admin"'], ['Admin'], ['[admin]']]) {
      expect((await call(groups)).status, JSON.stringify(groups)).toBe(403);
    }
  });
});
