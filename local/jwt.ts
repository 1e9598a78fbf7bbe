/**
 * Local stand-in for Cognito as a token issuer and for the HTTP API JWT authorizer as a verifier.
 *
 * Tokens are shaped exactly like Cognito *access* tokens — `sub`, `cognito:groups`, `iss`,
 * `version`, `client_id`, `origin_jti`, `event_id`, `token_use`, `scope`, `auth_time`, `exp`,
 * `iat`, `jti`, `username`, and no `email` — and then, as in the deployed user pool, the
 * pre-token-generation trigger (functions/auth/pre-token.ts, the very handler Cognito runs)
 * receives a Cognito-shaped V2_0 event and its `accessTokenGeneration` overrides are applied.
 * So the `email` claim exists locally only when it would exist in AWS: the user's email is
 * verified and the trigger added it.
 *
 * RS256-signed with a key pair generated on first use and kept under the data directory, so a
 * token stays valid across restarts (12 h). The browser sign-in of local/oauth.ts issues the same
 * tokens, with the docs or app client's id, the scopes asked for and the clients' 1 h lifetime.
 */
import { createHash, randomUUID } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AccessTokenGeneration, ClaimsAndScopeOverrideDetails, PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import {
  SignJWT, calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, errors, exportJWK, generateKeyPair, importJWK, jwtVerify,
  type JSONWebKeySet, type JWK, type JWTPayload,
} from 'jose';
import { handler as preTokenGeneration } from '../functions/auth/pre-token';
import type { Role } from '../functions/security/permissions';

/** The local user pool's id (`<region>_<name>`, as Cognito's are). */
export const LOCAL_USER_POOL_ID = 'us-east-1_LocalCrm';
/** Looks like a Cognito issuer URL (ending in the pool id) but is clearly local; the verifier accepts only this one. */
export const LOCAL_ISSUER = `http://localhost/local-cognito/${LOCAL_USER_POOL_ID}`;
/** The app client id (web and mobile clients): one of the HTTP API authorizer's audiences. */
export const LOCAL_CLIENT_ID = 'local-crm-app-client';
/**
 * The docs page's own client (the deployed stage's `DocsSignIn` client in the app stack, whose
 * callback is the API's `/docs`): the authorizer's other audience. local/oauth.ts signs users in
 * for it.
 */
export const LOCAL_DOCS_CLIENT_ID = 'local-crm-docs-client';
/** Scope of a token from a direct sign-in (SRP; `npm run token`), as Cognito writes it. */
export const SIGN_IN_SCOPE = 'aws.cognito.signin.user.admin';
export const TOKEN_LIFETIME_SECONDS = 12 * 3600;

/**
 * The self-service portal's own user pool (customers' contacts; docs/service.md), with its issuer
 * and its one app client: the portal routes' authorizer accepts these and nothing else, every other
 * route accepts the staff pool's and never these. Locally both pools sign with the same key; the
 * verifiers tell them apart by issuer and audience, as the two JWT authorizers do in AWS (where the
 * pools' keys differ as well).
 */
export const LOCAL_PORTAL_POOL_ID = 'us-east-1_LocalPortal';
export const LOCAL_PORTAL_ISSUER = `http://localhost/local-cognito/${LOCAL_PORTAL_POOL_ID}`;
export const LOCAL_PORTAL_CLIENT_ID = 'local-crm-portal-client';
const ALG = 'RS256';

/** The claims of a Cognito access token from a user sign-in (USER_SRP_AUTH), in Cognito's order. */
export const COGNITO_ACCESS_TOKEN_CLAIMS = [
  'sub', 'cognito:groups', 'iss', 'version', 'client_id', 'origin_jti', 'event_id', 'token_use', 'scope',
  'auth_time', 'exp', 'iat', 'jti', 'username',
] as const;

/**
 * Claims a pre-token trigger cannot add, change or suppress in an access token: Cognito's own
 * (identity, audience, lifetime, token ids); groups and scopes change only through
 * groupOverrideDetails and scopesToAdd/scopesToSuppress. The local issuer refuses them loudly so
 * a trigger change that AWS would not honour fails here first.
 */
const PROTECTED_ACCESS_CLAIMS = new Set([
  'acr', 'amr', 'aud', 'auth_time', 'azp', 'client_id', 'cognito:groups', 'device_key', 'event_id', 'exp', 'iat',
  'identities', 'iss', 'jti', 'nbf', 'nonce', 'origin_jti', 'scope', 'sub', 'token_use', 'username', 'version',
]);

export interface TokenSubject {
  sub: string;
  /** The user's `email` attribute; whether it reaches the token is the trigger's decision. */
  email?: string;
  /**
   * The `email_verified` attribute. Default true: demo users are admin-created with verified
   * addresses, as operators create real users (docs/auth.md).
   */
  emailVerified?: boolean;
  groups: readonly (Role | string)[];
  username?: string;
}

/** Overrides for tests of the verifier (expired, wrong issuer, wrong audience, …). */
export interface SignOverrides {
  issuer?: string;
  clientId?: string;
  /** Epoch seconds used as "now" for iat/auth_time/exp. */
  now?: number;
  expiresInSeconds?: number;
  notBefore?: number;
  tokenUse?: 'access' | 'id';
  /** The trigger source Cognito would report (default: a sign-in, TokenGeneration_Authentication). */
  triggerSource?: PreTokenGenerationV2TriggerEvent['triggerSource'];
  /** Granted scopes (default: SIGN_IN_SCOPE; an OAuth sign-in gets the scopes it asked for). */
  scopes?: readonly string[];
}

/** A portal user: a Cognito user of the portal pool whose `custom:contactId` names a CRM contact. */
export interface PortalSubject {
  sub: string;
  /** The immutable `custom:contactId` attribute the service desk set when creating the user. */
  contactId: string;
  email?: string;
  username?: string;
}

/**
 * The local portal user of a contact: a stable UUID `sub` derived from the contact id (Cognito
 * `sub`s are UUIDs), the same on every call, so a contact's tokens always name the same user.
 */
export function portalUserOf(contactId: string): PortalSubject {
  const hex = createHash('sha256').update(`portal-user:${contactId}`).digest('hex');
  const sub = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  return { sub, contactId, username: sub };
}

export interface TokenVerifier {
  /** Resolves with the verified payload; rejects with TokenError when API Gateway would answer 401. */
  verify(token: string): Promise<JWTPayload>;
}

export class TokenError extends Error {
  override name = 'TokenError';
}

export interface LocalIssuer {
  /** A Cognito-shaped access token for the subject, after the pre-token-generation trigger. */
  signToken(subject: TokenSubject, overrides?: SignOverrides): Promise<string>;
  /**
   * A portal pool access token for a contact, after the portal pool's pre-token trigger
   * (functions/auth/portal-pre-token.ts), which reads the contact's customer from the table: the
   * CRM's table must be reachable (TABLE_NAME and its endpoint in the environment).
   */
  signPortalToken(subject: PortalSubject, overrides?: SignOverrides): Promise<string>;
  /** Signs exactly these claims, no trigger: for tests that build a token by hand. */
  signClaims(payload: JWTPayload): Promise<string>;
  verifier: TokenVerifier;
  /** What the portal routes' authorizer checks: the portal pool's issuer and client. */
  portalVerifier: TokenVerifier;
  /** Public keys, as Cognito publishes them at `/.well-known/jwks.json`. */
  jwks: JSONWebKeySet;
}

/**
 * The local issuer. With `dataDir`, the key pair lives in `<dataDir>/jwt/signing-key.json`
 * (created on first use, mode 0600); without, it is ephemeral (tests).
 */
export async function localIssuer(options: { dataDir?: string } = {}): Promise<LocalIssuer> {
  const privateJwk = options.dataDir ? await loadOrCreateKey(join(options.dataDir, 'jwt', 'signing-key.json')) : await newKey();
  const privateKey = await importJWK(privateJwk, ALG);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  const jwks: JSONWebKeySet = { keys: [{ ...publicJwk, use: 'sig', alg: ALG }] };

  const signClaims = (payload: JWTPayload): Promise<string> =>
    new SignJWT(payload).setProtectedHeader({ alg: ALG, kid: privateJwk.kid! }).sign(privateKey);

  async function signToken(subject: TokenSubject, overrides: SignOverrides = {}): Promise<string> {
    const now = overrides.now ?? Math.floor(Date.now() / 1000);
    const clientId = overrides.clientId ?? LOCAL_CLIENT_ID;
    const base = cognitoAccessToken(subject, { ...overrides, now, clientId });
    const event = preTokenEvent(subject, clientId, overrides.triggerSource ?? 'TokenGeneration_Authentication', overrides.scopes);
    const result = await preTokenGeneration(event);
    const payload = applyAccessTokenOverrides(base, result?.response?.claimsAndScopeOverrideDetails);
    if (overrides.notBefore !== undefined) payload.nbf = overrides.notBefore;
    return signClaims(payload);
  }

  async function signPortalToken(subject: PortalSubject, overrides: SignOverrides = {}): Promise<string> {
    const now = overrides.now ?? Math.floor(Date.now() / 1000);
    const clientId = overrides.clientId ?? LOCAL_PORTAL_CLIENT_ID;
    // No groups in the portal pool: the trigger gives every portal token the `customer` group.
    const base = cognitoAccessToken({ sub: subject.sub, groups: [], username: subject.username }, { ...overrides, now, clientId, issuer: overrides.issuer ?? LOCAL_PORTAL_ISSUER });
    const event = portalPreTokenEvent(subject, clientId, overrides.triggerSource ?? 'TokenGeneration_Authentication', overrides.scopes);
    // Run as the trigger's own function would, within its table grants (local/iam.ts). Imported
    // here, not at the top: it brings the DynamoDB client and the grant checks, about half a
    // second of CPU that every `npm run token` for a staff role would pay for nothing.
    const { lambdaContext, loadHandler } = await import('./lambda');
    const trigger = await loadHandler('auth-portal-pre-token');
    const result = await trigger(event, lambdaContext('auth-portal-pre-token')) as PreTokenGenerationV2TriggerEvent;
    const payload = applyAccessTokenOverrides(base, result?.response?.claimsAndScopeOverrideDetails);
    if (overrides.notBefore !== undefined) payload.nbf = overrides.notBefore;
    return signClaims(payload);
  }

  return {
    signToken, signPortalToken, signClaims, jwks,
    verifier: createVerifier({ jwks }),
    portalVerifier: createVerifier({ jwks, issuer: LOCAL_PORTAL_ISSUER, audiences: [LOCAL_PORTAL_CLIENT_ID] }),
  };
}

/** The V2_0 event the portal pool sends its trigger for this user (the contact is a custom attribute). */
export function portalPreTokenEvent(
  subject: PortalSubject,
  clientId: string = LOCAL_PORTAL_CLIENT_ID,
  triggerSource: PreTokenGenerationV2TriggerEvent['triggerSource'] = 'TokenGeneration_Authentication',
  scopes: readonly string[] = [SIGN_IN_SCOPE],
): PreTokenGenerationV2TriggerEvent {
  const event = preTokenEvent({ sub: subject.sub, email: subject.email, groups: [], username: subject.username }, clientId, triggerSource, scopes);
  event.userPoolId = LOCAL_PORTAL_POOL_ID;
  event.request.userAttributes['custom:contactId'] = subject.contactId;
  return event;
}

/** The claims Cognito itself writes into an access token after a user sign-in, before any trigger. */
export function cognitoAccessToken(
  subject: Pick<TokenSubject, 'sub' | 'groups' | 'username'>,
  options: { now: number; clientId?: string; issuer?: string; expiresInSeconds?: number; tokenUse?: 'access' | 'id'; scopes?: readonly string[] },
): JWTPayload {
  const payload: JWTPayload = {
    sub: subject.sub,
    'cognito:groups': [...subject.groups],
    iss: options.issuer ?? LOCAL_ISSUER,
    version: 2,
    client_id: options.clientId ?? LOCAL_CLIENT_ID,
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    token_use: options.tokenUse ?? 'access',
    scope: (options.scopes ?? [SIGN_IN_SCOPE]).join(' '),
    auth_time: options.now,
    exp: options.now + (options.expiresInSeconds ?? TOKEN_LIFETIME_SECONDS),
    iat: options.now,
    jti: randomUUID(),
    username: subject.username ?? subject.sub,
  };
  // Cognito leaves the claim out for a user in no group.
  if (subject.groups.length === 0) delete payload['cognito:groups'];
  return payload;
}

/** The V2_0 pre-token-generation event Cognito sends for this user (documented sample's shape). */
export function preTokenEvent(
  subject: TokenSubject,
  clientId: string = LOCAL_CLIENT_ID,
  triggerSource: PreTokenGenerationV2TriggerEvent['triggerSource'] = 'TokenGeneration_Authentication',
  scopes: readonly string[] = [SIGN_IN_SCOPE],
): PreTokenGenerationV2TriggerEvent {
  const userAttributes: Record<string, string> = { sub: subject.sub, 'cognito:user_status': 'CONFIRMED' };
  if (subject.email !== undefined) {
    const verified = subject.emailVerified ?? true;
    userAttributes.email = subject.email;
    userAttributes.email_verified = String(verified);
    // Sign-in by email alias is only possible with a verified address.
    if (verified) userAttributes['cognito:email_alias'] = subject.email;
  }
  return {
    version: '2',
    triggerSource,
    region: LOCAL_USER_POOL_ID.split('_')[0]!,
    userPoolId: LOCAL_USER_POOL_ID,
    userName: subject.username ?? subject.sub,
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId },
    request: {
      userAttributes,
      groupConfiguration: { groupsToOverride: [...subject.groups], iamRolesToOverride: [], preferredRole: null as unknown as undefined },
      scopes: [...scopes],
    },
    // Cognito sends null here; the trigger fills it in.
    response: { claimsAndScopeOverrideDetails: null as unknown as ClaimsAndScopeOverrideDetails },
  } as PreTokenGenerationV2TriggerEvent;
}

/**
 * Applies a V2_0 trigger response to an access token as Cognito does: `claimsToAddOrOverride`,
 * then `claimsToSuppress` (a claim both added and suppressed is suppressed), `groupOverrideDetails`
 * replacing `cognito:groups` when present, and scopes added or suppressed. The ID-token part is
 * ignored: the API never sees ID tokens.
 */
export function applyAccessTokenOverrides(token: JWTPayload, details: ClaimsAndScopeOverrideDetails | null | undefined): JWTPayload {
  const payload: JWTPayload = { ...token };
  if (!details) return payload;
  const access: AccessTokenGeneration = details.accessTokenGeneration ?? {};
  const touched = [...Object.keys(access.claimsToAddOrOverride ?? {}), ...(access.claimsToSuppress ?? [])];
  const forbidden = touched.filter((claim) => PROTECTED_ACCESS_CLAIMS.has(claim));
  if (forbidden.length > 0) throw new Error(`The pre-token trigger may not change access-token claim(s) ${forbidden.join(', ')}`);
  Object.assign(payload, access.claimsToAddOrOverride ?? {});
  for (const claim of access.claimsToSuppress ?? []) delete payload[claim];
  if (details.groupOverrideDetails) {
    const groups = details.groupOverrideDetails.groupsToOverride ?? [];
    if (groups.length > 0) payload['cognito:groups'] = [...groups];
    else delete payload['cognito:groups'];
  }
  if (access.scopesToAdd?.length || access.scopesToSuppress?.length) {
    const scopes = new Set(String(payload.scope ?? '').split(' ').filter(Boolean));
    for (const scope of access.scopesToAdd ?? []) scopes.add(scope);
    for (const scope of access.scopesToSuppress ?? []) scopes.delete(scope);
    payload.scope = [...scopes].join(' ');
  }
  return payload;
}

export interface VerifierOptions {
  jwks: JSONWebKeySet;
  issuer?: string;
  /** Accepted `aud` or `client_id` values (the authorizer's audience list). */
  audiences?: readonly string[];
  clockToleranceSeconds?: number;
}

/**
 * Checks what the HTTP API JWT authorizer checks: a `kid` header naming a key of the issuer's JWKS
 * (required: jose alone would try the only key of a one-key set on a token without `kid`, which the
 * authorizer rejects), the RS256 signature, `iss`, `aud` or (Cognito access tokens have no `aud`)
 * `client_id` against the audience list, and `exp`/`nbf`/`iat`. Route scopes are not configured,
 * so `scope` is not checked.
 */
export function createVerifier(options: VerifierOptions): TokenVerifier {
  const keys = createLocalJWKSet(options.jwks);
  const issuer = options.issuer ?? LOCAL_ISSUER;
  const audiences = options.audiences ?? [LOCAL_CLIENT_ID, LOCAL_DOCS_CLIENT_ID];
  const clockTolerance = options.clockToleranceSeconds ?? 0;
  // A client sends the same access token with every request, and the RSA check is the costly part
  // (half a millisecond of CPU). A token that passed once is signed by these fixed keys for good:
  // while its time claims still pass it is taken from here; once one would fail it goes through
  // the full check below again, which gives the exact error.
  const passed = new Map<string, JWTPayload>();
  const stillValid = (payload: JWTPayload): boolean => {
    const now = Math.floor(Date.now() / 1000);
    return typeof payload.exp === 'number' && payload.exp > now - clockTolerance
      && (payload.nbf === undefined || payload.nbf <= now + clockTolerance)
      && typeof payload.iat === 'number' && payload.iat <= now + clockTolerance;
  };
  return {
    async verify(token: string): Promise<JWTPayload> {
      const known = passed.get(token);
      if (known && stillValid(known)) return structuredClone(known);
      let payload: JWTPayload;
      try {
        const { kid } = decodeProtectedHeader(token);
        if (typeof kid !== 'string' || kid.length === 0) throw new TokenError('Token header has no kid');
        ({ payload } = await jwtVerify(token, keys, { issuer, algorithms: [ALG], clockTolerance, requiredClaims: ['exp', 'iat'] }));
      } catch (error) {
        throw new TokenError(describeJoseError(error));
      }
      if (typeof payload.iat === 'number' && payload.iat > Math.floor(Date.now() / 1000) + clockTolerance) {
        throw new TokenError('Token issued in the future');
      }
      const aud = payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      const clientId = typeof payload.client_id === 'string' ? [payload.client_id] : [];
      if (![...aud, ...clientId].some((value) => audiences.includes(value))) {
        throw new TokenError('Token audience (aud/client_id) is not accepted');
      }
      if (passed.size >= 1000) passed.clear();
      passed.set(token, structuredClone(payload));
      return payload;
    },
  };
}

function describeJoseError(error: unknown): string {
  if (error instanceof TokenError) return error.message;
  if (error instanceof errors.JWTExpired) return 'Token expired';
  if (error instanceof errors.JWTClaimValidationFailed) return `Token claim "${error.claim}" is invalid (${error.reason})`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'Token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'Token signed by an unknown key';
  if (error instanceof errors.JOSEError) return `Token is invalid (${error.code})`;
  return 'Token is invalid';
}

/**
 * Claims as the HTTP API hands them to a payload-v2 Lambda: every value a string; arrays in Go
 * form (`["admin","manager"]` → `"[admin manager]"`); numbers and booleans stringified; null
 * claims omitted; nested objects as JSON text (measured against a live HTTP API).
 */
export function flattenClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === null || value === undefined) continue;
    claims[name] = renderClaim(value);
  }
  return claims;
}

function renderClaim(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map((item) => (typeof item === 'object' && item !== null ? JSON.stringify(item) : String(item))).join(' ')}]`;
  return JSON.stringify(value);
}

async function newKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.alg = ALG;
  return jwk;
}

/** Create-if-absent without a race: two processes starting at once end up with the same key. */
async function loadOrCreateKey(file: string): Promise<JWK> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temp, JSON.stringify(await newKey()), { mode: 0o600 });
  try {
    linkSync(temp, file);
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  return JSON.parse(readFileSync(file, 'utf8')) as JWK;
}
