/**
 * Turning an API Gateway payload-v2 event into validated input: body limits, content type, JSON,
 * schema validation, path/query parameters and conditional-request headers. Every failure is a
 * precise 4xx; nothing here ever reaches the database. Whatever these functions throw while reading
 * client input — also an unexpected exception from a schema check — is a 400, never a 500
 * (docs/conventions.md, "Input rules").
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ZodMiniType } from 'zod/mini';
import { textProblem } from '../../schemas/text-rules';
import { BadRequest, type FieldError, HttpError, NotFound, PayloadTooLarge, PreconditionFailed, UnsupportedMediaType } from './problem';

export const MAX_BODY_BYTES = 256 * 1024;

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const headers = event.headers ?? {};
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export function issuesToFieldErrors(issues: readonly { path: PropertyKey[]; message: string }[], prefix = ''): FieldError[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return { path: [prefix, path].filter(Boolean).join('.') || prefix || '(body)', message: issue.message };
  });
}

/**
 * Runs `read` over client input: an HttpError passes through, any other exception (a URIError, a
 * RangeError from a refinement, a stack overflow on absurd nesting) becomes a 400 naming `where`.
 * Its message is not echoed: it could quote the input or internals.
 */
export function readingClientInput<T>(where: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw BadRequest(`The request ${where} could not be read`);
  }
}

export function validate<T>(schema: ZodMiniType, value: unknown, where: string): T {
  const result = readingClientInput(where, () => schema.safeParse(value));
  if (!result.success) {
    throw BadRequest(`Some ${where} fields are not valid`, issuesToFieldErrors(result.error.issues, where === 'body' ? '' : where));
  }
  return result.data as T;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Raw body as UTF-8 text, enforcing the size limit before anything else. Bytes that are not UTF-8
 * are a 400 rather than silently replaced with U+FFFD (which would store text the client never sent).
 */
export function rawBody(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  const buffer = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (buffer.byteLength > MAX_BODY_BYTES) throw PayloadTooLarge(MAX_BODY_BYTES);
  if (!event.isBase64Encoded) return event.body;
  try {
    return strictUtf8.decode(buffer);
  } catch {
    throw BadRequest('The body is not valid UTF-8');
  }
}

/** Parses a JSON body: 413 too big, 415 not JSON, 400 malformed. An empty body counts as `{}`. */
export function parseJsonBody(event: APIGatewayProxyEventV2): unknown {
  const text = rawBody(event);
  if (text === undefined || text.trim() === '') return {};
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim())) throw UnsupportedMediaType();
  try {
    return JSON.parse(text);
  } catch (err) {
    throw BadRequest(`The body is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Path parameters: an id that cannot exist is simply not found. API Gateway (and the local gateway)
 * hand over path parameters already percent-decoded, so they are not decoded again here (decoding
 * twice would turn `%2541` into `A`). A `%` still in a value is an escape the gateway could not
 * decode (`%zz`, `%C0%AF`) or an encoded `%` (`%25`), and no path parameter of this API may contain
 * one: both are a 400, as are control characters and unpaired surrogates.
 */
export function parseParams(schemas: Record<string, ZodMiniType> | undefined, event: APIGatewayProxyEventV2): Record<string, string> {
  const out: Record<string, string> = {};
  if (!schemas) return out;
  for (const [name, schema] of Object.entries(schemas)) {
    const raw = event.pathParameters?.[name];
    if (raw !== undefined) {
      const problem = raw.includes('%') ? 'Malformed or unexpected percent-escape in the path' : textProblem(raw);
      if (problem) throw BadRequest(`The path parameter ${name} is not valid`, [{ path: `path.${name}`, message: problem }]);
    }
    const result = readingClientInput('path', () => schema.safeParse(raw));
    if (!result.success) throw NotFound(`No such ${name === 'id' ? 'record' : name}`);
    out[name] = result.data as string;
  }
  return out;
}

/**
 * The query string must be validly percent-encoded UTF-8. API Gateway leaves a parameter it cannot
 * decode as it came, so the raw string is checked here: a value that does not decode is a 400 naming
 * the parameter, as is a decoded value with control characters or unpaired surrogates.
 */
function checkQueryEncoding(event: APIGatewayProxyEventV2): void {
  const errors: FieldError[] = [];
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return undefined;
    }
  };
  for (const pair of (event.rawQueryString ?? '').split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const name = decode(rawName);
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    const label = `query.${(name ?? rawName).slice(0, 40)}`;
    if (name === undefined || value === undefined) errors.push({ path: label, message: 'Malformed percent-escape (expected %XX escapes of UTF-8 bytes)' });
  }
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    const problem = textProblem(name) ?? (value === undefined ? undefined : textProblem(value));
    if (problem) errors.push({ path: `query.${name.slice(0, 40)}`, message: problem });
  }
  if (errors.length > 0) throw BadRequest('The query string is not validly encoded', errors.slice(0, 20));
}

export function parseQuery<T>(schema: ZodMiniType | undefined, event: APIGatewayProxyEventV2): T {
  readingClientInput('query', () => checkQueryEncoding(event));
  const raw = event.queryStringParameters ?? {};
  if (!schema) {
    const unknown = Object.keys(raw);
    if (unknown.length > 0) throw BadRequest('This endpoint takes no query parameters', unknown.map((k) => ({ path: `query.${k}`, message: 'Unrecognized parameter' })));
    return {} as T;
  }
  return validate<T>(schema, raw, 'query');
}

/**
 * If-Match → the version the client expects. ETags are `"<version>"` (weak `W/` accepted);
 * `*` means any version. A value that can never match answers 412, as RFC 9110 prescribes.
 */
export function parseIfMatch(event: APIGatewayProxyEventV2): number | undefined {
  const value = header(event, 'if-match');
  if (value === undefined || value.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(value);
  if (!m) throw PreconditionFailed('If-Match must be an ETag from a previous response, e.g. "3"');
  return Number(m[1]);
}

export function etagOf(version: number): string {
  return `"${version}"`;
}
