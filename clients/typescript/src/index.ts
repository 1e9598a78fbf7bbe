/**
 * @crm/client — a thin layer over openapi-fetch with the CRM API's generated types (./api.ts):
 * every path, parameter, body and answer is typed from the OpenAPI document, so a misspelt field
 * or a wrong enum value is a compile error in the app, not a 400 in production.
 *
 * What the layer adds: authentication (a bearer token — a string or a function returning a fresh
 * one — or an API key), `unwrap` turning an error answer into a typed `ProblemError`, `ifMatch`
 * for optimistic concurrency, and `paginate`, which follows `nextCursor` across pages.
 * It runs wherever `fetch` does (browsers, React Native, Node ≥ 18, Deno).
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, operations, paths } from './api';

export type { components, operations, paths };
export type Schemas = components['schemas'];
/** RFC 9457 problem details, as every API error answers (`application/problem+json`). */
export type Problem = components['schemas']['Problem'];

export interface CrmClientOptions {
  /** The API's base URL, e.g. `https://abc123.execute-api.eu-central-1.amazonaws.com` or the machine API's URL. */
  baseUrl: string;
  /** A Cognito access token, or a function returning the current one (called per request, so it may refresh). */
  token?: string | (() => string | Promise<string>);
  /** An API key (`crm_key_…`) for machine clients; sent as `Authorization: ApiKey <key>`. */
  apiKey?: string;
  /** Another fetch (tests, instrumentation); default: the global one. */
  fetch?: (request: Request) => Promise<Response>;
  /** Headers sent with every request (e.g. a user agent of your app). */
  headers?: Record<string, string>;
}

export type CrmClient = Client<paths>;

/** The typed client: `client.GET('/v1/customers', { params: { query: { tier: 'A' } } })` and so on. */
export function createCrmClient(options: CrmClientOptions): CrmClient {
  if (options.token !== undefined && options.apiKey !== undefined) throw new Error('Pass either token or apiKey, not both');
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const { token, apiKey } = options;
  if (token !== undefined || apiKey !== undefined) {
    client.use({
      async onRequest({ request }) {
        if (request.headers.has('authorization')) return request;
        const value = apiKey !== undefined ? `ApiKey ${apiKey}` : `Bearer ${typeof token === 'function' ? await token() : token}`;
        request.headers.set('authorization', value);
        return request;
      },
    });
  }
  return client;
}

/**
 * An error answer. `problem` is the API's problem+json; API Gateway's own answers (throttling,
 * a refused token) carry only a message and get a problem built from the status. The request id
 * (`x-request-id`, or the problem's `requestId`) is what to quote in a bug report.
 */
export class ProblemError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly requestId: string | undefined;
  /** Seconds to wait before retrying (429, 503), from `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(response: Response, body: unknown) {
    const problem = asProblem(response.status, body);
    super(`${problem.status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ''}`);
    this.name = 'ProblemError';
    this.status = response.status;
    this.problem = problem;
    this.requestId = problem.requestId ?? response.headers.get('x-request-id') ?? undefined;
    const retryAfter = Number(response.headers.get('retry-after'));
    this.retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined;
  }

  /** The problem type's last segment (`not-found`, `validation-failed`, `precondition-failed` …). */
  get code(): string {
    return this.problem.type.slice(this.problem.type.lastIndexOf('/') + 1);
  }
}

function asProblem(status: number, body: unknown): Problem {
  if (typeof body === 'object' && body !== null && 'type' in body && 'title' in body && 'status' in body) return body as Problem;
  const message = typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : undefined;
  return { type: 'about:blank', title: message ?? `HTTP ${status}`, status };
}

/** What every openapi-fetch call resolves to: data on success, error otherwise, and the response. */
interface Answer<Data> {
  data?: Data;
  error?: unknown;
  response: Response;
}

/**
 * The data of a successful answer, or a thrown `ProblemError`:
 * `const customer = await unwrap(client.GET('/v1/customers/{id}', { params: { path: { id } } }))`.
 */
export async function unwrap<Data>(request: Promise<Answer<Data>>): Promise<Data> {
  const answer = await request;
  if (!answer.response.ok) throw new ProblemError(answer.response, answer.error);
  return answer.data as Data;
}

/**
 * `If-Match` for a conditional change: the version read (`record.version`) or the record itself.
 * The change then answers 412 (`precondition-failed`) if someone changed the record meanwhile.
 */
export function ifMatch(read: number | { version: number }): { 'If-Match': string } {
  return { 'If-Match': `"${typeof read === 'number' ? read : read.version}"` };
}

/**
 * Every item of a list, page after page, following `nextCursor` until the last page:
 * `for await (const c of paginate((cursor) => client.GET('/v1/customers', { params: { query: { cursor } } })))`.
 * Throws `ProblemError` on an error answer. Pages are fetched one at a time, as the loop asks.
 */
export async function* paginate<Item>(
  page: (cursor: string | undefined) => Promise<Answer<{ items: Item[]; nextCursor?: string | null }>>,
): AsyncGenerator<Item, void, undefined> {
  let cursor: string | undefined;
  do {
    const data = await unwrap(page(cursor));
    yield* data.items;
    cursor = data.nextCursor ?? undefined;
  } while (cursor);
}
