/**
 * Connection and request timeouts for every AWS SDK client the functions create. Without them the
 * SDK waits on a hung socket indefinitely (its defaults are 0 = no timeout), so one dead
 * connection burns the whole Lambda timeout instead of failing fast and retrying on a fresh one.
 *
 * Each service gets limits suited to what it does: DynamoDB answers in milliseconds, so a
 * request that has not finished in a few seconds is dead; SES, EventBridge and Secrets Manager
 * are slower and called less often. `requestTimeout` bounds a whole attempt (connect, send,
 * response); a timed-out attempt is a TimeoutError, which the SDK retries like any transient
 * error, so the worst case of one `send` is `maxAttempts × requestTimeout` plus the retry backoff
 * — and that must stay below the timeout of the shortest function using the client
 * (test/unit/aws-client-options.test.ts checks it against functions/api/features.ts).
 * On the HTTP path a second bound applies: every DynamoDB call carries the request's abort
 * signal, which functions/http/chain.ts fires ABORT_MARGIN_MS before the function's deadline, so
 * a dependency that stops answering yields a 503 (functions/aws/errors.ts) rather than a
 * platform timeout, and nothing is sent after the answer is decided.
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface ClientTimeouts {
  /** Milliseconds to establish the TCP (and TLS) connection. */
  connectionTimeoutMs: number;
  /** Milliseconds one attempt may take from start to the end of the response. */
  requestTimeoutMs: number;
  /** Attempts per `send`, the first one included. */
  maxAttempts: number;
}

export const CLIENT_TIMEOUTS = {
  // Single-digit-millisecond service; even a 1 MB query page arrives well within a second.
  dynamodb: { connectionTimeoutMs: 1_000, requestTimeoutMs: 2_500, maxAttempts: 3 },
  // Secrets Manager is read once per key TTL (functions/data/cursor.ts), on a request path.
  secretsmanager: { connectionTimeoutMs: 1_000, requestTimeoutMs: 3_000, maxAttempts: 2 },
  // One retry inside the call; the reminder job re-queues what still fails.
  sesv2: { connectionTimeoutMs: 2_000, requestTimeoutMs: 5_000, maxAttempts: 2 },
  // The publisher has 60 s and must not lose events to a transient error: more attempts.
  eventbridge: { connectionTimeoutMs: 2_000, requestTimeoutMs: 5_000, maxAttempts: 5 },
  // Export uploads carry large bodies.
  s3: { connectionTimeoutMs: 2_000, requestTimeoutMs: 30_000, maxAttempts: 3 },
  // AWS End User Messaging SMS (campaign SMS): like SES, one retry inside the call; the campaign
  // job hands back what is throttled.
  smsvoice: { connectionTimeoutMs: 2_000, requestTimeoutMs: 5_000, maxAttempts: 2 },
} as const satisfies Record<string, ClientTimeouts>;

export type AwsService = keyof typeof CLIENT_TIMEOUTS;

/**
 * Upper bound of the SDK's standard retry backoff before attempt n (n ≥ 2): a random delay up to
 * 100 ms × 2^(n−1), capped at 20 s.
 */
export function maxBackoffMs(maxAttempts: number): number {
  let total = 0;
  for (let retry = 1; retry < maxAttempts; retry++) total += Math.min(20_000, 100 * 2 ** retry);
  return total;
}

/** The longest one `send` can take with these settings before it rejects. */
export function worstCaseSendMs(timeouts: ClientTimeouts): number {
  return timeouts.maxAttempts * timeouts.requestTimeoutMs + maxBackoffMs(timeouts.maxAttempts);
}

/**
 * The local engines (DynamoDB Local on SQLite, on a busy laptop or CI runner) answer one to two
 * orders of magnitude slower than the services, so the local runtime stretches every timeout by
 * SDK_TIMEOUT_SCALE (local/env.ts sets it); unset in AWS, where the limits above apply as written.
 */
function scaled(t: ClientTimeouts): ClientTimeouts {
  const scale = Number(process.env.SDK_TIMEOUT_SCALE ?? 1);
  if (!Number.isFinite(scale) || scale <= 1) return t;
  return { ...t, connectionTimeoutMs: t.connectionTimeoutMs * scale, requestTimeoutMs: t.requestTimeoutMs * scale };
}

/**
 * Client constructor options for `service`: spread into `new XClient({ ...clientOptions('x') })`.
 * Each call builds its own handler, so each client keeps its own keep-alive connection pool.
 */
export function clientOptions(service: AwsService, overrides: Partial<ClientTimeouts> = {}): { maxAttempts: number; requestHandler: NodeHttpHandler } {
  const t = { ...scaled(CLIENT_TIMEOUTS[service]), ...overrides };
  return {
    maxAttempts: t.maxAttempts,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: t.connectionTimeoutMs,
      requestTimeout: t.requestTimeoutMs,
      // Since @smithy/node-http-handler 4.4 a passed requestTimeout only logs a warning unless
      // this is set; we want the attempt to fail and be retried.
      throwOnRequestTimeout: true,
      // Keep-alive spares a TCP+TLS handshake per call on a warm container (the handler's
      // default too; explicit because passing an agent would otherwise drop it).
      httpAgent: { keepAlive: true, maxSockets: 50 },
      httpsAgent: { keepAlive: true, maxSockets: 50 },
    }),
  };
}
