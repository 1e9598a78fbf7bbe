/**
 * The one middleware chain every HTTP feature handler is built with (middy):
 *   route lookup → authentication context → authorization → validation → idempotency →
 *   operation → response (JSON, ETag, Location) → error mapping → one structured log line.
 * Feature code supplies plain operations that receive validated input and return data; it never
 * builds a raw HTTP response and never decides authorization on its own.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type RouteDef, routeKey } from '../api/route-def';
import type { FeatureName } from '../api/features';
import { withDbUsage } from '../data/client';
import { authorize, type Principal, principalFromClaims } from '../security/principal';
import type { Scope } from '../security/permissions';
import { beginIdempotent, completeIdempotent, fingerprint, releaseIdempotent, type StoredResponse, validateKey } from './idempotency';
import { HttpError, NotFound, toProblemResponse } from './problem';
import { etagOf, header, parseIfMatch, parseJsonBody, parseParams, parseQuery, validate } from './request';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm' });

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface OperationContext<Body = any, Query = any> {
  route: RouteDef;
  /** Undefined only on public routes. */
  principal: Principal;
  /** Row-level scope of the route's action for this caller. */
  scope: Scope;
  params: Record<string, string>;
  query: Query;
  body: Body;
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

export type Operation = (ctx: OperationContext) => Promise<OperationResult>;

type PreparedRequest = Partial<OperationContext> & { route: RouteDef; idempotency?: { key: string; userId: string; replay?: StoredResponse } };
type ContextWithCrm = Context & { crm: PreparedRequest };

interface CrmRequest extends middy.Request<HttpEvent, HttpResult, Error, Context> {
  crm?: PreparedRequest;
}

export const ok = (body: unknown, headers?: Record<string, string>): OperationResult => ({ status: 200, body, headers });
export const created = (body: unknown, location: string): OperationResult => ({ status: 201, body, headers: { location } });
export const noContent = (): OperationResult => ({ status: 204 });

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
export function createHttpHandler(feature: FeatureName, featureRoutes: readonly RouteDef[], operations: Record<string, Operation>) {
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

  const prepare: middy.MiddlewareObj<HttpEvent, HttpResult> = {
    before: async (request: CrmRequest) => {
      const event = request.event;
      const route = routes.get(event.routeKey);
      if (!route) throw NotFound(`No route ${event.routeKey}`);
      const requestId = request.context.awsRequestId || event.requestContext?.requestId;
      const crm: NonNullable<CrmRequest['crm']> = { route, requestId, now: new Date(), event };
      request.crm = crm;
      if (route.permission !== 'public') {
        const principal = principalFromClaims(event.requestContext?.authorizer?.jwt?.claims);
        crm.principal = principal;
        crm.scope = authorize(principal, route.permission);
        logger.appendKeys({ userId: principal.userId, role: principal.role });
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
          const replay = await beginIdempotent(crm.principal.userId, key, print, crm.now!);
          crm.idempotency = { key, userId: crm.principal.userId, replay };
        }
      }
      // The handler below receives only (event, context): hand it the prepared request this way.
      (request.context as ContextWithCrm).crm = crm;
    },
    after: async (request: CrmRequest) => {
      const idem = request.crm?.idempotency;
      const response = request.response;
      if (idem && !idem.replay && response) {
        const status = response.statusCode ?? 200;
        if (status >= 200 && status < 300) {
          try {
            await completeIdempotent(idem.userId, idem.key, {
              statusCode: status,
              headers: (response.headers ?? {}) as Record<string, string>,
              body: typeof response.body === 'string' ? response.body : '',
            });
          } catch (err) {
            // The change is committed: answer with its success, never an error that invites a
            // retry. The key stays locked as "in progress", so an immediate retry is a 409, not a
            // second change; only after the lock expires could a retry run again.
            logger.error('idempotency record not completed', { error: { name: (err as Error)?.name } });
          }
        } else {
          await releaseIdempotent(idem.userId, idem.key);
        }
      }
    },
    onError: async (request: CrmRequest) => {
      const idem = request.crm?.idempotency;
      if (idem && !idem.replay) await releaseIdempotent(idem.userId, idem.key);
      const requestId = request.crm?.requestId ?? request.context.awsRequestId;
      if (!(request.error instanceof HttpError) || request.error.status >= 500) {
        logger.error('request failed', { error: { name: request.error?.name, message: request.error?.message, stack: request.error?.stack } });
      }
      request.response = toProblemResponse(request.error, requestId, request.event.rawPath);
    },
  };

  const core = middy<HttpEvent, HttpResult, Error, Context>()
    .use(prepare)
    .handler(async (_event, context) => {
      const crm = (context as ContextWithCrm).crm;
      const replay = crm.idempotency?.replay;
      if (replay) return { ...replay, headers: { ...replay.headers, 'idempotent-replayed': 'true' } };
      return toResponse(await operations[crm.route.operation]!(crm as OperationContext));
    });

  return async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const started = Date.now();
    logger.addContext(context);
    // The gateway's request id, as in the API access log: one failing request can be followed
    // from the access log line into this function's log lines (docs/operations.md).
    if (event.requestContext?.requestId) logger.appendKeys({ apiRequestId: event.requestContext.requestId });
    const { result, usage } = await withDbUsage(async () => {
      try {
        return await core(event, context);
      } catch (err) {
        // Errors thrown inside middy's own error path: still never a stack trace to the client.
        logger.error('unhandled error', { error: { name: (err as Error)?.name, message: (err as Error)?.message } });
        return toProblemResponse(err, context.awsRequestId, event.rawPath);
      }
    });
    const headers: Record<string, string> = { ...((result.headers ?? {}) as Record<string, string>), 'x-request-id': context.awsRequestId };
    if (process.env.DB_METRICS_HEADERS === 'true') {
      headers['x-db-requests'] = String(usage.requests);
      headers['x-db-read-units'] = String(usage.readUnits);
      headers['x-db-write-units'] = String(usage.writeUnits);
      headers['x-db-commands'] = usage.commands.join(',');
    }
    logger.info('request', {
      routeKey: event.routeKey,
      status: result.statusCode,
      latencyMs: Date.now() - started,
      db: { requests: usage.requests, readUnits: usage.readUnits, writeUnits: usage.writeUnits },
    });
    logger.resetKeys();
    return { ...result, headers };
  };
}
