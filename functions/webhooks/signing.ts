/**
 * Delivery signatures. Each attempt is signed with HMAC-SHA256 over `<timestamp>.<body>` (the
 * timestamp in Unix seconds, the body byte for byte), hex-encoded:
 *
 *   X-CRM-Timestamp: 1767225600
 *   X-CRM-Signature: v1=5f2c…[,v1=<signature with the previous secret during a rotation's overlap>]
 *
 * Receivers recompute it with their secret, compare in constant time against every `v1=` value, and
 * refuse timestamps older than five minutes (replays). docs/webhooks.md has the recipe in Node and Python.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-crm-signature';
export const TIMESTAMP_HEADER = 'x-crm-timestamp';
export const EVENT_ID_HEADER = 'x-crm-event-id';
export const EVENT_TYPE_HEADER = 'x-crm-event-type';
export const DELIVERY_ID_HEADER = 'x-crm-delivery-id';
/** What the recipe tells receivers to accept; also what verifySignature() uses by default. */
export const REPLAY_TOLERANCE_SECONDS = 300;

/** A new signing secret: 32 random bytes, base64url, with a recognisable prefix. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The signature header value: one `v1=` per secret that is still valid (newest first). */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return secrets.map((secret) => `v1=${sign(secret, timestamp, body)}`).join(',');
}

/**
 * The receiver's side, as the docs describe it (used by the tests' reference receiver): true when
 * the timestamp is within the tolerance of `nowSeconds` and one `v1=` signature matches.
 */
export function verifySignature(secret: string, header: string, timestamp: string, body: string, nowSeconds = Math.floor(Date.now() / 1000), toleranceSeconds = REPLAY_TOLERANCE_SECONDS): boolean {
  const ts = Number(timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, ts, body), 'hex');
  return header.split(',').some((part) => {
    const [scheme, value] = part.trim().split('=', 2);
    if (scheme !== 'v1' || !value || !/^[0-9a-f]{64}$/.test(value)) return false;
    return timingSafeEqual(Buffer.from(value, 'hex'), expected);
  });
}
