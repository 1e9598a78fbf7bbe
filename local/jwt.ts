/**
 * Local stand-in for Cognito as a token issuer and for the HTTP API JWT authorizer as a verifier.
 *
 * Tokens carry the claims of a Cognito *access* token (`sub`, `cognito:groups`, `iss`,
 * `client_id`, `token_use`, `scope`, `username`, `exp`, `iat`, `auth_time`, `jti`, …) plus
 * `email`. They are RS256-signed with a key pair generated on first use and kept under the data
 * directory, so a token stays valid across restarts (12 h, like Cognito's default).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  SignJWT, calculateJwkThumbprint, createLocalJWKSet, errors, exportJWK, generateKeyPair, importJWK, jwtVerify,
  type JSONWebKeySet, type JWK, type JWTPayload,
} from 'jose';
import type { Role } from '../functions/security/permissions';

/** Looks like a Cognito issuer URL but is clearly local; the verifier accepts only this one. */
export const LOCAL_ISSUER = 'http://localhost/local-cognito/us-east-1_LocalCrm';
/** The app client id: the HTTP API authorizer's audience. */
export const LOCAL_CLIENT_ID = 'local-crm-app-client';
export const TOKEN_LIFETIME_SECONDS = 12 * 3600;
const ALG = 'RS256';

export interface TokenSubject {
  sub: string;
  email: string;
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
}

export interface TokenVerifier {
  /** Resolves with the verified payload; rejects with TokenError when API Gateway would answer 401. */
  verify(token: string): Promise<JWTPayload>;
}

export class TokenError extends Error {
  override name = 'TokenError';
}

export interface LocalIssuer {
  signToken(subject: TokenSubject, overrides?: SignOverrides): Promise<string>;
  verifier: TokenVerifier;
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

  async function signToken(subject: TokenSubject, overrides: SignOverrides = {}): Promise<string> {
    const now = overrides.now ?? Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      sub: subject.sub,
      'cognito:groups': [...subject.groups],
      email: subject.email,
      iss: overrides.issuer ?? LOCAL_ISSUER,
      version: 2,
      client_id: overrides.clientId ?? LOCAL_CLIENT_ID,
      origin_jti: randomUUID(),
      event_id: randomUUID(),
      token_use: overrides.tokenUse ?? 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: now,
      exp: now + (overrides.expiresInSeconds ?? TOKEN_LIFETIME_SECONDS),
      iat: now,
      jti: randomUUID(),
      username: subject.username ?? subject.sub,
    };
    if (overrides.notBefore !== undefined) payload.nbf = overrides.notBefore;
    return new SignJWT(payload).setProtectedHeader({ alg: ALG, kid: privateJwk.kid! }).sign(privateKey);
  }

  return { signToken, jwks, verifier: createVerifier({ jwks }) };
}

export interface VerifierOptions {
  jwks: JSONWebKeySet;
  issuer?: string;
  /** Accepted `aud` or `client_id` values (the authorizer's audience list). */
  audiences?: readonly string[];
  clockToleranceSeconds?: number;
}

/**
 * Checks what the HTTP API JWT authorizer checks: a key from the issuer's JWKS by `kid`, the
 * RS256 signature, `iss`, `aud` or (Cognito access tokens have no `aud`) `client_id` against the
 * audience list, and `exp`/`nbf`/`iat`. Route scopes are not configured, so `scope` is not checked.
 */
export function createVerifier(options: VerifierOptions): TokenVerifier {
  const keys = createLocalJWKSet(options.jwks);
  const issuer = options.issuer ?? LOCAL_ISSUER;
  const audiences = options.audiences ?? [LOCAL_CLIENT_ID];
  const clockTolerance = options.clockToleranceSeconds ?? 0;
  return {
    async verify(token: string): Promise<JWTPayload> {
      let payload: JWTPayload;
      try {
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
      return payload;
    },
  };
}

function describeJoseError(error: unknown): string {
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
