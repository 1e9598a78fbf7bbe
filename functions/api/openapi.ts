/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas — nothing here
 * lists a path by hand, so the document cannot drift from what the API serves. Served at
 * `GET /v1/openapi.json` and read by the docs page (functions/system/docs-page.ts).
 *
 * Schemas with a `z.meta({ id })` become `components/schemas/<id>`; request bodies use the
 * schema's input type, responses and query parameters its output type (so `limit` is an integer).
 * Statuses the middleware produces for every route of a kind (400, 401/403 unless public, 413/415
 * with a body, 409/422 with Idempotency-Key, 412 with If-Match, 404 with path ids, 429, 500) are
 * derived from the route's flags; `errors` adds the rest.
 *
 * Each operation's description names its permission, the roles holding it and — from the row's
 * `scope` — what scope `own` means there. Examples (path and required query parameters, body,
 * success response, every problem response) come from functions/api/examples.ts; problem
 * responses link to the page of each problem type (`/problems/<slug>`, functions/system/problem-types.ts).
 * Security schemes: `bearer` and `cognito` (OAuth 2.0 authorization code; functions/system/sign-in.ts).
 *
 * Runs at build time (`npm run docs:openapi`): the system function serves the rendered file and
 * must not import this module (test/infra/bundling.test.ts).
 */
import { IDEMPOTENCY_KEY_PATTERN } from '../http/idempotency';
import type { ZodMiniType } from 'zod/mini';
import * as z from '../../schemas/zod';
import { Problem } from '../../schemas/common';
import { MAX_BODY_BYTES } from '../http/request';
import { ACTIONS, type Action, PERMISSIONS, ROLES } from '../security/permissions';
import { PROBLEM_BASE_PLACEHOLDER } from '../http/problem';
import { AUTH_ORIGIN_PLACEHOLDER, AUTHORIZE_PATH, OAUTH_SCOPES, TOKEN_PATH } from '../system/sign-in';
import { PROBLEM_TYPES, type ProblemType } from '../system/problem-types';
import { type ExampleContext, exampleOf, refined } from './examples';
import { ROUTES, type RouteDef } from './routes';
import { authorizerOf } from './route-def';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

/** The parts of an OpenAPI document this module and its readers (tests, docs page) rely on. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  servers: { url: string; description?: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, Json>;
    responses: Record<string, Json>;
    parameters: Record<string, Json>;
    headers: Record<string, Json>;
    securitySchemes: Record<string, Json>;
  };
}

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  security?: Record<string, string[]>[];
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
  /** The permission the route requires (`public` for none). */
  'x-permission': string;
  /** Role → scope for that permission; roles missing are refused with 403. */
  'x-roles'?: Record<string, string>;
}

export interface BuildOptions {
  /** Base URL clients call; default `/` (the origin the document was fetched from). */
  serverUrl?: string;
  /** `info.version`; default `1.0.0`. */
  version?: string;
}

/** One per tag; a tag without one fails test/unit/openapi.test.ts. */
const TAG_DESCRIPTIONS: Record<string, string> = {
  System: 'Health, the caller and their permissions, this documentation and the problem type pages.',
  Customers: 'Companies and people you sell to, with their change history. DELETE archives; restore brings a customer back.',
  Contacts: 'People at a customer. They live with their customer and follow its owner.',
  Tasks: 'To-dos with due times and reminders, assigned to a user and optionally about a customer or another record.',
  Notifications: 'The caller\'s in-app notifications (task reminders, assignments); every user reads only their own.',
  Activities: 'Communication records (calls, meetings, emails, notes) and a customer\'s timeline.',
  Assets: 'Products a customer owns, with warranties that drive proactive service reminders.',
  Settings: 'Configuration such as the service rules behind proactive reminders.',
  Leads: 'Prospects before they become customers: capture, qualify and convert into customer, contact and deal.',
  Territories: 'Territories and the rules that assign owners to new customers and leads.',
  Products: 'The product catalogue and its prices, used on deal line items and quotes.',
  Quotes: 'Versioned quotes on a deal; accepting a sent quote creates its order.',
  Orders: 'Orders created by accepted quotes: a customer\'s transaction history.',
  Commissions: 'Commission plans and per-user statements computed from won deals and quotas.',
  Pipelines: 'Sales pipelines and their stages with probabilities.',
  Deals: 'Opportunities moving through a pipeline: stages, won and lost, history and the board.',
  Forecast: 'The sales forecast by category and the quotas it is measured against.',
  Reports: 'Sales reports and the dashboard, from aggregates and counters maintained on write (never a scan of records).',
  Exports: 'On-demand exports of records as CSV or Parquet files, written in the background and downloaded through presigned URLs.',
  Imports: 'CSV imports for data migration: upload through a presigned URL, map columns, preview, then import in the background through the same validation and services as the API, with a rejected-rows report (docs/imports.md).',
  Tickets: 'Service tickets from every channel: workflow, assignment, SLA clocks with escalation, the conversation (public replies emailed, internal notes) and the breaching-soon list (docs/service.md).',
  Queues: 'Service queues (teams with members, a manager and round robin) and the service-desk settings: SLA policies, business calendar, routing rules.',
  Contracts: 'Service contracts (term, value, covered assets, status workflow) with renewal tasks before their end, and entitlements: what covers service for a customer today (docs/service.md).',
  Portal: 'The self-service portal for customers\' contacts (a token of the portal user pool): their own customer\'s tickets with the public conversation, replies, and published knowledge-base articles (docs/service.md).',
  'Knowledge base': 'Articles with Markdown bodies rendered to safe HTML, searchable by title prefix and category, with every version kept (docs/service.md).',
  Webhooks: 'Outbound webhooks: signed HTTPS deliveries of domain events, retried for 24 h, with a delivery log, redelivery and secret rotation (docs/webhooks.md).',
  'API keys': 'Keys for machine clients (ERP, website), bound to a role and optional scopes; sent as `Authorization: ApiKey <key>` or `x-api-key` to the machine API (docs/auth.md).',
  'Custom fields': 'Typed fields that admins add to customers, contacts, leads and deals; records carry their values in `custom`, checked on every write (docs/custom-fields.md).',
  Marketing: 'Consent per contact and channel, the suppression list, email templates, segments, static lists, campaigns sent at most once per address, and the public one-click unsubscribe (docs/marketing.md).',
};

/**
 * Reusable problem responses by status: `components/responses/<name>`. `types` are the problem
 * types (functions/system/problem-types.ts) the status can carry; the first one is the example.
 */
const PROBLEMS: Record<number, { name: string; description: string; types: string[]; headers?: string[]; gateway?: boolean }> = {
  400: { name: 'BadRequest', description: 'Malformed JSON, invalid fields (listed in `errors`), an unknown query parameter or an invalid cursor.', types: ['validation-failed', 'bad-request'] },
  401: { name: 'Unauthorized', description: 'Missing, expired or invalid bearer token.', types: ['unauthorized'], headers: ['WWW-Authenticate'], gateway: true },
  403: { name: 'Forbidden', description: 'Your role lacks the permission this operation needs.', types: ['forbidden'] },
  404: { name: 'NotFound', description: 'No such record — also for records you may not see and for ids that cannot exist.', types: ['not-found'] },
  409: { name: 'Conflict', description: 'Duplicate (`existingId` names the record already holding the email or phone, to callers who may read it), a conflicting concurrent change, or a request with the same Idempotency-Key still in progress.', types: ['conflict', 'duplicate'] },
  412: { name: 'PreconditionFailed', description: 'If-Match does not match the current version: read the record again and retry with its ETag.', types: ['precondition-failed'] },
  413: { name: 'PayloadTooLarge', description: `The body exceeds ${MAX_BODY_BYTES / 1024} KB.`, types: ['payload-too-large'] },
  415: { name: 'UnsupportedMediaType', description: 'The body is not sent as `application/json`.', types: ['unsupported-media-type'] },
  422: { name: 'Unprocessable', description: 'This Idempotency-Key was already used with a different request body.', types: ['unprocessable'] },
  429: { name: 'TooManyRequests', description: 'Throttled: back off (for `Retry-After` seconds when present) and retry. With an API key: the key\'s requests per minute are used up (`RateLimit` says when the window resets; docs/webhooks.md#rate-limits).', types: ['too-many-requests'], headers: ['Retry-After', 'RateLimit', 'RateLimit-Policy'], gateway: true },
  500: { name: 'InternalError', description: 'A bug on our side; quote `requestId` when reporting it. Never caused by what you send.', types: ['internal'], gateway: true },
  503: { name: 'ServiceUnavailable', description: 'A dependency is busy or unavailable, or a write was not confirmed (the problem type says which); retry after `Retry-After` seconds, with the same Idempotency-Key for a write.', types: ['unavailable', 'outcome-unknown', 'saved-response-unavailable'], headers: ['Retry-After'], gateway: true },
};

/**
 * In AWS, API Gateway itself answers a rejected token (401), stage throttling (429), a crashed or
 * timed-out function (500/503) and unknown routes with `{"message": …}` — HTTP APIs cannot
 * reshape those. The local gateway answers problem+json instead; both shapes are documented.
 */
const GATEWAY_MESSAGE = 'GatewayMessage';
const GATEWAY_MESSAGE_SCHEMA: Json = {
  type: 'object',
  properties: { message: { type: 'string' } },
  required: ['message'],
  description: 'A response written by API Gateway itself (not by the API), e.g. `{"message":"Unauthorized"}`.',
};
/** What API Gateway itself writes for the statuses it may answer. */
const GATEWAY_MESSAGES: Record<number, string> = { 401: 'Unauthorized', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable' };

/** The example body of a problem type, as toProblemResponse (functions/http/problem.ts) writes it. */
function problemExample(slug: string): Json {
  const type: ProblemType = (PROBLEM_TYPES as Record<string, ProblemType>)[slug]!;
  const example: Json = { type: PROBLEM_BASE_PLACEHOLDER + slug, title: type.title, status: type.status, detail: PROBLEM_DETAILS[slug] ?? type.title, instance: '/v1/customers', requestId: '3f2b8c1e-7a4d-4e9b-9c21-5d8e0f6a1b2c' };
  if (slug === 'validation-failed') example.errors = [{ path: 'email', message: 'Invalid email address' }];
  return example;
}
const PROBLEM_DETAILS: Record<string, string> = {
  'validation-failed': 'Some body fields are not valid',
  unauthorized: 'A valid bearer token is required',
  forbidden: 'Your role (marketing) may not customers update',
  'not-found': 'No such customer',
  conflict: 'The customer is archived; restore it before changing it',
  'precondition-failed': 'The record changed since you read it; fetch it again and retry with the new ETag',
  'payload-too-large': `The request body exceeds ${MAX_BODY_BYTES} bytes`,
  'unsupported-media-type': 'Send the body as application/json',
  unprocessable: 'This Idempotency-Key was used with a different request body',
  'too-many-requests': 'Slow down and retry later',
  internal: 'Something went wrong on our side. Quote the requestId when you report it.',
  unavailable: 'A dependency is temporarily unavailable; nothing was changed. Retry after the Retry-After interval',
};

const GATEWAY_NOTE = ' In AWS, API Gateway may answer this status itself as `application/json` `{"message": …}`, without `x-request-id`.';

const HEADERS: Record<string, Json> = {
  'X-Request-Id': { description: 'Id of this request; quote it when reporting a problem.', schema: { type: 'string' } },
  ETag: { description: 'The record\'s version as an entity tag, e.g. `"3"`; send it back as If-Match.', schema: { type: 'string', pattern: '^"\\d+"$' } },
  Location: { description: 'URL path of the created record.', schema: { type: 'string' } },
  'Idempotent-Replayed': { description: '`true` when this is the stored response of an earlier request with the same Idempotency-Key.', schema: { type: 'string', enum: ['true'] } },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
  'WWW-Authenticate': { description: '`Bearer`', schema: { type: 'string' } },
  // IETF draft-ietf-httpapi-ratelimit-headers, on every answer to a request with an API key (functions/apikeys/rate-policy.ts).
  RateLimit: { description: 'With an API key: requests left in the current window (`r`) and seconds until it resets (`t`), e.g. `"per-key";r=598;t=42`.', schema: { type: 'string' } },
  'RateLimit-Policy': { description: 'With an API key: the key\'s quota (`q`) per window of `w` seconds, e.g. `"per-key";q=600;w=60`.', schema: { type: 'string' } },
};

/** Mirrors validateKey in functions/http/idempotency.ts (a unit test keeps them in step). */
export { IDEMPOTENCY_KEY_PATTERN };

const PARAMETERS: Record<string, Json> = {
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes the POST safe to retry: within 24 h the same key and body replay the first response (header `Idempotent-Replayed: true`) and create nothing new; ' +
      'the same key with a different body is a 422, and a retry while the first is still running a 409. Keys are per user; a UUID is ideal.',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN, minLength: 8, maxLength: 255 },
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      'The ETag you read (e.g. `"3"`, `W/"3"` accepted, `*` = any version). A stale or malformed value answers 412. ' +
      'Without it the change is applied to the latest version — never lost, never overwriting fields you did not send.',
    schema: { type: 'string' },
  },
};

const ref = (kind: keyof OpenApiDocument['components'], name: string) => ({ $ref: `#/components/${kind}/${name}` });

function permissionText(action: Action): { text: string; roles: Record<string, string> } {
  const roles: Record<string, string> = {};
  for (const role of ROLES) {
    const scope = PERMISSIONS[role][action];
    if (scope) roles[role] = scope;
  }
  const holders = Object.entries(roles).map(([role, scope]) => `${role} (${scope})`).join(', ');
  // The other user pool's tokens never reach the permission check: its authorizer answers 401.
  const portal = action.startsWith('portal:');
  const refused = ROLES.filter((role) => !roles[role] && (role === 'customer') === portal);
  const lines = [
    `**Permission \`${action}\`** (${ACTIONS[action]}) — ${holders || 'no role'}.` +
      (refused.length ? ` Refused with 403 for ${refused.join(', ')}.` : '') +
      (portal ? ' Only tokens of the portal user pool are accepted (staff tokens: 401).' : ' Tokens of the portal user pool are not accepted (401).'),
  ];
  return { text: lines.join('\n\n'), roles };
}

// ---------------------------------------------------------------------------------------------
// zod → JSON Schema, with named schemas lifted into components

interface Converted {
  io: Io;
  root: Json;
  defs: Record<string, Json>;
}

const SAFE_INT = Number.MAX_SAFE_INTEGER;

/**
 * Responses may gain fields in later versions, and clients must ignore the ones they do not know
 * (docs/conventions.md): output schemas therefore never say `additionalProperties: false`.
 */
function openForExtension(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(openForExtension);
  if (!value || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'additionalProperties' && v === false) continue;
    out[key] = openForExtension(v);
  }
  return out;
}

function convert(schema: ZodMiniType, io: Io): Converted {
  const raw = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  const json = (io === 'output' ? openForExtension(raw) : raw) as Json;
  const { $schema: _dialect, $defs, ...root } = json;
  return { io, root, defs: ($defs ?? {}) as Record<string, Json> };
}

function refsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) out.add(v.slice('#/$defs/'.length));
      else refsIn(v, out);
    }
  }
  return out;
}

/**
 * Rewrites `#/$defs/X` to the component name X got, and drops zod's ±MAX_SAFE_INTEGER bounds on
 * integers (true of every JSON number a client would send, and noise in generated clients).
 */
function rewrite(value: unknown, nameOf: (id: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, nameOf));
  if (!value || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) out.$ref = `#/components/schemas/${nameOf(v.slice(8))}`;
    else if ((key === 'minimum' && v === -SAFE_INT) || (key === 'maximum' && v === SAFE_INT)) continue;
    else out[key] = rewrite(v, nameOf);
  }
  return out;
}

/**
 * Collects the conversions an operation needs, then names components once all are known: a
 * schema id whose input and output forms differ (a plain z.object gains
 * `additionalProperties: false` as output) keeps its id for the output form and becomes
 * `<id>Input` for the input form — as does every input schema that refers to such a one.
 */
class SchemaSet {
  private readonly conversions: Converted[] = [];
  private readonly cache = new Map<ZodMiniType, Partial<Record<Io, Converted>>>();

  add(schema: ZodMiniType, io: Io): Converted {
    const entry = this.cache.get(schema) ?? {};
    const hit = entry[io];
    if (hit) return hit;
    const converted = convert(schema, io);
    entry[io] = converted;
    this.cache.set(schema, entry);
    this.conversions.push(converted);
    return converted;
  }

  /** Returns the components and a function giving the final (rewritten) root of a conversion. */
  finish(): { components: Record<string, Json>; resolve: (c: Converted) => Json } {
    const byIo: Record<Io, Map<string, Json>> = { input: new Map(), output: new Map() };
    for (const c of this.conversions) for (const [id, def] of Object.entries(c.defs)) byIo[c.io].set(id, def);

    const renamed = new Set<string>();
    for (const [id, def] of byIo.input) {
      const out = byIo.output.get(id);
      if (out && JSON.stringify(out) !== JSON.stringify(def)) renamed.add(id);
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const [id, def] of byIo.input) {
        if (!renamed.has(id) && [...refsIn(def)].some((r) => renamed.has(r))) {
          renamed.add(id);
          changed = true;
        }
      }
    }
    const nameOf: Record<Io, (id: string) => string> = {
      output: (id) => id,
      input: (id) => (renamed.has(id) ? `${id}Input` : id),
    };

    const components: Record<string, Json> = {};
    for (const io of ['output', 'input'] as const) {
      for (const [id, def] of byIo[io]) components[nameOf[io](id)] = rewrite(def, nameOf[io]) as Json;
    }
    const sorted = Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b)));
    return { components: sorted, resolve: (c) => rewrite(c.root, nameOf[c.io]) as Json };
  }
}

// ---------------------------------------------------------------------------------------------
// operations

/** An operation whose schemas resolve to component names after SchemaSet.finish(). */
type Deferred = (resolve: (c: Converted) => Json, examples: ExampleContext) => OpenApiOperation;

function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
}

function isPaginated(route: RouteDef, schemas: SchemaSet): boolean {
  if (!route.query) return false;
  const props = (schemas.add(route.query(), 'output').root.properties ?? {}) as Json;
  return 'cursor' in props && 'limit' in props;
}

function errorStatuses(route: RouteDef): number[] {
  const statuses = new Set<number>([400, 429, 500]);
  if (route.permission !== 'public') [401, 403].forEach((s) => statuses.add(s));
  if (route.body) [413, 415].forEach((s) => statuses.add(s));
  if (route.params) statuses.add(404);
  if (route.idempotent) [409, 422].forEach((s) => statuses.add(s));
  if (route.conditional) statuses.add(412);
  for (const s of route.errors ?? []) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}

function describeOperation(route: RouteDef, paginated: boolean): { text: string; roles?: Record<string, string> } {
  const parts: string[] = [];
  let roles: Record<string, string> | undefined;
  if (route.permission === 'public') parts.push('**Public**: no token needed.');
  else {
    const p = permissionText(route.permission);
    parts.push(p.text);
    roles = p.roles;
    const own = Object.entries(p.roles).filter(([, scope]) => scope === 'own').map(([role]) => role);
    if (own.length) {
      // The row declares what `own` means here (RouteDef.scope), next to the service enforcing it.
      if (!route.scope) {
        throw new Error(`${route.method} ${route.path}: ${own.join(', ')} hold ${route.permission} with scope own, so the row needs \`scope\` (what own means on this route)`);
      }
      parts.push(`**Scope \`own\`** (${own.join(', ')}): ${route.scope}.`);
    }
  }
  if (paginated) {
    parts.push(
      'Paginated: `limit` 1–100 (default 25); pass `nextCursor` back as `cursor` until it is null. ' +
        'A page may hold fewer than `limit` items when filters are combined — keep going until `nextCursor` is null.',
    );
  }
  if (route.idempotent) parts.push('Safe to retry with an `Idempotency-Key` header.');
  if (route.conditional) parts.push('Send `If-Match` with the ETag you read to fail with 412 instead of changing a newer version.');
  return { text: parts.join('\n\n'), roles };
}

function buildOperation(route: RouteDef, schemas: SchemaSet): Deferred {
  const paginated = isPaginated(route, schemas);
  const { text, roles } = describeOperation(route, paginated);

  const routeParams = route.params?.() ?? {};
  const declared = Object.keys(routeParams).sort().join(',');
  if (declared !== pathParamNames(route.path).sort().join(',')) {
    throw new Error(`${route.method} ${route.path}: params {${declared}} do not match the path template`);
  }
  const params = Object.entries(routeParams).map(([name, schema]) => ({ name, converted: schemas.add(schema, 'output') }));
  const query = route.query ? schemas.add(route.query(), 'output') : undefined;
  const body = route.body ? schemas.add(route.body(), 'input') : undefined;
  const success = route.response.schema ? schemas.add(route.response.schema(), 'output') : undefined;
  // parseJsonBody treats an empty body as {}: the body is optional exactly when {} is valid.
  const bodyRequired = route.body ? !route.body().safeParse({}).success : false;

  return (resolve, examples) => {
    // Examples: path and required query parameters, the body and the success response together
    // make one complete example request and its answer (functions/api/examples.ts).
    const parameters: Json[] = params.map(({ name, converted }) => {
      const schema = resolve(converted);
      return {
        name,
        in: 'path',
        required: true,
        ...(name === 'id' ? { description: 'A record id; an id that cannot exist answers 404.' } : {}),
        schema,
        example: route.path.startsWith('/problems/') ? 'validation-failed' : exampleOf(schema, examples, name),
      };
    });
    if (query) {
      const root = resolve(query);
      const required = new Set((root.required ?? []) as string[]);
      for (const [name, prop] of Object.entries((root.properties ?? {}) as Record<string, Json>)) {
        const { description, ...schema } = prop;
        parameters.push({
          name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema,
          ...(required.has(name) ? { example: exampleOf(schema, examples, name) } : {}),
        });
      }
    }
    if (route.idempotent) parameters.push(ref('parameters', 'IdempotencyKey'));
    if (route.conditional) parameters.push(ref('parameters', 'IfMatch'));

    const successSchema = success ? resolve(success) : undefined;
    const headers: Record<string, unknown> = { 'X-Request-Id': ref('headers', 'X-Request-Id') };
    if (success && carriesVersion(success)) headers.ETag = ref('headers', 'ETag');
    if (route.response.status === 201) headers.Location = ref('headers', 'Location');
    if (route.idempotent) headers['Idempotent-Replayed'] = ref('headers', 'Idempotent-Replayed');

    const successResponse: Json = {
      description: successDescription(route, paginated),
      headers,
    };
    if (route.response.status !== 204) {
      const contentType = route.response.contentType ?? 'application/json';
      const schema = successSchema ?? (/json/.test(contentType) ? { type: 'object' } : { type: 'string' });
      const example = successSchema
        ? refined(route.operation, 'response', exampleOf(successSchema, examples))
        : /json/.test(contentType) ? { openapi: '3.1.0', info: { title: 'CRM API', version: '1.0.0' }, paths: {} } : '<!doctype html>\n<html lang="en">…</html>';
      successResponse.content = { [contentType]: { schema, example } };
    }

    const responses: Record<string, Json> = { [String(route.response.status)]: successResponse };
    for (const status of errorStatuses(route)) {
      const known = PROBLEMS[status];
      responses[String(status)] = known
        ? ref('responses', known.name)
        : { description: 'See the problem details.', content: { 'application/problem+json': { schema: ref('schemas', 'Problem') } } };
    }

    const operation: OpenApiOperation = {
      operationId: route.operation,
      summary: route.summary,
      description: text,
      tags: [route.tag],
      // Portal routes: a bearer token of the portal user pool; the `cognito` scheme signs staff in.
      ...(route.permission === 'public' ? {} : authorizerOf(route) === 'portal' ? { security: [{ bearer: [] }] } : { security: [{ bearer: [] }, { cognito: [] }] }),
      ...(parameters.length ? { parameters } : {}),
      ...(body ? { requestBody: requestBodyOf(route, resolve(body), bodyRequired, examples) } : {}),
      responses,
      'x-permission': route.permission,
      ...(roles ? { 'x-roles': roles } : {}),
    };
    return operation;
  };
}

function requestBodyOf(route: RouteDef, schema: Json, required: boolean, examples: ExampleContext): Json {
  const example = refined(route.operation, 'request', exampleOf(schema, examples));
  return { required, content: { 'application/json': { schema, example } } };
}

/** Responses whose body has a numeric `version` get an ETag (see toResponse in functions/http/chain.ts). */
function carriesVersion(converted: Converted): boolean {
  const root = converted.root;
  const target = typeof root.$ref === 'string' ? converted.defs[root.$ref.slice('#/$defs/'.length)] ?? {} : root;
  const version = ((target.properties ?? {}) as Json).version as Json | undefined;
  return version?.type === 'integer' || version?.type === 'number';
}

function successDescription(route: RouteDef, paginated: boolean): string {
  if (route.response.status === 204) return 'Done; no content.';
  if (route.response.status === 201) return 'Created.';
  if (paginated) return 'One page of results.';
  return 'OK.';
}

// ---------------------------------------------------------------------------------------------
// the document

const INFO_DESCRIPTION = [
  'The CRM HTTP API. Every route, schema and permission here is generated from the route table, so this document is what the server enforces.',
  '',
  '**Conventions** (full text: `docs/conventions.md` in the repository; try it out at [/docs](/docs)):',
  '- JSON in camelCase; timestamps ISO-8601 UTC; money as integer minor units plus ISO 4217 currency; ids are prefixed ULIDs (`cus_…`, `con_…`).',
  '- Portal routes (`/v1/portal/…`, tag Portal) take a token of the self-service portal\'s own user pool (a customer\'s contact; locally `npm run --silent token -- customer <contactId>`) and every other route refuses it (401).',
  '- Authenticate with `Authorization: Bearer <token>` (Cognito; locally `npm run --silent token -- <role>`), or sign in through the `cognito` OAuth 2.0 scheme (the **Sign in** button of [/docs](/docs)). Each operation names the permission it needs, which roles hold it, and what scope `own` means on it.',
  '- Every operation carries an example request (path and required query parameters, body) and response; the examples are valid against the schemas.',
  '- Errors are RFC 9457 `application/problem+json` with `type`, `title`, `status`, `detail`, `requestId` and, for invalid fields, `errors[]` of `{ path, message }`. Never a stack trace. `type` is the absolute URL of a page of this API, `/problems/<slug>`, that says when it happens and what to do ([all of them](/problems/index)); branch on its last segment.',
  '- Lists take `limit` (1–100, default 25) and an opaque signed `cursor`, and answer `{ items, nextCursor }`.',
  '- Records carry `version`; reads return it as `ETag`; PATCH/DELETE accept `If-Match` (412 when stale).',
  '- POSTs accept `Idempotency-Key` (replayed for 24 h with `Idempotent-Replayed: true`).',
  '- Personal fields are masked for roles without the personal-data permission; masked field names are listed in `masked`.',
  '- Every response carries `x-request-id`.',
].join('\n');

interface Core {
  paths: OpenApiDocument['paths'];
  tags: OpenApiDocument['tags'];
  components: OpenApiDocument['components'];
}

function buildCore(routes: readonly RouteDef[] = ROUTES): Core {
  const schemas = new SchemaSet();
  const problem = schemas.add(Problem(), 'output');
  const deferred = routes.map((route) => ({ route, build: buildOperation(route, schemas) }));
  const { components: schemaComponents, resolve } = schemas.finish();
  const problemSchema = resolve(problem);
  const examples: ExampleContext = { schemas: schemaComponents };

  const paths: Core['paths'] = {};
  for (const { route, build } of deferred) {
    const item = (paths[route.path] ??= {});
    const method = route.method.toLowerCase();
    if (item[method]) throw new Error(`Two routes for ${route.method} ${route.path}`);
    item[method] = build(resolve, examples);
  }

  const tags: Core['tags'] = [];
  for (const route of routes) {
    if (!tags.some((t) => t.name === route.tag)) {
      const description = TAG_DESCRIPTIONS[route.tag];
      tags.push(description ? { name: route.tag, description } : { name: route.tag });
    }
  }

  const responses: Record<string, Json> = {};
  for (const [status, p] of Object.entries(PROBLEMS)) {
    const headers: Record<string, unknown> = { 'X-Request-Id': ref('headers', 'X-Request-Id') };
    for (const h of p.headers ?? []) headers[h] = ref('headers', h);
    const content: Json = { 'application/problem+json': { schema: problemSchema, example: problemExample(p.types[0]!) } };
    if (p.gateway) content['application/json'] = { schema: ref('schemas', GATEWAY_MESSAGE), example: { message: GATEWAY_MESSAGES[Number(status)] } };
    const pages = p.types.map((type) => `[\`${type}\`](/problems/${type})`).join(', ');
    responses[p.name] = {
      description: `${status} — ${p.description} Problem type${p.types.length > 1 ? 's' : ''}: ${pages}.` + (p.gateway ? GATEWAY_NOTE : ''),
      headers,
      content,
    };
  }

  return {
    paths,
    tags,
    components: {
      schemas: { ...schemaComponents, [GATEWAY_MESSAGE]: GATEWAY_MESSAGE_SCHEMA },
      responses,
      parameters: PARAMETERS,
      headers: HEADERS,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A Cognito user-pool token of a user in one of the role groups (admin, manager, sales, marketing, service, analyst): `Authorization: Bearer <token>`. ' +
            'Locally, print one with `npm run --silent token -- <role>`.',
        },
        cognito: {
          type: 'oauth2',
          description:
            'Sign in through the Cognito user pool\'s hosted UI (authorization code flow with PKCE S256; public client, no secret) and send the access token as a bearer token. ' +
            'The endpoints are the stage\'s user pool domain, set as `AUTH_DOMAIN_URL` on the system function (locally: the local runtime itself, where signing in means picking a demo user); ' +
            `where it is not set they show the placeholder \`${AUTH_ORIGIN_PLACEHOLDER}\` and only \`bearer\` applies. ` +
            'The /docs page signs in as its own client (callback: the page itself); a web client registers its callback URLs with the stage (`oauthCallbackUrls`). The API authorizes by role group, not by OAuth scope.',
          flows: {
            authorizationCode: {
              authorizationUrl: `${AUTH_ORIGIN_PLACEHOLDER}${AUTHORIZE_PATH}`,
              tokenUrl: `${AUTH_ORIGIN_PLACEHOLDER}${TOKEN_PATH}`,
              refreshUrl: `${AUTH_ORIGIN_PLACEHOLDER}${TOKEN_PATH}`,
              scopes: OAUTH_SCOPES,
            },
          },
        },
      },
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The document as served by `GET /v1/openapi.json`: rendered at build time into
 * functions/system/openapi.json (`npm run docs:openapi`; a test fails when the committed file is
 * stale), so the system function neither carries nor runs this builder and every schema.
 */
export function renderOpenApiJson(): string {
  return `${JSON.stringify(buildOpenApi(), null, 2)}\n`;
}

/** The paths, tags and components for some rows only, uncached (for tests of the build rules). */
export function buildOpenApiFor(routes: readonly RouteDef[]): Core {
  return buildCore(routes);
}

let core: Core | undefined;
/** One cached document: callers pass the same options every time, and a Host-derived serverUrl cannot grow memory. */
let last: { key: string; doc: OpenApiDocument } | undefined;

/**
 * The OpenAPI 3.1.0 document of the whole API. The schema-heavy part is built once per cold start;
 * the result is frozen — clone it before changing anything.
 */
export function buildOpenApi(opts: BuildOptions = {}): OpenApiDocument {
  const serverUrl = opts.serverUrl ?? '/';
  const version = opts.version ?? '1.0.0';
  const key = `${serverUrl}\n${version}`;
  if (last?.key === key) return last.doc;
  core ??= deepFreeze(buildCore());
  const doc: OpenApiDocument = deepFreeze({
    openapi: '3.1.0',
    info: { title: 'CRM API', version, description: INFO_DESCRIPTION },
    servers: [{ url: serverUrl }],
    tags: core.tags,
    paths: core.paths,
    components: core.components,
  });
  last = { key, doc };
  return doc;
}
