/**
 * One delivery attempt over the network: POST the body to the webhook's URL with the signature
 * headers, connecting only to an address the SSRF guard approved (ssrf.ts), never following a
 * redirect, and giving up after ATTEMPT_TIMEOUT_MS. Success is any 2xx. Uses node:http(s) rather
 * than fetch because only they let the connection be pinned to the checked address.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ATTEMPT_TIMEOUT_MS } from './model';
import { BlockedAddress, resolvePublic, type ResolvedAddress } from './ssrf';

export interface SendOutcome {
  ok: boolean;
  statusCode?: number;
  latencyMs: number;
  /** A short machine-readable reason when no 2xx came back: `timeout`, `blocked-address`, `http-301`, … */
  error?: string;
}

export interface SendInput {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs?: number;
}

export async function sendSigned(input: SendInput): Promise<SendOutcome> {
  const started = Date.now();
  const timeoutMs = input.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  let url: URL;
  try { url = new URL(input.url); } catch { return { ok: false, latencyMs: 0, error: 'invalid-url' }; }
  let target: ResolvedAddress;
  try {
    target = await resolvePublic(url);
  } catch (error) {
    return { ok: false, latencyMs: Date.now() - started, error: error instanceof BlockedAddress ? 'blocked-address' : 'dns-failed' };
  }
  const options: RequestOptions = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'crm-webhooks/1', 'content-length': String(Buffer.byteLength(input.body)), ...input.headers },
    // Pinned: the socket connects to the checked address, whatever DNS says a moment later.
    lookup: (_host, opts, callback) => {
      if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
      else callback(null, target.address, target.family);
    },
    timeout: timeoutMs,
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const done = (outcome: Omit<SendOutcome, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, latencyMs: Date.now() - started });
    };
    const req = request(url, options, (res) => {
      const status = res.statusCode ?? 0;
      // The receiver's answer is not read beyond its status; drain at most what arrives in time.
      res.resume();
      res.on('end', () => done(status >= 200 && status < 300 ? { ok: true, statusCode: status } : { ok: false, statusCode: status, error: `http-${status}` }));
      res.on('error', () => done({ ok: false, statusCode: status, error: 'response-error' }));
    });
    // The whole attempt (connect, send, answer), not only socket idleness.
    const timer = setTimeout(() => { req.destroy(); done({ ok: false, error: 'timeout' }); }, timeoutMs);
    req.on('timeout', () => { req.destroy(); done({ ok: false, error: 'timeout' }); });
    req.on('error', (error: NodeJS.ErrnoException) => done({ ok: false, error: error.code === 'ECONNREFUSED' ? 'connection-refused' : (error.code ?? 'network-error').toLowerCase() }));
    req.end(input.body);
  });
}
