/**
 * What an AWS SDK failure means for the request that saw it. Two questions matter: is it a
 * dependency failure (busy, unreachable, timed out) rather than a bug — then the answer is a 503
 * with Retry-After, never a 500 — and, for a write, may it have been applied anyway?
 * No imports: the HTTP layer and the data layer both use it.
 */

/** Refusals: the service answered "not now", so nothing was applied. */
const BUSY_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TransactionConflictException',
]);

/** Cancellation reasons of a transaction that was refused for load, not for its content. */
const BUSY_CANCELLATIONS = new Set(['None', 'TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

/** Network errors before the request reached the service: nothing was applied. */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN']);

/**
 * The request may have reached the service and been applied: a timeout, a reset connection, an
 * abort, a 5xx, a transaction still in progress under the same ClientRequestToken.
 */
const UNCERTAIN_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'TransactionInProgressException',
]);
const UNCERTAIN_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

type SdkError = { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; CancellationReasons?: { Code?: string }[] } | null | undefined;

/** A failure after which a write may or may not have been applied. */
export function isUncertainOutcome(err: unknown): boolean {
  const e = err as SdkError;
  if (!e || typeof e !== 'object') return false;
  if (e.name && UNCERTAIN_NAMES.has(e.name)) return true;
  if (e.code && UNCERTAIN_CODES.has(e.code)) return true;
  if (/socket hang up/i.test(e.message ?? '')) return true;
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/** A dependency failure (busy, unreachable or uncertain) rather than a bug: answer 503. */
export function isDependencyFailure(err: unknown): boolean {
  const e = err as SdkError;
  if (!e || typeof e !== 'object') return false;
  if (e.name && BUSY_NAMES.has(e.name)) return true;
  // Cancelled for a conflict or throttling (a failed condition is the caller's to map): nothing written.
  if (e.name === 'TransactionCanceledException') return (e.CancellationReasons ?? []).every((r) => BUSY_CANCELLATIONS.has(r.Code ?? 'None'));
  if (e.code && UNREACHABLE_CODES.has(e.code)) return true;
  return isUncertainOutcome(err);
}

/**
 * An error as a log line may show it: name, code, the AWS request id and the stack frames. The
 * free-text message is kept only for AWS SDK errors (the service's own words about keys and limits);
 * other messages can quote data — a JSON.parse error quotes the text it choked on, a validation
 * library the value it refused — so they and the stack's first line (the message again) are dropped.
 */
export function loggableError(err: unknown): Record<string, unknown> {
  if (!err || typeof err !== 'object') return { name: typeof err };
  const e = err as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown; $metadata?: { requestId?: string; httpStatusCode?: number } };
  const fromAws = e.$metadata !== undefined;
  const frames = typeof e.stack === 'string' ? e.stack.split('\n').filter((line) => /^\s+at /.test(line)).join('\n') : undefined;
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(fromAws && typeof e.message === 'string' ? { message: e.message, awsRequestId: e.$metadata?.requestId, httpStatusCode: e.$metadata?.httpStatusCode } : {}),
    ...(frames ? { stack: frames } : {}),
  };
}
