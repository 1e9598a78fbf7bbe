/**
 * Local stand-in for the Cognito user pool domain's OAuth 2.0 endpoints, served by the local
 * gateway next to the API so the `/docs` page (and a web client under development) can sign in
 * with the same authorization code + PKCE flow as against a deployed stage:
 *
 *   GET  /oauth2/authorize                  a small sign-in page listing the demo users
 *   POST /oauth2/authorize                  the page's form: issues a code, 303 to redirect_uri
 *   POST /oauth2/token                      authorization_code grant with PKCE (S256) → tokens
 *   GET  /logout                            forgets nothing (tokens are stateless), 302 to logout_uri
 *   GET  /.well-known/openid-configuration  discovery document
 *   GET  /.well-known/jwks.json             the local issuer's public keys
 *
 * The access token is the one `npm run token` prints (local/jwt.ts: Cognito-shaped, after the
 * pre-token-generation trigger), with the client id, scopes and lifetime of an OAuth sign-in,
 * so the gateway verifies it exactly as it verifies every other token.
 *
 * Stricter than Cognito where that costs a client nothing: PKCE with S256 is required, codes
 * are single-use (a failed exchange burns the code too) and live 5 minutes (Cognito's lifetime),
 * redirect URIs must match a registered one exactly. Clients: the docs client (callback: this
 * gateway's own `/docs`, on localhost, 127.0.0.1 and [::1]) and the app client (callbacks:
 * `OAUTH_CALLBACK_URLS`, comma-separated, as `oauthCallbackUrls` configures a deployed stage).
 * No passwords: picking a demo user is the sign-in. The refresh_token grant returns new access
 * and ID tokens (no new refresh token, as Cognito without rotation); refresh tokens live in
 * memory for 12 hours and are gone after a restart (sign in again).
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { escapeHtml } from '../functions/system/docs-page';
import { OAUTH_SCOPES } from '../functions/system/sign-in';
import { DEMO_USERS, type DemoUser } from './demo-users';
import { LOCAL_CLIENT_ID, LOCAL_DOCS_CLIENT_ID, LOCAL_ISSUER, SIGN_IN_SCOPE, type LocalIssuer } from './jwt';

/** An authorization code's lifetime (Cognito: 5 minutes). */
export const CODE_LIFETIME_SECONDS = 300;
/** How long the sign-in page stays usable before its form is refused. */
const PAGE_LIFETIME_SECONDS = 600;
/** Access and ID token validity of the deployed app and docs clients (lib/constructs/auth.ts). */
export const OAUTH_TOKEN_LIFETIME_SECONDS = 3600;
/** Refresh token validity (the docs client's in AWS). */
const REFRESH_LIFETIME_SECONDS = 12 * 3600;
/** Scopes a client may ask for: the document's (openid, email, profile) and Cognito's own. */
const ALLOWED_SCOPES = new Set([...Object.keys(OAUTH_SCOPES), SIGN_IN_SCOPE]);

export interface OAuthResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface LocalOAuthOptions {
  issuer: LocalIssuer;
  /** The app client's callback (and logout) URLs; default: `OAUTH_CALLBACK_URLS` from the environment. */
  callbackUrls?: readonly string[];
  /** Clock for tests (epoch milliseconds). */
  now?: () => number;
}

export interface LocalOAuth {
  /** The answer for an OAuth path, or undefined when the request is not one (the API's business). */
  handle(req: IncomingMessage, url: URL, body: Buffer): Promise<OAuthResponse | undefined>;
}

interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  state?: string;
  nonce?: string;
  scopes: string[];
  codeChallenge: string;
  expiresAt: number;
}

interface IssuedCode extends AuthorizationRequest {
  user: DemoUser;
  authTime: number;
}

type RefreshGrant = Pick<IssuedCode, 'clientId' | 'scopes' | 'user' | 'authTime' | 'expiresAt'>;

const OAUTH_PATHS = new Set(['/oauth2/authorize', '/oauth2/token', '/logout', '/.well-known/openid-configuration', '/.well-known/jwks.json']);

/** Callback URLs from `OAUTH_CALLBACK_URLS` (comma-separated absolute http(s) URLs). */
export function callbackUrlsFromEnv(env: Record<string, string | undefined> = process.env): string[] {
  return (env.OAUTH_CALLBACK_URLS ?? '').split(',').map((url) => url.trim()).filter((url) => /^https?:\/\/[^\s]+$/.test(url));
}

/**
 * The environment the handlers need once the gateway listens at `apiUrl`: the sign-in endpoints
 * (AUTH_DOMAIN_URL, the gateway itself), the docs page's client and where problem `type` URIs point
 * (PROBLEM_BASE_URL: the gateway's own `/problems/` unless set already).
 */
export function localSignInEnvironment(apiUrl: string, env: Record<string, string | undefined> = process.env): Record<string, string> {
  const origin = apiUrl.replace(/\/+$/, '');
  return { AUTH_DOMAIN_URL: origin, DOCS_CLIENT_ID: LOCAL_DOCS_CLIENT_ID, PROBLEM_BASE_URL: env.PROBLEM_BASE_URL || `${origin}/problems/` };
}

export function createLocalOAuth(options: LocalOAuthOptions): LocalOAuth {
  const now = options.now ?? Date.now;
  const appCallbacks = options.callbackUrls ?? callbackUrlsFromEnv();
  const pending = new Map<string, AuthorizationRequest>();
  const codes = new Map<string, IssuedCode>();
  const refreshTokens = new Map<string, RefreshGrant>();

  /** The redirect URIs registered for a client, on the port this request came in on. */
  function redirectUris(clientId: string, req: IncomingMessage): readonly string[] | undefined {
    if (clientId === LOCAL_DOCS_CLIENT_ID) {
      const port = req.socket.localPort;
      return ['localhost', '127.0.0.1', '[::1]'].map((host) => `http://${host}:${port}/docs`);
    }
    if (clientId === LOCAL_CLIENT_ID) return appCallbacks;
    return undefined;
  }

  function prune(): void {
    const t = now();
    for (const [key, value] of pending) if (value.expiresAt <= t) pending.delete(key);
    for (const [key, value] of codes) if (value.expiresAt <= t) codes.delete(key);
    for (const [key, value] of refreshTokens) if (value.expiresAt <= t) refreshTokens.delete(key);
  }

  async function handle(req: IncomingMessage, url: URL, body: Buffer): Promise<OAuthResponse | undefined> {
    if (!OAUTH_PATHS.has(url.pathname)) return undefined;
    const method = (req.method ?? 'GET').toUpperCase();
    prune();
    switch (`${method} ${url.pathname}`) {
      case 'GET /oauth2/authorize': return authorize(req, url.searchParams);
      case 'POST /oauth2/authorize': return approve(form(req, body));
      case 'POST /oauth2/token': return token(req, form(req, body));
      case 'GET /logout': return logout(req, url.searchParams);
      case 'GET /.well-known/openid-configuration': return json(200, discovery(req), { 'cache-control': 'public, max-age=300' });
      case 'GET /.well-known/jwks.json': return json(200, options.issuer.jwks, { 'cache-control': 'public, max-age=300' });
      default: return json(405, { error: 'invalid_request', error_description: `${method} is not allowed on ${url.pathname}` });
    }
  }

  /** RFC 6749 §4.1.1: validate the client and redirect URI first; never redirect to an unregistered URI. */
  function authorize(req: IncomingMessage, q: URLSearchParams): OAuthResponse {
    const clientId = q.get('client_id') ?? '';
    const redirectUri = q.get('redirect_uri') ?? '';
    const registered = redirectUris(clientId, req);
    if (!registered) return errorPage(400, 'Unknown client', `No client has the id "${clientId}". Local clients: ${LOCAL_DOCS_CLIENT_ID} (the /docs page) and ${LOCAL_CLIENT_ID} (OAUTH_CALLBACK_URLS).`);
    if (!registered.includes(redirectUri)) {
      return errorPage(400, 'Redirect URI not registered', `"${redirectUri}" is not a callback URL of ${clientId}. Registered: ${registered.join(', ') || 'none (set OAUTH_CALLBACK_URLS)'}.`);
    }
    const state = q.get('state') ?? undefined;
    const fail = (error: string, description: string) => redirect(redirectUri, { error, error_description: description, ...(state ? { state } : {}) });
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported');
    const challenge = q.get('code_challenge') ?? '';
    if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge)) {
      return fail('invalid_request', 'PKCE is required: code_challenge (43 base64url characters) with code_challenge_method=S256');
    }
    const scopes = (q.get('scope') ?? 'openid').split(' ').filter(Boolean);
    const unknown = scopes.filter((scope) => !ALLOWED_SCOPES.has(scope));
    if (unknown.length > 0) return fail('invalid_scope', `Unknown scope(s): ${unknown.join(' ')}`);
    const id = randomToken();
    pending.set(id, {
      clientId, redirectUri, state, nonce: q.get('nonce') ?? undefined, scopes, codeChallenge: challenge,
      expiresAt: now() + PAGE_LIFETIME_SECONDS * 1000,
    });
    return signInPage(id, clientId, new URL(redirectUri).origin);
  }

  /** The sign-in form: the authorization request it continues (single use) and the chosen user. */
  function approve(params: URLSearchParams | undefined): OAuthResponse {
    if (!params) return errorPage(415, 'Unsupported form', 'The sign-in form is sent as application/x-www-form-urlencoded.');
    const id = params.get('request') ?? '';
    const request = pending.get(id);
    pending.delete(id);
    if (!request) return errorPage(400, 'Sign-in expired', 'This sign-in page is no longer valid. Start the sign-in again from the application.');
    const user = DEMO_USERS.find((candidate) => candidate.id === params.get('user'));
    if (!user) return errorPage(400, 'Unknown user', 'Pick one of the demo users.');
    const code = randomToken();
    codes.set(code, { ...request, user, authTime: Math.floor(now() / 1000), expiresAt: now() + CODE_LIFETIME_SECONDS * 1000 });
    return redirect(request.redirectUri, { code, ...(request.state ? { state: request.state } : {}) }, 303);
  }

  /** RFC 6749 §4.1.3 with RFC 7636 §4.6; errors per RFC 6749 §5.2. */
  async function token(req: IncomingMessage, params: URLSearchParams | undefined): Promise<OAuthResponse> {
    if (!params) return tokenError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded');
    const grantType = params.get('grant_type');
    if (grantType === 'refresh_token') return refresh(req, params);
    if (grantType !== 'authorization_code') {
      return tokenError('unsupported_grant_type', grantType ? `grant_type ${grantType} is not supported (authorization_code, refresh_token)` : 'grant_type is required');
    }
    const missing = ['code', 'client_id', 'redirect_uri', 'code_verifier'].filter((name) => !params.get(name));
    if (missing.length > 0) return tokenError('invalid_request', `Missing ${missing.join(', ')}`);
    const clientId = params.get('client_id')!;
    if (!redirectUris(clientId, req)) return tokenError('invalid_client', `Unknown client ${clientId}`);
    const code = params.get('code')!;
    const issued = codes.get(code);
    // Single use: a code is gone after its first exchange, successful or not.
    codes.delete(code);
    if (!issued || issued.expiresAt <= now()) return tokenError('invalid_grant', 'The authorization code is invalid, expired or already used');
    if (issued.clientId !== clientId) return tokenError('invalid_grant', 'The authorization code was issued to another client');
    if (issued.redirectUri !== params.get('redirect_uri')) return tokenError('invalid_grant', 'redirect_uri does not match the authorization request');
    const verifier = params.get('code_verifier')!;
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return tokenError('invalid_grant', 'code_verifier must be 43 to 128 unreserved characters');
    if (!sameText(s256(verifier), issued.codeChallenge)) return tokenError('invalid_grant', 'code_verifier does not match the code_challenge');

    const refreshToken = randomToken();
    refreshTokens.set(refreshToken, { clientId, scopes: issued.scopes, user: issued.user, authTime: issued.authTime, expiresAt: now() + REFRESH_LIFETIME_SECONDS * 1000 });
    return tokenResponse(issued, 'TokenGeneration_HostedAuth', refreshToken);
  }

  /** RFC 6749 §6: the same user, client and scopes; the refresh token itself stays valid. */
  function refresh(req: IncomingMessage, params: URLSearchParams): Promise<OAuthResponse> | OAuthResponse {
    const clientId = params.get('client_id') ?? '';
    if (!redirectUris(clientId, req)) return tokenError('invalid_client', clientId ? `Unknown client ${clientId}` : 'Missing client_id');
    const grant = refreshTokens.get(params.get('refresh_token') ?? '');
    if (!grant || grant.expiresAt <= now() || grant.clientId !== clientId) return tokenError('invalid_grant', 'The refresh token is invalid, expired or of another client');
    return tokenResponse(grant, 'TokenGeneration_RefreshTokens');
  }

  async function tokenResponse(
    grant: RefreshGrant & { nonce?: string },
    triggerSource: 'TokenGeneration_HostedAuth' | 'TokenGeneration_RefreshTokens',
    refreshToken?: string,
  ): Promise<OAuthResponse> {
    const { user, clientId } = grant;
    const subject = { sub: user.id, email: user.email, emailVerified: true, groups: [user.role], username: user.username };
    const accessToken = await options.issuer.signToken(subject, { clientId, scopes: grant.scopes, expiresInSeconds: OAUTH_TOKEN_LIFETIME_SECONDS, triggerSource });
    const tokens: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer', expires_in: OAUTH_TOKEN_LIFETIME_SECONDS };
    if (grant.scopes.includes('openid')) tokens.id_token = await idToken(grant, clientId, accessToken);
    if (refreshToken) tokens.refresh_token = refreshToken;
    return json(200, tokens, { 'cache-control': 'no-store', pragma: 'no-cache', 'access-control-allow-origin': '*' });
  }

  /** The ID token Cognito issues alongside (claims per the documented ID-token sample). */
  function idToken(issued: RefreshGrant & { nonce?: string }, clientId: string, accessToken: string): Promise<string> {
    const t = Math.floor(now() / 1000);
    const atHash = createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');
    const email = issued.scopes.includes('email') ? { email: issued.user.email, email_verified: true } : {};
    return options.issuer.signClaims({
      at_hash: atHash, sub: issued.user.id, 'cognito:groups': [issued.user.role], ...email, iss: LOCAL_ISSUER,
      'cognito:username': issued.user.username, ...(issued.nonce ? { nonce: issued.nonce } : {}), origin_jti: randomUUID(),
      aud: clientId, event_id: randomUUID(), token_use: 'id', auth_time: issued.authTime, exp: t + OAUTH_TOKEN_LIFETIME_SECONDS, iat: t, jti: randomUUID(),
    });
  }

  function logout(req: IncomingMessage, q: URLSearchParams): OAuthResponse {
    const clientId = q.get('client_id') ?? '';
    const registered = redirectUris(clientId, req);
    const target = q.get('logout_uri') ?? '';
    if (!registered || !registered.includes(target)) return errorPage(400, 'Logout URL not registered', `"${target}" is not a logout URL of client "${clientId}".`);
    return { status: 302, headers: { location: target, 'cache-control': 'no-store' }, body: '' };
  }

  function discovery(req: IncomingMessage): Record<string, unknown> {
    const base = `http://localhost:${req.socket.localPort}`;
    return {
      issuer: LOCAL_ISSUER,
      authorization_endpoint: `${base}/oauth2/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      jwks_uri: `${base}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: [...ALLOWED_SCOPES],
      token_endpoint_auth_methods_supported: ['none'],
      code_challenge_methods_supported: ['S256'],
    };
  }

  return { handle };
}

/** `BASE64URL(SHA256(verifier))`, RFC 7636 §4.2. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function form(req: IncomingMessage, body: Buffer): URLSearchParams | undefined {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' ? new URLSearchParams(body.toString('utf8')) : undefined;
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): OAuthResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

function tokenError(error: string, description: string): OAuthResponse {
  const status = error === 'invalid_client' ? 401 : 400;
  return json(status, { error, error_description: description }, { 'cache-control': 'no-store', pragma: 'no-cache', 'access-control-allow-origin': '*' });
}

function redirect(target: string, params: Record<string, string>, status = 302): OAuthResponse {
  const url = new URL(target);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return { status, headers: { location: url.href, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, body: '' };
}

const STYLE = 'body{margin:0 auto;max-width:520px;padding:32px 24px;font:15px/1.5 system-ui,sans-serif;color-scheme:light dark}'
  + 'h1{font-size:20px}form{display:grid;gap:8px}button{display:flex;justify-content:space-between;gap:12px;width:100%;padding:10px 12px;'
  + 'border:1px solid #8886;border-radius:8px;background:transparent;color:inherit;font:inherit;cursor:pointer;text-align:left}'
  + 'button:hover{border-color:#2457c5}.role{opacity:.7}.muted{opacity:.75;font-size:13px}code{font-size:13px}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

function pageHeaders(formTarget?: string): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    // The form posts here, and its answer redirects to the client: both must be allowed targets.
    'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'${formTarget ? ` ${formTarget}` : ''}; base-uri 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

function signInPage(requestId: string, clientId: string, redirectOrigin: string): OAuthResponse {
  const users = DEMO_USERS.map((user) => `<button type="submit" name="user" value="${escapeHtml(user.id)}"><span>${escapeHtml(user.username)} <span class="muted">${escapeHtml(user.email)}</span></span><span class="role">${escapeHtml(user.role)}</span></button>`).join('\n');
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in — local CRM</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Sign in to the local CRM</h1>
<p class="muted">Local stand-in for the Cognito hosted UI. Pick a demo user; its token carries the user's role group, exactly as <code>npm run token</code>'s does. Client <code>${escapeHtml(clientId)}</code> → ${escapeHtml(redirectOrigin)}</p>
<form method="post" action="/oauth2/authorize">
<input type="hidden" name="request" value="${escapeHtml(requestId)}">
${users}
</form>
</body>
</html>
`;
  return { status: 200, headers: pageHeaders(redirectOrigin), body };
}

function errorPage(status: number, title: string, detail: string): OAuthResponse {
  const body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)} — local CRM sign-in</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p></body>
</html>
`;
  return { status, headers: pageHeaders(), body };
}
