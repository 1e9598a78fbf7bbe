/**
 * Every problem type the API answers with, keyed by the slug that ends its `type` URI
 * (`<PROBLEM_BASE_URL><slug>`, the API's own `/problems/<slug>`; functions/http/problem.ts). One declaration feeds the
 * problem pages (`GET /problems/{type}`, functions/system/problem-pages.ts) and the OpenAPI
 * document's error responses and their examples. Data only: the system function bundles it.
 * A unit test keeps it complete against functions/http/problem.ts and the local gateway.
 */
export interface ProblemType {
  status: number;
  /** The `title` every problem of this type carries. */
  title: string;
  /** When it happens. */
  when: string;
  /** What a client should do about it. */
  action: string;
  /** Answered by the local gateway only (in AWS, API Gateway answers this case itself). */
  localOnly?: boolean;
}

export const PROBLEM_TYPES = {
  'bad-request': {
    status: 400, title: 'Bad request',
    when: 'The body is not well-formed JSON, the Idempotency-Key header is malformed, or the cursor is invalid, tampered with or belongs to a different query.',
    action: 'Fix the request; for a cursor, start the list again without one. Retrying unchanged fails again.',
  },
  'validation-failed': {
    status: 400, title: 'Your request is not valid',
    when: 'Fields of the body, query parameters or headers are invalid or unknown. `errors[]` lists each one as `{ path, message }` (`address.city`, `query.limit`, `header.if-match`, `(body)`).',
    action: 'Show each message next to its field and let the user correct it. Retrying unchanged fails again.',
  },
  unauthorized: {
    status: 401, title: 'Unauthorized',
    when: 'The bearer token is missing, expired or invalid (header `WWW-Authenticate: Bearer`).',
    action: 'Sign in again (or refresh the token) and retry with `Authorization: Bearer <token>`.',
  },
  forbidden: {
    status: 403, title: 'Forbidden',
    when: 'Your role lacks the permission the operation needs, your account is in no role group, or scope `own` forbids what you asked for (e.g. another user\'s figures). Each operation names its permission and scope.',
    action: 'Do not retry; ask an admin for a role that holds the permission.',
  },
  'not-found': {
    status: 404, title: 'Not found',
    when: 'No record has this id — the same answer for a record you may not see and for an id that cannot exist, so ids cannot be probed.',
    action: 'Check the id; a record you should see may have been deleted.',
  },
  'method-not-allowed': {
    status: 405, title: 'Method not allowed',
    when: 'The path exists but not with this method; `detail` lists the allowed methods.',
    action: 'Use one of the allowed methods.',
    localOnly: true,
  },
  duplicate: {
    status: 409, title: 'Duplicate',
    when: 'A live customer (or, for leads, an open lead) already has the same normalised email or phone; `existingId` names it if the caller may read it with its personal data, otherwise the answer says only that a record the caller cannot see holds the value. The database enforces this, so two concurrent creates cannot both succeed.',
    action: 'Open the existing record (`existingId`) instead of creating another; without `existingId`, ask a manager or an admin to resolve the duplicate.',
  },
  conflict: {
    status: 409, title: 'Conflict',
    when: 'The change conflicts with the record\'s state (for example it is archived, or a quote was already accepted), concurrent changes kept colliding, or a request with the same Idempotency-Key is still in progress. `detail` says which.',
    action: 'Read `detail`: restore or reload the record, or retry the idempotent request a moment later.',
  },
  'precondition-failed': {
    status: 412, title: 'Precondition failed',
    when: '`If-Match` does not match the record\'s current version, or is not a valid ETag.',
    action: 'Read the record again, reapply your change, and retry with its new ETag.',
  },
  'payload-too-large': {
    status: 413, title: 'Payload too large',
    when: 'The body is over 256 KB.',
    action: 'Send less (split the request).',
  },
  'unsupported-media-type': {
    status: 415, title: 'Unsupported media type',
    when: 'There is a body, but it is not sent as `application/json`.',
    action: 'Send `Content-Type: application/json`.',
  },
  unprocessable: {
    status: 422, title: 'Unprocessable request',
    when: 'The request is well-formed but cannot be carried out as asked: an Idempotency-Key already used with a different body, or a reference that does not fit (e.g. a stage of another pipeline).',
    action: 'Read `detail`; use a fresh Idempotency-Key for a different request.',
  },
  'too-many-requests': {
    status: 429, title: 'Too many requests',
    when: 'You are throttled.',
    action: 'Back off and retry, after `Retry-After` seconds when that header is present.',
  },
  internal: {
    status: 500, title: 'Internal error',
    when: 'A bug on our side — never caused by what you send.',
    action: 'Report it with the `requestId`.',
  },
  unavailable: {
    status: 503, title: 'Service unavailable',
    when: 'A dependency is busy or unavailable (for example DynamoDB throttling or a transaction conflict).',
    action: 'Retry after `Retry-After` seconds; nothing was changed.',
  },
  'outcome-unknown': {
    status: 503, title: 'Outcome unknown',
    when: 'A write was sent to the database but not confirmed: it may or may not have been saved.',
    action: 'With an Idempotency-Key, retry with the same key after `Retry-After` seconds: you get the saved result, or the request runs once. Without one, read the record before retrying.',
  },
  'saved-response-unavailable': {
    status: 503, title: 'Saved; response unavailable',
    when: 'A change sent with an Idempotency-Key was saved, but its response could not be produced.',
    action: 'Retry with the same Idempotency-Key after `Retry-After` seconds to get the response; the change is not applied again.',
  },
} as const satisfies Record<string, ProblemType>;

export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export function problemType(slug: string): ProblemType | undefined {
  return Object.hasOwn(PROBLEM_TYPES, slug) ? (PROBLEM_TYPES as Record<string, ProblemType>)[slug] : undefined;
}
