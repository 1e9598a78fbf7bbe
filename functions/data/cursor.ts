/**
 * Signed, opaque pagination cursors. A cursor holds DynamoDB's LastEvaluatedKey plus a fingerprint
 * of the query it belongs to (index and partition), signed with HMAC-SHA256. A tampered cursor, or
 * one replayed against a different filter, is a 400 — never a crash and never a look into another
 * partition.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { config } from '../config';
import { BadRequest } from '../http/problem';

let secret: Buffer | undefined;

async function signingKey(): Promise<Buffer> {
  if (secret) return secret;
  const cfg = config();
  if (cfg.cursorSecret) {
    secret = Buffer.from(cfg.cursorSecret, 'utf8');
  } else if (cfg.cursorSecretArn) {
    const sm = new SecretsManagerClient({});
    const out = await sm.send(new GetSecretValueCommand({ SecretId: cfg.cursorSecretArn }));
    if (!out.SecretString) throw new Error('Configuration error: cursor secret is empty');
    secret = Buffer.from(out.SecretString, 'utf8');
  } else {
    throw new Error('Configuration error: neither CURSOR_SECRET nor CURSOR_SECRET_ARN is set');
  }
  return secret;
}

function mac(key: Buffer, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}

export async function encodeCursor(lastKey: Record<string, unknown> | undefined, fingerprint: string): Promise<string | null> {
  if (!lastKey) return null;
  const payload = Buffer.from(JSON.stringify({ k: lastKey, f: fingerprint }), 'utf8').toString('base64url');
  return `${payload}.${mac(await signingKey(), payload)}`;
}

export async function decodeCursor(cursor: string | undefined, fingerprint: string): Promise<Record<string, unknown> | undefined> {
  if (cursor === undefined) return undefined;
  const invalid = BadRequest('The cursor is invalid or belongs to a different query; start again without it', [
    { path: 'cursor', message: 'Invalid cursor' },
  ]);
  const [payload, signature, ...rest] = cursor.split('.');
  if (!payload || !signature || rest.length > 0) throw invalid;
  const expected = Buffer.from(mac(await signingKey(), payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid;
  let parsed: { k?: unknown; f?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (parsed.f !== fingerprint || typeof parsed.k !== 'object' || parsed.k === null) throw invalid;
  return parsed.k as Record<string, unknown>;
}

export function resetCursorKeyForTests(): void {
  secret = undefined;
}
