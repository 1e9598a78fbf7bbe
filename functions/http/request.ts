/**
 * Turning an API Gateway payload-v2 event into validated input: body limits, content type, JSON,
 * schema validation, path/query parameters and conditional-request headers. Every failure is a
 * precise 4xx; nothing here ever reaches the database.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ZodMiniType } from 'zod/mini';
import { BadRequest, type FieldError, NotFound, PayloadTooLarge, PreconditionFailed, UnsupportedMediaType } from './problem';

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

export function validate<T>(schema: ZodMiniType, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw BadRequest(`Some ${where} fields are not valid`, issuesToFieldErrors(result.error.issues, where === 'body' ? '' : where));
  }
  return result.data as T;
}

/** Raw body as UTF-8 text, enforcing the size limit before anything else. */
export function rawBody(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null) return undefined;
  const buffer = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (buffer.byteLength > MAX_BODY_BYTES) throw PayloadTooLarge(MAX_BODY_BYTES);
  return buffer.toString('utf8');
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

/** Path parameters: an id that cannot exist is simply not found. */
export function parseParams(schemas: Record<string, ZodMiniType> | undefined, event: APIGatewayProxyEventV2): Record<string, string> {
  const out: Record<string, string> = {};
  if (!schemas) return out;
  for (const [name, schema] of Object.entries(schemas)) {
    const raw = event.pathParameters?.[name];
    const result = schema.safeParse(raw === undefined ? undefined : decodeURIComponent(raw));
    if (!result.success) throw NotFound(`No such ${name === 'id' ? 'record' : name}`);
    out[name] = result.data as string;
  }
  return out;
}

export function parseQuery<T>(schema: ZodMiniType | undefined, event: APIGatewayProxyEventV2): T {
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
