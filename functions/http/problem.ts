/**
 * Typed errors, mapped once to RFC 9457 problem+json (see toProblemResponse). Feature code throws
 * these; it never builds an error response itself. Anything else thrown is a bug or an outage and
 * answers with a generic message — never a stack trace, never internal detail.
 */
import { isDependencyFailure } from '../aws/errors';

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
export const TooManyRequests = (retryAfterSeconds: number, detail = 'Slow down and retry later') =>
  new HttpError(429, 'too-many-requests', 'Too many requests', detail, {
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
/** Seconds a client should wait before retrying after a dependency failure. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 1;

export const ServiceUnavailable = (
  detail = 'A dependency is temporarily unavailable; nothing was changed. Retry after the Retry-After interval',
  retryAfterSeconds = DEPENDENCY_RETRY_AFTER_SECONDS,
) => new HttpError(503, 'unavailable', 'Service unavailable', detail, { headers: { 'retry-after': String(retryAfterSeconds) } });

/**
 * 503 for a write that was sent but not confirmed: it may or may not have been applied. Never
 * says "nothing happened". With an Idempotency-Key the retry is safe and tells the outcome.
 */
export const OutcomeUnknown = (keyed: boolean, retryAfterSeconds = DEPENDENCY_RETRY_AFTER_SECONDS) =>
  new HttpError(503, 'outcome-unknown', 'Outcome unknown', keyed
    ? 'The database did not confirm your change, so it may or may not have been saved. Retry with the same Idempotency-Key after the Retry-After interval: you get the saved result, or the request runs once'
    : 'The database did not confirm your change, so it may or may not have been saved. Read the record before you retry, or send an Idempotency-Key so that a retry cannot apply it twice', { headers: { 'retry-after': String(retryAfterSeconds) } });

/** 503 for a keyed change that was saved but whose answer could not be built (a retry replays it). */
export const SavedWithoutResponse = (retryAfterSeconds = DEPENDENCY_RETRY_AFTER_SECONDS) =>
  new HttpError(503, 'saved-response-unavailable', 'Saved; response unavailable',
    'Your change was saved, but its response could not be produced. Retry with the same Idempotency-Key after the Retry-After interval to get it; the change is not applied again', { headers: { 'retry-after': String(retryAfterSeconds) } });

/**
 * The origin-less placeholder the build-time OpenAPI document (functions/system/openapi.json) uses
 * for problem `type` URIs; the system function swaps in problemBase() when it serves the document.
 */
export const PROBLEM_BASE_PLACEHOLDER = 'https://crm.example/problems/';

/** Where problem pages live relative to the API root (GET /problems/{type}, the system feature). */
export const PROBLEM_PATH = '/problems/';

/**
 * The base of every problem `type` URI: `PROBLEM_BASE_URL` — an absolute http(s) URL ending in
 * `/problems/` whose pages this API serves (CDK sets the deployed API's own URL, or a configured
 * `problemBaseUrl`; the local runtime sets its gateway's). Read per call (one env lookup), so the
 * local runtime may set it once its port is known. Unset or invalid: the relative reference
 * `/problems/`, which RFC 9457 §3.1.1 resolves against the request URI — the same pages, on the
 * same API. docs/conventions.md ("Problem types") explains the choice.
 */
export function problemBase(env: Record<string, string | undefined> = process.env): string {
  const value = env.PROBLEM_BASE_URL;
  if (!value || !/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(value)) return PROBLEM_PATH;
  return value.endsWith('/') ? value : `${value}/`;
}

/** The `type` URI of a problem slug (`not-found` → `<problemBase()>not-found`). */
export function problemTypeUri(slug: string, env?: Record<string, string | undefined>): string {
  return problemBase(env) + slug;
}

export function asHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (isDependencyFailure(err)) return ServiceUnavailable('A dependency is temporarily unavailable. Retry after the Retry-After interval');
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
        type: problemTypeUri(known.code),
        title: known.title,
        status: known.status,
        detail: known.detail,
        instance,
        requestId,
        ...(known.extra.errors ? { errors: known.extra.errors } : {}),
        ...(known.extra.existingId ? { existingId: known.extra.existingId } : {}),
      }
    : {
        type: problemTypeUri('internal'),
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
