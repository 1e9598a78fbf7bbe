/**
 * The OAuth 2.0 sign-in endpoints the OpenAPI document names (security scheme `cognito`: Cognito's
 * authorization code flow with PKCE), so interactive docs and generated clients can sign a user in.
 *
 * The document is rendered at build time, before any deployment exists, so it names the endpoints
 * under a placeholder origin; the system function swaps in the stage's own when it serves the
 * document: `AUTH_DOMAIN_URL`, the user pool domain (`https://<prefix>.auth.<region>.amazoncognito.com`
 * or a custom domain; CDK sets it) — locally the gateway itself, whose local/oauth.ts stands in
 * for the domain. Without it the placeholder stays and only the `bearer` scheme works.
 *
 * The `/docs` page signs in as its own public client, `DOCS_CLIENT_ID` (the app stack's
 * `DocsSignIn` client, whose callback is the API's `/docs`); with both set the page shows a
 * "Sign in" button and its CSP may reach the token endpoint. Data and string work only: the
 * system function bundles it.
 */

/** Origin of the OAuth endpoints in the rendered document (functions/system/openapi.json). */
export const AUTH_ORIGIN_PLACEHOLDER = 'https://auth.crm.example';

/** Cognito's hosted-UI endpoints, relative to the domain. */
export const AUTHORIZE_PATH = '/oauth2/authorize';
export const TOKEN_PATH = '/oauth2/token';

/** Scopes a sign-in asks for; the API authorizes by group, not by scope. */
export const OAUTH_SCOPES: Record<string, string> = {
  openid: 'Sign in (OpenID Connect)',
  email: 'Your email address (the `email` claim when verified)',
  profile: 'Your name',
};

/**
 * The origin to name in the served document: `AUTH_DOMAIN_URL` when it is an http(s) origin,
 * undefined (keep the placeholder) otherwise.
 */
export function authOrigin(env: Record<string, string | undefined> = process.env): string | undefined {
  const value = env.AUTH_DOMAIN_URL?.replace(/\/+$/, '');
  return value && /^https?:\/\/[A-Za-z0-9.-]+(:\d+)?$/.test(value) ? value : undefined;
}

/** The rendered document with the placeholder origin replaced (a plain string replace: no JSON parse per cold start). */
export function withAuthOrigin(json: string, origin: string | undefined): string {
  return origin ? json.split(`"${AUTH_ORIGIN_PLACEHOLDER}/`).join(`"${origin}/`) : json;
}

export interface DocsSignIn {
  /** Origin of the authorize and token endpoints (the CSP's extra `connect-src`). */
  origin: string;
  /** The docs page's OAuth client id. */
  clientId: string;
}

/** The docs page's sign-in settings, or undefined when the stage has no domain or no docs client. */
export function docsSignIn(env: Record<string, string | undefined> = process.env): DocsSignIn | undefined {
  const origin = authOrigin(env);
  const clientId = env.DOCS_CLIENT_ID;
  if (!origin || !clientId || !/^[A-Za-z0-9_-]{1,128}$/.test(clientId)) return undefined;
  return { origin, clientId };
}
