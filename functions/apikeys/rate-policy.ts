/**
 * Per-key rate limits as the request chain sees them: the API key authorizer counts the request
 * (functions/apikeys/rate-limit.ts) and hands the count to the route's function in its context;
 * the chain answers 429 past the limit and writes the `RateLimit` / `RateLimit-Policy` headers of
 * the IETF draft (draft-ietf-httpapi-ratelimit-headers, structured fields: `q` quota, `w` window
 * seconds, `r` remaining, `t` seconds until the window resets) on every key-authenticated answer.
 *
 * Pure and dependency-free: every HTTP function bundles it with the chain.
 */

/** A fixed window of one minute: the limit is "requests per minute". */
export const RATE_WINDOW_SECONDS = 60;
/** Requests per minute of a key without its own limit, unless API_KEY_RATE_LIMIT_PER_MINUTE says otherwise. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;
/** The policy's name in the headers. */
export const RATE_POLICY_NAME = 'per-key';

/** The stage's default (CDK context `apiKeyRateLimitPerMinute`, env API_KEY_RATE_LIMIT_PER_MINUTE). */
export function defaultRateLimit(env: Record<string, string | undefined> = process.env): number {
  const configured = Number(env.API_KEY_RATE_LIMIT_PER_MINUTE);
  return Number.isInteger(configured) && configured > 0 ? configured : DEFAULT_RATE_LIMIT_PER_MINUTE;
}

export interface RateState {
  /** Requests allowed in the window. */
  limit: number;
  /** Requests counted in the window, this one included. */
  count: number;
  /** Seconds until the window ends (at least 1). */
  resetSeconds: number;
}

/** The authorizer context entries of a counted request (context values are strings). */
export function rateContext(state: RateState): Record<string, string> {
  return { rateLimit: String(state.limit), rateCount: String(state.count), rateReset: String(state.resetSeconds) };
}

/** The count the authorizer passed, or undefined (JWT callers; a counter that could not be written). */
export function rateStateOf(context: Record<string, unknown> | undefined): RateState | undefined {
  if (!context) return undefined;
  const limit = Number(context.rateLimit);
  const count = Number(context.rateCount);
  const resetSeconds = Number(context.rateReset);
  if (![limit, count, resetSeconds].every((n) => Number.isInteger(n) && n >= 0) || limit === 0) return undefined;
  return { limit, count, resetSeconds: Math.max(1, resetSeconds) };
}

export const isOverLimit = (state: RateState): boolean => state.count > state.limit;

/** `RateLimit-Policy` and `RateLimit` of the draft, lower-case as the chain writes headers. */
export function rateLimitHeaders(state: RateState): Record<string, string> {
  return {
    'ratelimit-policy': `"${RATE_POLICY_NAME}";q=${state.limit};w=${RATE_WINDOW_SECONDS}`,
    ratelimit: `"${RATE_POLICY_NAME}";r=${Math.max(0, state.limit - state.count)};t=${state.resetSeconds}`,
  };
}
