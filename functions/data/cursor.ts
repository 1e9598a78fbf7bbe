/**
 * Opaque pagination cursors. A cursor holds DynamoDB's LastEvaluatedKey, encrypted and
 * authenticated with AES-256-GCM; the query it belongs to (index, partition, filters — the
 * caller's "fingerprint") is bound in as additional authenticated data. So a client can neither
 * read a cursor (a key names an item: its id, and in index keys its owner, stage or close date)
 * nor change one, and a cursor replayed against a different filter fails like a tampered one:
 * 400, never a crash and never a look into another partition.
 *
 * Format (base64url, no separators): version byte 0x01 ‖ 12-byte random IV ‖ ciphertext ‖ 16-byte
 * GCM tag. The plaintext is the key's JSON padded with spaces to a multiple of 32 bytes, so the
 * length says little about the key. The AES key is derived from the cursor secret with HKDF-SHA256
 * (info "crm-cursor/aes-256-gcm/v1"), so the secret's value and its rotation stay as they were.
 *
 * What a cursor may hold: only the key of an item the caller was allowed to read the list of —
 * own-scope lists read owner-keyed partitions (docs/access-patterns.md), so even the key of an
 * item a filter dropped is the caller's own. Encryption is the second line, not the first.
 *
 * Key rotation (docs/operations.md, "Rotating the cursor-signing key"): cursors are sealed with
 * the current key and opened with the current or the previous one (Secrets Manager's AWSCURRENT
 * and AWSPREVIOUS stages), so a cursor in flight survives one rotation; one sealed two rotations
 * ago is a 400 and the client restarts its listing. Warm containers refresh the keys every
 * KEY_TTL_MS, and at once (at most every KEY_RETRY_MS) when a cursor fails with the cached keys,
 * so a cursor from a container that already seals with the new key works everywhere.
 *
 * A small TTL cache over GetSecretValue rather than Powertools Parameters' SecretsProvider: we need
 * two version stages, "no AWSPREVIOUS yet" as a normal state, serve-stale when a refresh fails,
 * and a refresh on a failed verification — all of which would sit around the provider anyway —
 * and the provider adds ≈ 5 ms of module init to every list function (docs/performance.md).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientOptions } from '../aws/client-options';
import { config } from '../config';
import { BadRequest, HttpError } from '../http/problem';

/** How long a warm container signs and verifies with the keys it fetched before refetching. */
export const KEY_TTL_MS = 5 * 60_000;
/** Shortest interval between two fetches triggered by cursors that fail verification. */
export const KEY_RETRY_MS = 10_000;

/** AES-256 keys derived from the secret's versions (never the secret itself). */
interface Keys {
  current: Buffer;
  /** Absent until the secret has been rotated once (or locally without CURSOR_SECRET_PREVIOUS). */
  previous?: Buffer;
}

const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PAD_TO = 32;
const HKDF_INFO = 'crm-cursor/aes-256-gcm/v1';

/** The cursor key for one version of the secret: HKDF-SHA256, 32 bytes. */
export function cursorKeyFromSecret(secret: string | Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), HKDF_INFO, 32));
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
    return { current: cursorKeyFromSecret(cfg.cursorSecret), previous: previous ? cursorKeyFromSecret(previous) : undefined };
  }
  if (!cfg.cursorSecretArn) throw new Error('Configuration error: neither CURSOR_SECRET nor CURSOR_SECRET_ARN is set');
  sm ??= new SecretsManagerClient(clientOptions('secretsmanager'));
  const client = sm;
  const stage = async (VersionStage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<Buffer | undefined> => {
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: cfg.cursorSecretArn, VersionStage }));
      return out.SecretString ? cursorKeyFromSecret(out.SecretString) : undefined;
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

const aad = (fingerprint: string) => Buffer.from(`crm-cursor/v1\n${fingerprint}`, 'utf8');

/**
 * Seals a LastEvaluatedKey for one query with one key. Exported for the tests (a cursor as another
 * container would seal it); the handlers use encodeCursor.
 */
export function sealCursor(key: Buffer, lastKey: Record<string, unknown>, fingerprint: string): string {
  const json = Buffer.from(JSON.stringify(lastKey), 'utf8');
  // Trailing spaces are JSON whitespace: the padding needs no length field.
  const plain = Buffer.alloc(Math.ceil((json.length + 1) / PAD_TO) * PAD_TO, 0x20);
  json.copy(plain);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(fingerprint));
  const sealed = Buffer.concat([Buffer.from([VERSION]), iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return sealed.toString('base64url');
}

/** The key inside a cursor if one of `keys` sealed it for this query; undefined otherwise. */
export function openCursor(keys: readonly (Buffer | undefined)[], cursor: string, fingerprint: string): Record<string, unknown> | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const raw = Buffer.from(cursor, 'base64url');
  // Only the canonical spelling: Buffer ignores stray trailing bits, a changed cursor must not pass.
  if (raw.toString('base64url') !== cursor) return undefined;
  if (raw.length < 1 + IV_BYTES + TAG_BYTES + PAD_TO || raw[0] !== VERSION) return undefined;
  const iv = raw.subarray(1, 1 + IV_BYTES);
  const body = raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  for (const key of keys) {
    if (!key) continue;
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(fingerprint));
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      continue; // not this key (or tampered): GCM authenticates before we look at anything
    }
    try {
      const parsed: unknown = JSON.parse(plain.toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      /* authentic but not ours to read: treat as invalid */
    }
    return undefined;
  }
  return undefined;
}

export async function encodeCursor(lastKey: Record<string, unknown> | undefined, fingerprint: string): Promise<string | null> {
  if (!lastKey) return null;
  return sealCursor((await signingKeys()).current, lastKey, fingerprint);
}

/** The 400 for a cursor that is not one of ours, was changed, or belongs to another query. */
export const invalidCursor = () =>
  BadRequest('The cursor is invalid or belongs to a different query; start again without it', [{ path: 'cursor', message: 'Invalid cursor' }]);

export async function decodeCursor(cursor: string | undefined, fingerprint: string): Promise<Record<string, unknown> | undefined> {
  if (cursor === undefined) return undefined;
  const invalid = invalidCursor();
  const withKeys = (keys: Keys) => openCursor([keys.current, keys.previous], cursor, fingerprint);
  // A cursor sealed with a key newer than ours means the secret was rotated since we fetched it:
  // look again now rather than at the end of the TTL (rate-limited, so garbage cannot force it).
  const lastKey = withKeys(await signingKeys()) ?? withKeys(await signingKeys(KEY_RETRY_MS));
  if (!lastKey) throw invalid;
  return lastKey;
}

/**
 * Links in emails (unsubscribe, double opt-in, survey) carry a small payload sealed like a cursor,
 * bound to the link's own purpose, so one kind never passes as another or as a cursor. Opening
 * gives the payload, or undefined for anything not sealed by us for that purpose (changed, cut,
 * another purpose); dependency failures (the secret cannot be read) still throw.
 */
export async function sealLink(payload: Record<string, unknown>, purpose: string): Promise<string> {
  return (await encodeCursor(payload, purpose))!;
}

export async function openSealedLink(token: string, purpose: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await decodeCursor(token, purpose);
  } catch (err) {
    if (err instanceof HttpError && err.status === 400) return undefined;
    throw err;
  }
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
