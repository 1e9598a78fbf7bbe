/**
 * Signed, opaque pagination cursors. A cursor holds DynamoDB's LastEvaluatedKey plus a fingerprint
 * of the query it belongs to (index and partition), signed with HMAC-SHA256. A tampered cursor, or
 * one replayed against a different filter, is a 400 — never a crash and never a look into another
 * partition.
 *
 * Key rotation (docs/operations.md, "Rotating the cursor-signing key"): cursors are signed with
 * the current key and accepted with the current or the previous one (Secrets Manager's AWSCURRENT
 * and AWSPREVIOUS stages), so a cursor in flight survives one rotation; one signed two rotations
 * ago is a 400 and the client restarts its listing. Warm containers refresh the keys every
 * KEY_TTL_MS, and at once (at most every KEY_RETRY_MS) when a cursor fails with the cached keys,
 * so a cursor from a container that already signs with the new key works everywhere.
 *
 * A small TTL cache over GetSecretValue rather than Powertools Parameters' SecretsProvider: we need
 * two version stages, "no AWSPREVIOUS yet" as a normal state, serve-stale when a refresh fails,
 * and a refresh on a failed verification — all of which would sit around the provider anyway —
 * and the provider adds ≈ 5 ms of module init to every list function (docs/performance.md).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientOptions } from '../aws/client-options';
import { config } from '../config';
import { BadRequest } from '../http/problem';

/** How long a warm container signs and verifies with the keys it fetched before refetching. */
export const KEY_TTL_MS = 5 * 60_000;
/** Shortest interval between two fetches triggered by cursors that fail verification. */
export const KEY_RETRY_MS = 10_000;

interface Keys {
  current: Buffer;
  /** Absent until the secret has been rotated once (or locally without CURSOR_SECRET_PREVIOUS). */
  previous?: Buffer;
}

/** `failedAt`: when the last refresh failed (the keys are then older than their TTL). */
let cached: { keys: Keys; fetchedAt: number; failedAt?: number } | undefined;
let inflight: Promise<Keys> | undefined;
let sm: SecretsManagerClient | undefined;
let clock: () => number = Date.now;

async function fetchKeys(): Promise<Keys> {
  const cfg = config();
  if (cfg.cursorSecret) {
    // Locally the keys come in clear; CURSOR_SECRET_PREVIOUS lets a rotation be tried out.
    const previous = process.env.CURSOR_SECRET_PREVIOUS;
    return { current: Buffer.from(cfg.cursorSecret, 'utf8'), previous: previous ? Buffer.from(previous, 'utf8') : undefined };
  }
  if (!cfg.cursorSecretArn) throw new Error('Configuration error: neither CURSOR_SECRET nor CURSOR_SECRET_ARN is set');
  sm ??= new SecretsManagerClient(clientOptions('secretsmanager'));
  const client = sm;
  const stage = async (VersionStage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<Buffer | undefined> => {
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: cfg.cursorSecretArn, VersionStage }));
      return out.SecretString ? Buffer.from(out.SecretString, 'utf8') : undefined;
    } catch (err) {
      // A secret never rotated has no AWSPREVIOUS version.
      if (VersionStage === 'AWSPREVIOUS' && (err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  };
  const [current, previous] = await Promise.all([stage('AWSCURRENT'), stage('AWSPREVIOUS')]);
  if (!current) throw new Error('Configuration error: the cursor secret is empty');
  return { current, previous };
}

/**
 * The keys, fetched at most once per KEY_TTL_MS (or `maxAgeMs`) and by one request at a time. If a
 * refresh fails while keys are cached, the cached keys stay in use (a cursor signed with them is
 * still valid) and the next refresh is tried after KEY_RETRY_MS.
 */
async function signingKeys(maxAgeMs = KEY_TTL_MS): Promise<Keys> {
  const now = clock();
  if (cached && (now - cached.fetchedAt < maxAgeMs || (cached.failedAt !== undefined && now - cached.failedAt < KEY_RETRY_MS))) return cached.keys;
  inflight ??= fetchKeys()
    .then((keys) => {
      cached = { keys, fetchedAt: clock() };
      return keys;
    })
    .catch((err: unknown) => {
      if (!cached) throw err;
      cached = { ...cached, failedAt: clock() };
      return cached.keys;
    })
    .finally(() => {
      inflight = undefined;
    });
  return inflight;
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

function signedBy(keys: Keys, payload: string, signature: string): boolean {
  const given = Buffer.from(signature);
  return [keys.current, keys.previous].some((key) => {
    if (!key) return false;
    const expected = Buffer.from(mac(key, payload));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

export async function encodeCursor(lastKey: Record<string, unknown> | undefined, fingerprint: string): Promise<string | null> {
  if (!lastKey) return null;
  const payload = Buffer.from(JSON.stringify({ k: lastKey, f: fingerprint }), 'utf8').toString('base64url');
  return `${payload}.${mac((await signingKeys()).current, payload)}`;
}

export async function decodeCursor(cursor: string | undefined, fingerprint: string): Promise<Record<string, unknown> | undefined> {
  if (cursor === undefined) return undefined;
  const invalid = BadRequest('The cursor is invalid or belongs to a different query; start again without it', [
    { path: 'cursor', message: 'Invalid cursor' },
  ]);
  const [payload, signature, ...rest] = cursor.split('.');
  if (!payload || !signature || rest.length > 0) throw invalid;
  // A cursor signed with a key newer than ours means the secret was rotated since we fetched it:
  // look again now rather than at the end of the TTL (rate-limited, so garbage cannot force it).
  if (!signedBy(await signingKeys(), payload, signature) && !signedBy(await signingKeys(KEY_RETRY_MS), payload, signature)) throw invalid;
  let parsed: { k?: unknown; f?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (parsed.f !== fingerprint || typeof parsed.k !== 'object' || parsed.k === null) throw invalid;
  return parsed.k as Record<string, unknown>;
}

/** Forgets the cached keys (and the injected clock); tests only. */
export function resetCursorKeyForTests(): void {
  cached = undefined;
  inflight = undefined;
  sm = undefined;
  clock = Date.now;
}

/** Replaces the clock the key TTL is measured with, so tests can pass time without waiting. */
export function setCursorClockForTests(now: () => number): void {
  clock = now;
}
