/**
 * Signing in the way the /docs page does, against the local user pool domain (local/oauth.ts):
 * authorize → pick a demo user → code → token with the PKCE verifier → call the API with the
 * access token, which the gateway verifies like every other token (and refresh it). A wrong verifier, a reused
 * code or a different redirect_uri is an OAuth error (400 JSON), and an unregistered redirect
 * URI never gets a redirect.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/demo-users';
import { LOCAL_DOCS_CLIENT_ID } from '../../local/jwt';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
let docsUrl: string;
beforeAll(async () => {
  crm = await startTestStack();
  docsUrl = `${crm.baseUrl}/docs`;
}, 240_000);
afterAll(async () => {
  await crm?.stop();
});

const sam = DEMO_USERS.find((user) => user.username === 'sam.sales')!;
const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

function authorizeUrl(params: Record<string, string>): string {
  const query = new URLSearchParams({
    response_type: 'code', client_id: LOCAL_DOCS_CLIENT_ID, redirect_uri: docsUrl, scope: 'openid email profile', code_challenge_method: 'S256', ...params,
  });
  return `${crm.baseUrl}/oauth2/authorize?${query}`;
}

/** Opens the sign-in page and picks the user, as the browser does; returns the redirect. */
async function signIn(challenge: string, state = randomBytes(8).toString('hex'), userId = sam.id): Promise<{ code: string; state: string | null; location: URL }> {
  const page = await fetch(authorizeUrl({ code_challenge: challenge, state }));
  const html = await page.text();
  expect(page.status, html).toBe(200);
  const request = /name="request" value="([^"]+)"/.exec(html)?.[1];
  expect(request).toBeTruthy();
  const answer = await fetch(`${crm.baseUrl}/oauth2/authorize`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ request: request!, user: userId }).toString(),
  });
  expect(answer.status).toBe(303);
  const location = new URL(answer.headers.get('location')!);
  return { code: location.searchParams.get('code')!, state: location.searchParams.get('state'), location };
}

function exchange(params: Record<string, string>) {
  return fetch(`${crm.baseUrl}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: LOCAL_DOCS_CLIENT_ID, redirect_uri: docsUrl, ...params }).toString(),
  }).then(async (res) => ({ status: res.status, headers: res.headers, body: await res.json() as Record<string, any> }));
}

describe('local OAuth sign-in (authorization code + PKCE)', () => {
  it('serves the docs page with a sign-in client and the discovery document with its endpoints', async () => {
    const docs = await crm.request('GET', '/docs');
    expect(docs.text).toContain(`data-client-id="${LOCAL_DOCS_CLIENT_ID}"`);
    expect(docs.headers.get('content-security-policy')).toContain(`connect-src 'self' ${crm.baseUrl}`);
    const discovery = await crm.request('GET', '/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    expect(discovery.body).toMatchObject({ code_challenge_methods_supported: ['S256'], response_types_supported: ['code'] });
    expect(new URL(discovery.body.token_endpoint).pathname).toBe('/oauth2/token');
    const jwks = await crm.request('GET', '/.well-known/jwks.json');
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.body.keys[0].d).toBeUndefined();
  });

  it('signs a demo user in and the access token calls the API as that user', async () => {
    const { verifier, challenge } = pkce();
    const { code, state, location } = await signIn(challenge, 'state-123');
    expect(`${location.origin}${location.pathname}`).toBe(docsUrl);
    expect(state).toBe('state-123');
    const tokens = await exchange({ code, code_verifier: verifier });
    expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
    expect(tokens.headers.get('cache-control')).toBe('no-store');
    expect(tokens.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    const claims = decodeJwt(tokens.body.access_token);
    // A Cognito access token from the hosted UI: the docs client, the scopes asked for, and the
    // verified email the pre-token trigger adds.
    expect(claims).toMatchObject({ sub: sam.id, client_id: LOCAL_DOCS_CLIENT_ID, token_use: 'access', scope: 'openid email profile', 'cognito:groups': ['sales'], email: sam.email });
    expect(decodeJwt(tokens.body.id_token)).toMatchObject({ aud: LOCAL_DOCS_CLIENT_ID, token_use: 'id', email: sam.email, sub: sam.id });

    const me = await crm.request('GET', '/v1/me', { token: tokens.body.access_token });
    expect(me.status, me.text).toBe(200);
    expect(me.body).toMatchObject({ userId: sam.id, role: 'sales', email: sam.email });

    // Single use: the same code again is refused.
    const again = await exchange({ code, code_verifier: verifier });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');

    // The refresh token gives a new access token for the same user and client (and no new refresh token).
    expect(tokens.body.refresh_token).toEqual(expect.any(String));
    const refreshed = await exchange({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token });
    expect(refreshed.status, JSON.stringify(refreshed.body)).toBe(200);
    expect(refreshed.body.refresh_token).toBeUndefined();
    expect(refreshed.body.access_token).not.toBe(tokens.body.access_token);
    expect(decodeJwt(refreshed.body.access_token)).toMatchObject({ sub: sam.id, client_id: LOCAL_DOCS_CLIENT_ID, scope: 'openid email profile' });
    expect((await crm.request('GET', '/v1/me', { token: refreshed.body.access_token })).body.userId).toBe(sam.id);
    const otherClient = await exchange({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token, client_id: 'local-crm-app-client' });
    expect(otherClient.status).toBe(400);
    expect(otherClient.body.error).toBe('invalid_grant');
  });

  it('refuses a wrong verifier (and burns the code), a different redirect_uri and an unknown code with 400 invalid_grant', async () => {
    const first = pkce();
    const wrongVerifier = await signIn(first.challenge);
    const wrong = await exchange({ code: wrongVerifier.code, code_verifier: pkce().verifier });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get('content-type')).toBe('application/json');
    expect(wrong.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/code_verifier/) });
    const afterWrong = await exchange({ code: wrongVerifier.code, code_verifier: first.verifier });
    expect(afterWrong.status).toBe(400);
    expect(afterWrong.body.error).toBe('invalid_grant');

    const second = pkce();
    const otherRedirect = await signIn(second.challenge);
    const redirected = await exchange({ code: otherRedirect.code, code_verifier: second.verifier, redirect_uri: `${crm.baseUrl}/elsewhere` });
    expect(redirected.status).toBe(400);
    expect(redirected.body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/redirect_uri/) });

    const unknown = await exchange({ code: 'not-a-code', code_verifier: second.verifier });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_grant');
    const refresh = await exchange({ grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' });
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    const password = await exchange({ grant_type: 'password', username: 'sam.sales', password: 'x' });
    expect(password.status).toBe(400);
    expect(password.body.error).toBe('unsupported_grant_type');
  });

  it('never redirects to an unregistered URI, and sends PKCE-less requests back with invalid_request', async () => {
    const { challenge } = pkce();
    const foreign = await fetch(authorizeUrl({ code_challenge: challenge, redirect_uri: 'https://attacker.example/docs' }), { redirect: 'manual' });
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('location')).toBeNull();
    const noPkce = await fetch(authorizeUrl({ state: 's1' }).replace('&code_challenge_method=S256', ''), { redirect: 'manual' });
    expect(noPkce.status).toBe(302);
    const back = new URL(noPkce.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(docsUrl);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('s1');
  });

  it('accepts a sign-in form once only, and only for a demo user', async () => {
    const { challenge } = pkce();
    const page = await (await fetch(authorizeUrl({ code_challenge: challenge }))).text();
    expect(page).toContain(sam.username);
    const request = /name="request" value="([^"]+)"/.exec(page)![1]!;
    const post = (user: string) => fetch(`${crm.baseUrl}/oauth2/authorize`, {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request, user }).toString(),
    });
    expect((await post('not-a-user')).status).toBe(400);
    // The failed attempt used the page up.
    expect((await post(sam.id)).status).toBe(400);
  });
});
