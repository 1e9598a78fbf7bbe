/**
 * The one middleware chain every HTTP feature handler is built with:
 *   route lookup → authentication context → authorization → validation → idempotency →
 *   operation → response (JSON, ETag, Location) → error mapping → one structured log line.
 * Feature code supplies plain operations that receive validated input and return data; it never
 * builds a raw HTTP response and never decides authorization on its own.
 */
import { setMaxListeners } from 'node:events';
import { LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type BodyOf, type ParamsOf, type QueryOf, type RouteDef, routeKey } from '../api/route-def';
import type { FeatureName } from '../api/features';
import { isDependencyFailure, loggableError } from '../aws/errors';
import { lazyLogger } from '../aws/logger';
import { engineWriteUnitsOf } from '../data/capacity';
import { currentRequestScope, type RequestScope, withDbUsage } from '../data/client';
import { IdempotencyLockLost } from '../data/transaction';
import { authorize, type Principal, principalFromAuthorizer } from '../security/principal';
import type { Scope } from '../security/permissions';
import { isOverLimit, type RateState, rateLimitHeaders, rateStateOf } from '../apikeys/rate-policy';
import { type Begin, beginIdempotent, completeIdempotent, fingerprint, releaseIdempotent, validateKey } from './idempotency';
import { HttpError, NotFound, OutcomeUnknown, SavedWithoutResponse, ServiceUnavailable, TooManyRequests, toProblemResponse } from './problem';
import { etagOf, header, parseIfMatch, parseJsonBody, parseParams, parseQuery, validate } from './request';

/** The chain's logger, constructed on the first invocation (functions/aws/logger.ts). */
export const chainLogger = lazyLogger('crm');

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/**
 * What an operation receives. `Row` is its route row: `params`, `query` and `body` are what that
 * row's schemas validated, typed by them (functions/api/route-def.ts, "Types from the row").
 * Without a row type (a table typed only `readonly RouteDef[]`) they fall back to loose types.
 */
export interface OperationContext<Row extends RouteDef = RouteDef> {
  route: RouteDef;
  /** Undefined only on public routes. */
  principal: Principal;
  /** Row-level scope of the route's action for this caller. */
  scope: Scope;
  params: IsLiteral<Row, ParamsOf<Row>, Record<string, string>>;
  query: IsLiteral<Row, QueryOf<Row>, any>;
  body: IsLiteral<Row, BodyOf<Row>, any>;
  /** Version from If-Match, when sent. */
  expectedVersion: number | undefined;
  requestId: string;
  now: Date;
  event: HttpEvent;
}

export interface OperationResult {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A non-JSON body (the docs page). */
  contentType?: string;
}

export type Operation<Row extends RouteDef = RouteDef> = (ctx: OperationContext<Row>) => Promise<OperationResult>;

/** A row typed only as `RouteDef` (its operation name is any string) carries no schema types. */
type IsLiteral<Row extends RouteDef, Typed, Loose> = string extends Row['operation'] ? Loose : Typed;

/**
 * One operation per row of `Rows`, keyed by the row's operation name and typed by the row: a
 * missing operation, an extra one, or a handler reading a field its schema does not have is a
 * compile error. For rows typed only `readonly RouteDef[]`, any `Record<string, Operation>`.
 */
export type OperationsFor<Rows extends readonly RouteDef[]> = string extends Rows[number]['operation']
  ? Record<string, Operation>
  : { [Name in Rows[number]['operation']]: Operation<Extract<Rows[number], { operation: Name }>> };

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type PreparedRequest = Partial<OperationContext> & { route: RouteDef; idempotency?: Begin };
/**
 * What each log line of a request carries besides its Lambda context: the gateway's request id and,
 * once authenticated, the caller's id and role (no personal data). Handed to each line rather than
 * set on the shared logger with `appendKeys`/`resetKeys`, which filter and merge on every call
 * (bench:overhead); the lines come out the same, these keys first among the line's attributes.
 */
interface RequestLog {
  keys: { apiRequestId?: string; userId?: string; role?: string };
  /** The container's first invocation, whose context the logger was given as it began. */
  cold: boolean;
}
type ContextWithCrm = Context & { crm: PreparedRequest; crmLog: RequestLog };

/** Until a container's first invocation: its lines carry `cold_start: true`, later ones false. */
let firstInvocation = true;

/**
 * Writes one line of the request's log; every line of the chain's logger goes through here. The Lambda
 * context (request id, function, cold start) is set on the logger right before each line — so an
 * invocation that writes none (its `request` line below the log level) pays nothing for it, and
 * requests interleaved in one process (the local runtime) each log their own — except on the cold
 * start, whose context was set as it began: setting it again would read `cold_start: false`.
 */
function emit(context: Context, level: 'info' | 'warn' | 'error', message: string, attributes: Record<string, unknown>): void {
  const log = (context as Partial<ContextWithCrm>).crmLog ?? { keys: {}, cold: false };
  const logger = chainLogger();
  if (!log.cold) logger.addContext(context);
  logger[level](message, { ...log.keys, ...attributes });
}

/** One request through the chain's steps (`before` → operation → `after`, or `onError`). */
interface CrmRequest {
  event: HttpEvent;
  context: Context;
  response: HttpResult | undefined;
  error: unknown;
  crm?: PreparedRequest;
}

interface ChainSteps {
  before: (request: CrmRequest) => Promise<void>;
  after: (request: CrmRequest) => Promise<void>;
  onError: (request: CrmRequest) => Promise<void>;
}

/** How long before the function's deadline the chain stops waiting for an operation. */
const EARLY_TIMEOUT_MS = 5;

/**
 * Runs one request through `steps` and `operation`, with the semantics of the middy chain this
 * replaced (@middy/core 6, one middleware object, no streaming): `before`, then the operation
 * raced against a timer that rejects with a `TimeoutError` EARLY_TIMEOUT_MS before the deadline
 * (an operation that ignores the abort signal still gets an answer: a 503), then `after`; an
 * error from any of them clears the response and goes to `onError`, which sets the response —
 * or rethrows, as does an error it leaves unanswered. In house because @middy/core's entry
 * imports `node:stream/web` and `node:timers` for response streaming (unused here): loading the
 * web streams is ≈ 2–3 ms of CPU at every cold start (docs/performance.md, "Cold start").
 */
async function runChain(request: CrmRequest, steps: ChainSteps, operation: (event: HttpEvent, context: Context) => Promise<HttpResult>): Promise<HttpResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await steps.before(request);
    const running = operation(request.event, request.context);
    if (typeof request.context.getRemainingTimeInMillis === 'function') {
      const early = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(earlyTimeout()), request.context.getRemainingTimeInMillis() - EARLY_TIMEOUT_MS);
      });
      request.response = await Promise.race([running, early]);
      clearTimeout(timer);
    } else {
      request.response = await running;
    }
    await steps.after(request);
  } catch (err) {
    clearTimeout(timer);
    request.response = undefined;
    request.error = err;
    try {
      await steps.onError(request);
    } catch (unhandled) {
      (unhandled as { originalError?: unknown }).originalError = request.error;
      throw unhandled;
    }
  }
  // An error that `onError` left unanswered is rethrown (as is an `after` that dropped the answer).
  if (request.response === undefined) throw request.error ?? new Error('The request chain produced no response');
  return request.response;
}

function earlyTimeout(): Error {
  const err = new Error('[AbortError]: The operation was aborted.', { cause: { package: 'functions/http/chain' } });
  err.name = 'TimeoutError';
  return err;
}

export const ok = (body: unknown, headers?: Record<string, string>): OperationResult => ({ status: 200, body, headers });
export const created = (body: unknown, location: string): OperationResult => ({ status: 201, body, headers: { location } });
export const noContent = (): OperationResult => ({ status: 204 });

/**
 * The request's SDK calls are aborted this long before the function's deadline, leaving time to
 * settle an idempotency lock and answer: nothing is sent after the answer, and a dependency that
 * hangs gets a 503 rather than the platform's timeout.
 */
export const ABORT_MARGIN_MS = 2_000;

/**
 * Abort controllers of finished requests, reused while never aborted: creating one (an EventTarget)
 * and raising its listener limit cost more per request than the rest of the chain's bookkeeping
 * (bench:overhead profile, docs/performance.md). Each request in flight holds its own; an aborted
 * one is dropped. The SDK removes its listener when its call ends, so a returned signal is clean.
 */
const idleControllers: AbortController[] = [];
const MAX_IDLE_CONTROLLERS = 16;

function takeController(): AbortController {
  const reused = idleControllers.pop();
  if (reused) return reused;
  const controller = new AbortController();
  // One listener per SDK call in flight (read-all runs ten at a time): not a leak.
  setMaxListeners(100, controller.signal);
  return controller;
}

function releaseController(controller: AbortController): void {
  if (!controller.signal.aborted && idleControllers.length < MAX_IDLE_CONTROLLERS) idleControllers.push(controller);
}

/** The API key authorizer's count of this request, if it came with a key (functions/apikeys/rate-policy.ts). */
function rateOf(event: HttpEvent): RateState | undefined {
  const authorizer = event.requestContext?.authorizer as { lambda?: Record<string, unknown> } | undefined;
  return authorizer?.lambda ? rateStateOf(authorizer.lambda) : undefined;
}

/** Read on the first request, not per request (the environment of a container does not change). */
let metricsHeaders: boolean | undefined;

function toResponse(result: OperationResult): HttpResult {
  const status = result.status ?? 200;
  const headers: Record<string, string> = { ...(result.headers ?? {}) };
  if (status === 204 || result.body === undefined) return { statusCode: status, headers };
  if (result.contentType) {
    headers['content-type'] = result.contentType;
    return { statusCode: status, headers, body: String(result.body) };
  }
  const version = (result.body as { version?: unknown } | null)?.version;
  if (typeof version === 'number') headers.etag = etagOf(version);
  headers['content-type'] = 'application/json';
  return { statusCode: status, headers, body: JSON.stringify(result.body) };
}

/**
 * Builds the Lambda handler of one feature from its own route rows (functions/<feature>/routes.ts)
 * and its operations. Takes the rows rather than reading the whole route table so that a feature's
 * bundle carries only its own schemas. Fails at cold start if a row belongs to another feature, a
 * route of the feature has no operation, or an operation no route.
 */
export function createHttpHandler<const Rows extends readonly RouteDef[]>(feature: FeatureName, featureRoutes: Rows, typedOperations: OperationsFor<Rows>) {
  // Past the compile-time check, the chain looks operations up by the row it matched at run time.
  const operations = typedOperations as unknown as Record<string, Operation>;
  for (const route of featureRoutes) {
    if (route.feature !== feature) throw new Error(`Feature ${feature}: route ${routeKey(route)} belongs to ${route.feature}`);
  }
  const routes = new Map(featureRoutes.map((route) => [routeKey(route), route]));
  for (const route of routes.values()) {
    if (!operations[route.operation]) throw new Error(`Feature ${feature}: no operation for ${route.operation}`);
  }
  const routed = new Set([...routes.values()].map((r) => r.operation));
  for (const name of Object.keys(operations)) {
    if (!routed.has(name)) throw new Error(`Feature ${feature}: operation ${name} has no route`);
  }

  const prepare: ChainSteps = {
    before: async (request: CrmRequest) => {
      const event = request.event;
      const route = routes.get(event.routeKey);
      if (!route) throw NotFound(`No route ${event.routeKey}`);
      const requestId = request.context.awsRequestId || event.requestContext?.requestId;
      const crm: NonNullable<CrmRequest['crm']> = { route, requestId, now: new Date(), event };
      request.crm = crm;
      if (route.permission !== 'public') {
        // An API key over its rate limit (counted by its authorizer): nothing else runs.
        const rate = rateOf(event);
        if (rate && isOverLimit(rate)) throw TooManyRequests(rate.resetSeconds, `This API key may send ${rate.limit} requests per minute; retry after ${rate.resetSeconds} s`);
        const principal = principalFromAuthorizer(event.requestContext?.authorizer as Parameters<typeof principalFromAuthorizer>[0]);
        crm.principal = principal;
        crm.scope = authorize(principal, route.permission);
        const log = (request.context as Partial<ContextWithCrm>).crmLog;
        if (log) {
          log.keys.userId = principal.userId;
          log.keys.role = principal.role;
        }
      }
      crm.params = parseParams(route.params?.(), event);
      crm.query = parseQuery(route.query?.(), event);
      crm.body = route.body ? validate(route.body(), parseJsonBody(event), 'body') : undefined;
      crm.expectedVersion = route.conditional ? parseIfMatch(event) : undefined;

      if (route.idempotent && crm.principal) {
        const rawKey = header(event, 'idempotency-key');
        if (rawKey !== undefined) {
          const key = validateKey(rawKey);
          const print = fingerprint(route.method, event.rawPath, crm.body);
          const begin = await beginIdempotent(crm.principal.userId, key, print, crm.now!);
          crm.idempotency = begin;
          // The transaction helper marks the lock committed in the change's own transaction.
          const scope = currentRequestScope();
          if (scope && begin.kind === 'proceed') scope.idempotency = begin.guard;
        }
      }
      // The handler below receives only (event, context): hand it the prepared request this way.
      (request.context as ContextWithCrm).crm = crm;
    },
    after: async (request: CrmRequest) => {
      const idem = request.crm?.idempotency;
      const response = request.response;
      if (!idem || idem.kind === 'replay' || !response) return;
      const status = response.statusCode ?? 200;
      if (status >= 200 && status < 300) {
        try {
          await completeIdempotent(idem.guard, {
            statusCode: status,
            headers: (response.headers ?? {}) as Record<string, string>,
            body: typeof response.body === 'string' ? response.body : '',
          });
        } catch (err) {
          // Best effort: the key is already `committed` (or nothing was written), so a retry
          // rebuilds the answer from the record instead of running again.
          emit(request.context, 'warn', 'idempotency response not stored', { error: { name: (err as Error)?.name } });
        }
      } else {
        await releaseIdempotent(idem.guard);
      }
    },
    onError: async (request: CrmRequest) => {
      const idem = request.crm?.idempotency;
      const scope = currentRequestScope();
      let error: unknown = request.error;
      if (error instanceof IdempotencyLockLost) {
        error = new HttpError(409, 'conflict', 'Conflict', 'This attempt took too long: its Idempotency-Key lock expired and a retry took it over, so this attempt changed nothing. The retry answers with the result');
      }
      if (idem?.kind === 'rebuild') {
        // The change was applied earlier; only reading its result failed.
        if (isDependencyFailure(error)) error = SavedWithoutResponse();
        else if (!(error instanceof HttpError && error.status === 409)) {
          error = new HttpError(409, 'conflict', 'Conflict', 'This request was already applied, but its result can no longer be read; read the record instead. Nothing was applied again');
        }
      } else if (idem && idem.kind === 'proceed') {
        // Releasing is also the fence: once the lock is gone, the change can never commit.
        const settled = await releaseIdempotent(idem.guard);
        if (settled === 'committed') error = SavedWithoutResponse();
        else if (settled === 'unknown' && (scope?.uncertainWrite || isDependencyFailure(error))) error = OutcomeUnknown(true);
        else if (scope?.uncertainUnmarkedWrite && isDependencyFailure(error)) error = OutcomeUnknown(true);
        else if (isDependencyFailure(error)) error = ServiceUnavailable();
      } else if ((scope?.uncertainWrite || scope?.wroteRecords) && isDependencyFailure(error)) {
        // Without a key: a write was not confirmed, or one committed before a later step failed.
        error = OutcomeUnknown(false);
      } else if (isDependencyFailure(error) && !WRITE_METHODS.has(request.crm?.route.method ?? 'GET')) {
        error = ServiceUnavailable('A dependency is temporarily unavailable. Retry after the Retry-After interval');
      } else if (isDependencyFailure(error)) {
        error = ServiceUnavailable();
      }
      const requestId = request.crm?.requestId ?? request.context.awsRequestId;
      if (!(error instanceof HttpError) || error.status >= 500) {
        emit(request.context, 'error', 'request failed', { error: loggableError(request.error) });
      }
      request.response = toProblemResponse(error, requestId, request.event.rawPath);
    },
  };

  const operate = async (_event: HttpEvent, context: Context): Promise<HttpResult> => {
    const crm = (context as ContextWithCrm).crm;
    const idem = crm.idempotency;
    if (idem?.kind === 'replay') return { ...idem.response, headers: { ...idem.response.headers, 'idempotent-replayed': 'true' } };
    if (idem?.kind === 'rebuild') return rebuild(crm, idem.resultIds);
    return toResponse(await operations[crm.route.operation]!(crm as OperationContext));
  };
  const core = (event: HttpEvent, context: Context) => runChain({ event, context, response: undefined, error: undefined }, prepare, operate);

  /**
   * The answer of a keyed request that committed but whose response was never stored: the record
   * as the feature's own `GET` shows it — the resource an action route acts on, or the first record
   * the change created — with the route's status, `Location` on a create, and
   * `Idempotent-Replayed: true`. The change is not applied again.
   */
  async function rebuild(crm: PreparedRequest, resultIds: string[]): Promise<HttpResult> {
    const route = crm.route;
    const gets = [...routes.values()].filter((r) => r.method === 'GET' && /^\/v1\/[a-z-]+\/\{id\}$/.test(r.path));
    let target: { route: RouteDef; id: string } | undefined;
    const resourcePath = route.path.replace(/\/[a-z-]+$/, '');
    const onResource = route.response.status !== 201 && crm.params?.id ? gets.find((r) => r.path === resourcePath) : undefined;
    if (onResource) target = { route: onResource, id: crm.params!.id! };
    for (const id of resultIds) {
      if (target) break;
      const match = gets.find((r) => r.params?.().id?.safeParse(id).success);
      if (match) target = { route: match, id };
    }
    if (!target) {
      throw new HttpError(409, 'conflict', 'Conflict', 'This request was already applied, but its response cannot be rebuilt; read the record instead. Nothing was applied again');
    }
    const event = { ...crm.event!, queryStringParameters: undefined };
    const result = await operations[target.route.operation]!({
      ...(crm as OperationContext),
      route: target.route,
      params: { id: target.id },
      query: parseQuery(target.route.query?.(), event),
      body: undefined,
      expectedVersion: undefined,
    });
    const headers: Record<string, string> = { ...(result.headers ?? {}), 'idempotent-replayed': 'true' };
    if (route.response.status === 201) headers.location = target.route.path.replace('{id}', target.id);
    return toResponse({ status: route.response.status, body: result.body, headers });
  }

  return async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const started = Date.now();
    // The gateway's request id, as in the API access log: one failing request can be followed
    // from the access log line into this function's log lines (docs/operations.md).
    const log: RequestLog = { keys: event.requestContext?.requestId ? { apiRequestId: event.requestContext.requestId } : {}, cold: firstInvocation };
    (context as ContextWithCrm).crmLog = log;
    if (firstInvocation) {
      // The cold start's context now, once: `cold_start: true` on its lines and on no later one.
      firstInvocation = false;
      chainLogger().addContext(context);
    }
    const abort = takeController();
    const remaining = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const timer = remaining === undefined ? undefined : setTimeout(() => abort.abort(), Math.max(remaining - ABORT_MARGIN_MS, remaining / 2));
    const scope: RequestScope = { signal: abort.signal };
    // Usage counter and request scope in one step (one async context, one promise layer fewer).
    const { result, usage } = await withDbUsage(async () => {
      try {
        return await core(event, context);
      } catch (err) {
        // Errors thrown inside the chain's own error path: still never a stack trace to the client.
        emit(context, 'error', 'unhandled error', { error: loggableError(err) });
        return toProblemResponse(err, context.awsRequestId, event.rawPath);
      } finally {
        clearTimeout(timer);
        releaseController(abort);
      }
    }, scope);
    const rate = rateOf(event);
    const headers: Record<string, string> = { ...((result.headers ?? {}) as Record<string, string>), ...(rate ? rateLimitHeaders(rate) : {}), 'x-request-id': context.awsRequestId };
    metricsHeaders ??= process.env.DB_METRICS_HEADERS === 'true';
    if (metricsHeaders) {
      headers['x-db-requests'] = String(usage.requests);
      headers['x-db-read-units'] = String(usage.readUnits);
      headers['x-db-write-units'] = String(usage.writeUnits);
      // DynamoDB Local's own figure, which misreports transactions (docs/access-patterns.md): kept for calibration.
      headers['x-db-write-units-engine'] = String(engineWriteUnitsOf(usage) ?? usage.writeUnits);
      headers['x-db-commands'] = usage.commands.join(',');
    }
    // Below INFO (LOG_LEVEL=WARN, ERROR) the line is not built at all.
    if (chainLogger().level <= LogLevelThreshold.INFO) {
      emit(context, 'info', 'request', {
        routeKey: event.routeKey,
        status: result.statusCode,
        latencyMs: Date.now() - started,
        db: { requests: usage.requests, readUnits: usage.readUnits, writeUnits: usage.writeUnits },
      });
    }
    return { ...result, headers };
  };
}
