/**
 * Typed errors, mapped once to RFC 9457 problem+json (see toProblemResponse). Feature code throws
 * these; it never builds an error response itself. Anything else thrown is a bug or an outage and
 * answers with a generic message — never a stack trace, never internal detail.
 */
export interface FieldError {
  path: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    /** Slug of the problem type; the full `type` URI is derived from it. */
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { errors?: FieldError[]; existingId?: string; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpError';
  }
}

export const BadRequest = (detail: string, errors?: FieldError[]) =>
  new HttpError(400, errors ? 'validation-failed' : 'bad-request', errors ? 'Your request is not valid' : 'Bad request', detail, { errors });
export const Unauthorized = (detail = 'A valid bearer token is required') =>
  new HttpError(401, 'unauthorized', 'Unauthorized', detail, { headers: { 'www-authenticate': 'Bearer' } });
export const Forbidden = (detail = 'Your role does not allow this') => new HttpError(403, 'forbidden', 'Forbidden', detail);
export const NotFound = (detail = 'No such resource') => new HttpError(404, 'not-found', 'Not found', detail);
export const Conflict = (detail: string, existingId?: string) =>
  new HttpError(409, existingId ? 'duplicate' : 'conflict', existingId ? 'Duplicate' : 'Conflict', detail, { existingId });
export const PreconditionFailed = (detail = 'The record changed since you read it; fetch it again and retry with the new ETag') =>
  new HttpError(412, 'precondition-failed', 'Precondition failed', detail);
export const PayloadTooLarge = (limit: number) =>
  new HttpError(413, 'payload-too-large', 'Payload too large', `The request body exceeds ${limit} bytes`);
export const UnsupportedMediaType = () =>
  new HttpError(415, 'unsupported-media-type', 'Unsupported media type', 'Send the body as application/json');
export const Unprocessable = (detail: string) => new HttpError(422, 'unprocessable', 'Unprocessable request', detail);
export const TooManyRequests = (retryAfterSeconds: number) =>
  new HttpError(429, 'too-many-requests', 'Too many requests', 'Slow down and retry later', {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
export const ServiceUnavailable = (detail = 'A dependency is temporarily unavailable; retry shortly') =>
  new HttpError(503, 'unavailable', 'Service unavailable', detail, { headers: { 'retry-after': '1' } });

export const PROBLEM_BASE = 'https://crm.example/problems/';

/** AWS errors that mean "busy, retry" rather than "broken". */
const RETRYABLE_AWS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

export function asHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  const name = (err as { name?: string } | null)?.name;
  if (name && RETRYABLE_AWS.has(name)) return ServiceUnavailable();
  return undefined;
}

export interface ProblemResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export function toProblemResponse(err: unknown, requestId: string, instance?: string): ProblemResponse {
  const known = asHttpError(err);
  const problem = known
    ? {
        type: PROBLEM_BASE + known.code,
        title: known.title,
        status: known.status,
        detail: known.detail,
        instance,
        requestId,
        ...(known.extra.errors ? { errors: known.extra.errors } : {}),
        ...(known.extra.existingId ? { existingId: known.extra.existingId } : {}),
      }
    : {
        type: PROBLEM_BASE + 'internal',
        title: 'Internal error',
        status: 500,
        detail: 'Something went wrong on our side. Quote the requestId when you report it.',
        instance,
        requestId,
      };
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...(known?.extra.headers ?? {}) },
    body: JSON.stringify(problem),
  };
}
