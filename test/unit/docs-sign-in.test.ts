/**
 * The /docs page's "Sign in" (functions/system/docs-page.ts) in a DOM: it starts the authorization
 * code flow with a PKCE S256 challenge of a verifier it keeps in this tab, and on the way back
 * exchanges the code (with the verifier, once, only for the state it sent) at the document's
 * token endpoint and sends the access token with "Try it". The real endpoints are exercised end
 * to end in test/integration/oauth-sign-in.test.ts.
 */
import { createHash } from 'node:crypto';
import { Window } from 'happy-dom';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../functions/api/openapi';
import { docsPageHtml } from '../../functions/system/docs-page';
import { withAuthOrigin } from '../../functions/system/sign-in';

const ORIGIN = 'http://localhost:3000';
const spec = JSON.parse(withAuthOrigin(JSON.stringify(buildOpenApi()), ORIGIN));

interface Call { url: string; method: string; headers: Record<string, string>; body?: string }

const windows: Window[] = [];
afterEach(async () => {
  for (const w of windows.splice(0)) await w.happyDOM.close();
});

async function open(url: string, options: { clientId?: string; pending?: unknown; token?: (call: Call) => { status: number; body: unknown } } = {}) {
  const window = new Window({ url, settings: { enableJavaScriptEvaluation: true, suppressInsecureJavaScriptEnvironmentWarning: true, navigation: { disableMainFrameNavigation: true } } });
  windows.push(window);
  const calls: Call[] = [];
  const assigned: string[] = [];
  (window as unknown as { fetch: unknown }).fetch = async (target: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    const call = { url: String(target), method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body };
    calls.push(call);
    if (call.url === '/v1/openapi.json') return new window.Response(JSON.stringify(spec), { headers: { 'content-type': 'application/json' } });
    if (call.url === `${ORIGIN}/oauth2/token`) {
      const reply = options.token?.(call) ?? { status: 500, body: {} };
      return new window.Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
    }
    return new window.Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  (window.location as unknown as { assign: (u: string) => void }).assign = (target: string) => { assigned.push(target); };
  if (options.pending) window.sessionStorage.setItem('crm.docs.signin', JSON.stringify(options.pending));
  window.document.write(docsPageHtml({ specUrl: '/v1/openapi.json', clientId: options.clientId }));
  await settle(window);
  return { window, document: window.document, calls, assigned };
}

async function settle(window: Window) {
  await window.happyDOM.waitUntilComplete();
  await new Promise((resolve) => setTimeout(resolve, 30));
  await window.happyDOM.waitUntilComplete();
}

const buttons = (document: Window['document']) => [...document.querySelectorAll('button')] as unknown as { textContent: string; click(): void }[];

describe('docs page sign-in', () => {
  it('offers no sign-in without a client id (a stage without a domain: paste a token)', async () => {
    const { document } = await open(`${ORIGIN}/docs`);
    expect(buttons(document).map((b) => b.textContent)).not.toContain('Sign in');
  });

  it('starts the authorization code flow with an S256 challenge of a verifier kept in this tab', async () => {
    const { window, document, assigned } = await open(`${ORIGIN}/docs#op/me`, { clientId: 'docs-client' });
    buttons(document).find((b) => b.textContent === 'Sign in')!.click();
    await settle(window);
    expect(assigned).toHaveLength(1);
    const target = new URL(assigned[0]!);
    expect(`${target.origin}${target.pathname}`).toBe(`${ORIGIN}/oauth2/authorize`);
    const pending = JSON.parse(window.sessionStorage.getItem('crm.docs.signin')!);
    expect(Object.fromEntries(target.searchParams)).toEqual({
      response_type: 'code', client_id: 'docs-client', redirect_uri: `${ORIGIN}/docs`, scope: 'openid email profile',
      state: pending.state, code_challenge: createHash('sha256').update(pending.verifier).digest('base64url'), code_challenge_method: 'S256',
    });
    expect(pending.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(pending).toMatchObject({ tokenUrl: `${ORIGIN}/oauth2/token`, redirectUri: `${ORIGIN}/docs`, hash: '#op/me' });
  });

  it('exchanges the returned code with the verifier, then sends the access token with requests', async () => {
    const pending = { state: 'st-1', verifier: 'v'.repeat(43), tokenUrl: `${ORIGIN}/oauth2/token`, redirectUri: `${ORIGIN}/docs`, hash: '#op/me' };
    const { window, document, calls } = await open(`${ORIGIN}/docs?code=the-code&state=st-1`, {
      clientId: 'docs-client', pending, token: () => ({ status: 200, body: { access_token: 'access-1', token_type: 'Bearer', expires_in: 3600 } }),
    });
    const exchange = calls.find((c) => c.url === `${ORIGIN}/oauth2/token`)!;
    expect(exchange.method).toBe('POST');
    expect(exchange.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(exchange.body))).toEqual({
      grant_type: 'authorization_code', client_id: 'docs-client', code: 'the-code', redirect_uri: `${ORIGIN}/docs`, code_verifier: 'v'.repeat(43),
    });
    // The code leaves the address bar; the operation the user was on comes back.
    expect(window.location.search).toBe('');
    expect(window.location.hash).toBe('#op/me');
    expect(window.sessionStorage.getItem('crm.docs.signin')).toBeNull();
    expect(window.sessionStorage.getItem('crm.docs.token')).toBe('access-1');
    expect(document.getElementById('auth')!.textContent).toContain('signed in');
    buttons(document).find((b) => b.textContent === 'Send request')!.click();
    await settle(window);
    expect(calls.at(-1)).toMatchObject({ url: `${ORIGIN}/v1/me`, headers: { authorization: 'Bearer access-1' } });
  });

  it('refuses an answer whose state it did not send, without calling the token endpoint', async () => {
    const pending = { state: 'mine', verifier: 'v'.repeat(43), tokenUrl: `${ORIGIN}/oauth2/token`, redirectUri: `${ORIGIN}/docs` };
    const { window, document, calls } = await open(`${ORIGIN}/docs?code=stolen&state=theirs`, { clientId: 'docs-client', pending });
    expect(calls.some((c) => c.url.endsWith('/oauth2/token'))).toBe(false);
    expect(window.sessionStorage.getItem('crm.docs.token')).toBeNull();
    expect(document.getElementById('auth')!.textContent).toContain('Sign-in failed');
  });

  it('shows the token endpoint\'s OAuth error', async () => {
    const pending = { state: 's', verifier: 'v'.repeat(43), tokenUrl: `${ORIGIN}/oauth2/token`, redirectUri: `${ORIGIN}/docs` };
    const { document } = await open(`${ORIGIN}/docs?code=c&state=s`, {
      clientId: 'docs-client', pending, token: () => ({ status: 400, body: { error: 'invalid_grant', error_description: 'used' } }),
    });
    expect(document.getElementById('auth')!.textContent).toContain('Sign-in failed: invalid_grant (used)');
  });
});
