/**
 * Local stand-in for the API Gateway HTTP API: matches requests against the route table, runs
 * the JWT authorizer's checks, builds payload-v2.0 events, invokes the very handler modules that
 * run in Lambda and writes their structured results back. CORS preflight, stage throttling and
 * the 10 MB request limit behave like the HTTP API's; everything the API itself decides (400,
 * 403, 413 over 256 KB, 415 …) is left to the handlers' middleware.
 *
 * Deliberate differences: where API Gateway answers `{"message": …}` for 401/404/413/429, this
 * gateway answers RFC 9457 problem+json like the rest of the API, and a wrong method on a known
 * path is a 405 with `Allow` rather than API Gateway's 404, which helps people exploring with curl.
 * A handler that throws is still `500 {"message":"Internal Server Error"}`, exactly as in AWS.
 */
import { CORS_ALLOW_HEADERS, CORS_DEFAULT_ORIGINS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECONDS } from '../functions/api/cors';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context,
} from 'aws-lambda';
import { ROUTES, routeKey, type RouteDef } from '../functions/api/routes';
import { authorizerOf } from '../functions/api/route-def';
import { problemTypeUri } from '../functions/http/problem';
import type { FeatureName } from '../functions/api/features';
import { flattenClaims, TokenError, type TokenVerifier } from './jwt';
import { inInvocationScope, LOCAL_ACCOUNT, lambdaContext, loadHandler, timeoutMillis, type AnyHandler } from './lambda';
import { appPageFor } from './app-page';
import { presentedKey } from '../functions/apikeys/model';
import type { LocalOAuth } from './oauth';
import { describeError, invocations, type Invocation } from './logs';

/** API Gateway's own request payload limit; the API's 256 KB limit is the handlers' business. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** HTTP APIs give up on an integration after 30 s. */
const INTEGRATION_TIMEOUT_MS = 30_000;

export const DEFAULT_CORS_ORIGINS = CORS_DEFAULT_ORIGINS;

export interface CorsConfig {
  allowOrigins: readonly string[];
  allowHeaders: readonly string[];
  exposeHeaders: readonly string[];
  maxAgeSeconds: number;
}

export interface ThrottleConfig {
  /** Steady-state requests per second per client. */
  ratePerSecond: number;
  /** Bucket size: requests a client may send at once. */
  burst: number;
}

export interface GatewayOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  verifier: TokenVerifier;
  /**
   * The portal routes' authorizer (the portal user pool's tokens; authorizerOf in
   * functions/api/route-def.ts). Without it, portal routes refuse every token (401).
   */
  portalVerifier?: TokenVerifier;
  routes?: readonly RouteDef[];
  cors?: Partial<CorsConfig>;
  /** `false` disables throttling. Default: 200 requests/s, burst 400 per client address. */
  throttle?: ThrottleConfig | false;
  maxBodyBytes?: number;
  /** Where handlers come from; tests pass their own. Default: the feature's entry module. */
  handlerFor?: (feature: FeatureName) => Promise<AnyHandler>;
  /**
   * One entry per request (ids, route, status, latency, the handler's DynamoDB requests and the
   * warnings/errors it logged — never bodies, tokens or claims); `quiet: true` for requests
   * `quiet` picked out.
   */
  log?: (entry: Record<string, unknown>) => void;
  /**
   * Serve `GET /<collection>/<id>` — where links in emails point when `appBaseUrl` is this
   * gateway — with a small page that reads the record through the API (local/app-page.ts).
   * Off by default: API Gateway has no such pages; `npm start` turns it on.
   */
  appPages?: boolean;
  /** Requests whose handler logs are dropped and whose entry says `quiet` (the demo seed's). */
  quiet?: (req: IncomingMessage) => boolean;
  /**
   * The local user pool domain's OAuth endpoints (`/oauth2/*`, `/logout`, `/.well-known/*`;
   * local/oauth.ts), served on the gateway's own origin. Off by default: in AWS they live on the
   * Cognito domain, not the API.
   */
  oauth?: LocalOAuth;
}

export interface Gateway {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

interface CompiledRoute {
  route: RouteDef;
  pattern: RegExp;
  paramNames: string[];
  /** Higher wins when several templates match: more literal segments, then no greedy parameter. */
  specificity: number;
}

type Match =
  | { kind: 'route'; route: RouteDef; pathParameters: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'none' };

/** Compiles API Gateway path templates (`/v1/customers/{id}`, `/files/{path+}`). */
export function compileRoutes(routes: readonly RouteDef[]): CompiledRoute[] {
  return routes.map((route) => {
    const paramNames: string[] = [];
    let literals = 0;
    let greedy = false;
    const source = route.path
      .split('/')
      .map((segment) => {
        const param = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
        if (!param) {
          literals += 1;
          return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        }
        paramNames.push(param[1]!);
        if (param[2]) { greedy = true; return '(.+)'; }
        return '([^/]+)';
      })
      .join('/');
    return { route, pattern: new RegExp(`^${source}$`), paramNames, specificity: literals * 2 + (greedy ? 0 : 1) };
  });
}

export function matchRoute(compiled: readonly CompiledRoute[], method: string, path: string): Match {
  let best: { entry: CompiledRoute; values: string[] } | undefined;
  const allow = new Set<string>();
  for (const entry of compiled) {
    const m = entry.pattern.exec(path);
    if (!m) continue;
    allow.add(entry.route.method);
    if (entry.route.method !== method) continue;
    if (!best || entry.specificity > best.entry.specificity) best = { entry, values: m.slice(1) };
  }
  if (best) {
    const pathParameters: Record<string, string> = {};
    best.entry.paramNames.forEach((name, i) => { pathParameters[name] = safeDecode(best!.values[i] ?? ''); });
    return { kind: 'route', route: best.entry.route, pathParameters };
  }
  if (allow.size > 0) return { kind: 'method-not-allowed', allow: [...allow].sort() };
  return { kind: 'none' };
}

export function createGateway(options: GatewayOptions): Promise<Gateway> {
  const compiled = compileRoutes(options.routes ?? ROUTES);
  const allMethods = [...new Set((options.routes ?? ROUTES).map((route) => route.method)), 'OPTIONS'].sort();
  const cors: CorsConfig = {
    allowOrigins: options.cors?.allowOrigins ?? DEFAULT_CORS_ORIGINS,
    allowHeaders: options.cors?.allowHeaders ?? CORS_ALLOW_HEADERS,
    exposeHeaders: options.cors?.exposeHeaders ?? CORS_EXPOSE_HEADERS,
    maxAgeSeconds: options.cors?.maxAgeSeconds ?? CORS_MAX_AGE_SECONDS,
  };
  const throttle = options.throttle === false ? undefined : new TokenBuckets(options.throttle ?? { ratePerSecond: 200, burst: 400 });
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const handlerFor = options.handlerFor ?? loadHandler;
  const log = options.log ?? (() => {});

  const server = createServer((req, res) => {
    const started = Date.now();
    const requestId = apiGatewayRequestId();
    res.setHeader('apigw-requestid', requestId);
    handle(req, res, requestId, started).catch((error: unknown) => {
      // Only reachable through a bug in this file; never leak details.
      process.stderr.write(`gateway: unexpected error ${error instanceof Error ? error.name : 'unknown'}\n`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string, started: number): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rawPath = (req.url ?? '/').split('?')[0] || '/';
    const rawQueryString = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    const origin = headerValue(req, 'origin');
    const originAllowed = origin !== undefined && (cors.allowOrigins.includes(origin) || cors.allowOrigins.includes('*'));
    let routeKeyForLog: string | undefined;
    const invocation: Invocation = { kind: 'http', feature: '-', quiet: options.quiet?.(req) ?? false, problems: [] };
    const finish = (status: number, extra: Record<string, unknown> = {}) => log({
      requestId, method, path: url.pathname, routeKey: routeKeyForLog ?? '-', status, latencyMs: Date.now() - started,
      ...(invocation.dbRequests !== undefined ? { dbRequests: invocation.dbRequests } : {}),
      ...(invocation.problems.length ? { problems: invocation.problems } : {}),
      ...(invocation.quiet ? { quiet: true } : {}),
      ...extra,
    });
    if (originAllowed) {
      res.setHeader('access-control-allow-origin', cors.allowOrigins.includes('*') ? '*' : origin);
      res.setHeader('vary', 'origin');
      if (method !== 'OPTIONS' && cors.exposeHeaders.length) res.setHeader('access-control-expose-headers', cors.exposeHeaders.join(','));
    }

    // With CORS configured, the HTTP API answers every OPTIONS request itself (no route needed).
    if (method === 'OPTIONS') {
      if (originAllowed) {
        res.setHeader('access-control-allow-methods', allMethods.join(','));
        res.setHeader('access-control-allow-headers', cors.allowHeaders.join(','));
        res.setHeader('access-control-max-age', String(cors.maxAgeSeconds));
      }
      res.writeHead(204).end();
      finish(204);
      return;
    }

    const sourceIp = normaliseIp(req.socket.remoteAddress);
    if (throttle && !throttle.take(sourceIp)) {
      res.setHeader('retry-after', '1');
      sendProblem(res, 429, 'Too many requests from this client; slow down and retry.', requestId);
      finish(429);
      return;
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === 'too-large') {
      res.setHeader('connection', 'close');
      sendProblem(res, 413, `The request body exceeds API Gateway's ${maxBodyBytes} byte limit.`, requestId);
      finish(413);
      return;
    }

    const signIn = options.oauth ? await options.oauth.handle(req, url, body) : undefined;
    if (signIn) {
      send(res, signIn.status, signIn.headers, Buffer.from(method === 'HEAD' ? '' : signIn.body));
      finish(signIn.status);
      return;
    }

    const match = matchRoute(compiled, method, rawPath);
    const page = match.kind === 'none' && options.appPages && (method === 'GET' || method === 'HEAD') ? appPageFor(url.pathname, options.routes ?? ROUTES) : undefined;
    if (page) {
      send(res, 200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, Buffer.from(method === 'HEAD' ? '' : page.html));
      finish(200);
      return;
    }
    if (match.kind === 'none') {
      sendProblem(res, 404, `No route matches ${method} ${url.pathname}.`, requestId);
      finish(404);
      return;
    }
    if (match.kind === 'method-not-allowed') {
      res.setHeader('allow', match.allow.join(', '));
      sendProblem(res, 405, `${method} is not allowed on ${url.pathname}; allowed: ${match.allow.join(', ')}.`, requestId);
      finish(405);
      return;
    }
    const { route, pathParameters } = match;
    routeKeyForLog = routeKey(route);

    let claims: Record<string, string> | undefined;
    let machine: Record<string, string> | undefined;
    const authorizer = authorizerOf(route);
    const apiKey = authorizer !== 'none' ? presentedKey({ authorization: headerValue(req, 'authorization'), 'x-api-key': headerValue(req, 'x-api-key') }) : undefined;
    if (apiKey !== undefined && authorizer === 'portal') {
      // The machine API carries no portal routes (lib/constructs/machine-api.ts): API Gateway answers 404.
      sendProblem(res, 404, `No route matches ${method} ${url.pathname} on the machine API (the portal is for signed-in contacts).`, requestId);
      finish(404);
      return;
    }
    if (apiKey !== undefined) {
      // The machine API's Lambda authorizer (in AWS a second HTTP API with the same routes;
      // lib/constructs/http-api.ts): the very handler, invoked as API Gateway invokes it.
      const authorizer = await handlerFor('apikeys-authorizer');
      const verdict = await authorizer(authorizerEvent(req, route, rawPath, rawQueryString, requestId, sourceIp, started), lambdaContext('apikeys-authorizer')) as { isAuthorized?: boolean; context?: Record<string, string> };
      if (!verdict?.isAuthorized) {
        sendProblem(res, 403, 'The API key is not valid: unknown, revoked or expired.', requestId);
        finish(403);
        return;
      }
      machine = verdict.context ?? {};
    } else if (route.permission !== 'public') {
      const token = bearerToken(headerValue(req, 'authorization'));
      let failure: string | undefined;
      if (!token) failure = 'A bearer token is required (Authorization: Bearer <token>).';
      else {
        try {
          const verifier = authorizer === 'portal' ? options.portalVerifier : options.verifier;
          if (!verifier) throw new TokenError('This route accepts tokens of the portal user pool only, and none is configured');
          claims = flattenClaims(await verifier.verify(token));
        } catch (error) {
          failure = error instanceof TokenError ? `${error.message}.` : 'The bearer token is invalid.';
        }
      }
      if (failure) {
        res.setHeader('www-authenticate', token ? 'Bearer error="invalid_token"' : 'Bearer');
        sendProblem(res, 401, failure, requestId);
        finish(401);
        return;
      }
    }

    const event = buildEvent({ req, route, rawPath, rawQueryString, pathParameters, body, requestId, sourceIp, claims, machine, started });
    const feature = route.feature;
    const context = lambdaContext(feature);
    invocation.feature = feature;
    const outcome = await invocations.run(invocation, () => invoke(feature, event, context));
    if (outcome.kind === 'error') {
      if (!options.log) process.stderr.write(`gateway: ${context.functionName} ${outcome.reason} (requestId=${requestId} awsRequestId=${context.awsRequestId})\n`);
      if (outcome.reason === 'timeout') sendJson(res, 503, { message: 'Service Unavailable' });
      else sendJson(res, 500, { message: 'Internal Server Error' });
      finish(res.statusCode, { awsRequestId: context.awsRequestId, error: outcome.reason });
      return;
    }
    const status = writeResult(res, outcome.result);
    finish(status, { awsRequestId: context.awsRequestId });
  }

  async function invoke(feature: FeatureName, event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context): Promise<{ kind: 'ok'; result: unknown } | { kind: 'error'; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const handler = await handlerFor(feature);
      const timeout = new Promise<'timeout'>((done) => { timer = setTimeout(() => done('timeout'), Math.min(timeoutMillis(feature), INTEGRATION_TIMEOUT_MS)); });
      const result = await Promise.race([inInvocationScope(context, () => handler(event, context)), timeout]);
      if (result === 'timeout') return { kind: 'error', reason: 'timeout' };
      return { kind: 'ok', result };
    } catch (error) {
      return { kind: 'error', reason: `threw ${error instanceof Error ? describeError(error) : 'a non-error value'}` };
    } finally {
      clearTimeout(timer);
    }
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Idle keep-alive connections stay open for a minute (Node's default is 5 s). A client that
    // reuses a pooled connection just as the server closes it gets ECONNRESET for a request the
    // server never read — on a loaded machine, where timers fire late, that race is real. Clients
    // read the `Keep-Alive: timeout=` hint and retire their connections before the server does.
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.removeListener('error', reject);
      const { port } = server.address() as AddressInfo;
      const host = options.host && options.host !== '0.0.0.0' && options.host !== '::' ? options.host : '127.0.0.1';
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        server,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

interface EventInput {
  req: IncomingMessage;
  route: RouteDef;
  rawPath: string;
  rawQueryString: string;
  pathParameters: Record<string, string>;
  body: Buffer;
  requestId: string;
  sourceIp: string;
  claims: Record<string, string> | undefined;
  /** The API key authorizer's context (machine API), instead of JWT claims. */
  machine?: Record<string, string>;
  started: number;
}

/** The payload-v2.0 event API Gateway would send for this request. */
export function buildEvent(input: EventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  const { req, route } = input;
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const localPort = req.socket.localPort ?? 0;
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${input.sourceIp}` : input.sourceIp;
  headers['x-forwarded-port'] = String(localPort);
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] ??= `Root=1-${Math.floor(input.started / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

  const queryStringParameters = parseQuery(input.rawQueryString);
  const host = headers.host ?? `localhost:${localPort}`;
  const contentType = headers['content-type'];
  const hasBody = input.body.length > 0;
  const text = hasBody && isTextContent(contentType);

  const event: APIGatewayProxyEventV2WithJWTAuthorizer = {
    version: '2.0',
    routeKey: routeKey(route),
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString,
    headers,
    requestContext: {
      // Replaced below for routes behind the authorizer; public routes carry no authorizer block.
      authorizer: undefined as unknown as APIGatewayProxyEventV2WithJWTAuthorizer['requestContext']['authorizer'],
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0]!.split(':')[0]!,
      http: {
        method: route.method,
        path: input.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: input.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: routeKey(route),
      stage: '$default',
      time: clfTime(new Date(input.started)),
      timeEpoch: input.started,
    },
    isBase64Encoded: hasBody && !text,
  };
  if (cookies.length) event.cookies = cookies;
  if (queryStringParameters) event.queryStringParameters = queryStringParameters;
  if (Object.keys(input.pathParameters).length) event.pathParameters = input.pathParameters;
  if (hasBody) event.body = text ? input.body.toString('utf8') : input.body.toString('base64');
  // Routes without authorization scopes get `scopes: null` (the aws-lambda types say string[]).
  if (input.machine) {
    event.requestContext.authorizer = { lambda: input.machine } as unknown as typeof event.requestContext.authorizer;
  } else if (input.claims) {
    event.requestContext.authorizer = { jwt: { claims: input.claims, scopes: null } } as unknown as typeof event.requestContext.authorizer;
  } else {
    delete (event.requestContext as { authorizer?: unknown }).authorizer;
  }
  return event;
}

/** The payload-v2.0 request-authorizer event API Gateway sends a Lambda authorizer. */
function authorizerEvent(req: IncomingMessage, route: RouteDef, rawPath: string, rawQueryString: string, requestId: string, sourceIp: string, started: number): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: `arn:aws:execute-api:local:${LOCAL_ACCOUNT}:local/$default/${route.method}${route.path}`,
    identitySource: [],
    routeKey: routeKey(route),
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: LOCAL_ACCOUNT, apiId: 'local', requestId, routeKey: routeKey(route), stage: '$default', time: clfTime(new Date(started)), timeEpoch: started,
      http: { method: route.method, path: rawPath, protocol: `HTTP/${req.httpVersion}`, sourceIp, userAgent: headers['user-agent'] ?? '' },
    },
  };
}

/** Duplicate keys are comma-joined, as API Gateway does; `+` and %-escapes are decoded. */
export function parseQuery(rawQueryString: string): Record<string, string> | undefined {
  if (!rawQueryString) return undefined;
  const result: Record<string, string> = {};
  for (const part of rawQueryString.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = safeDecode((eq < 0 ? part : part.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq < 0 ? '' : safeDecode(part.slice(eq + 1).replace(/\+/g, ' '));
    result[name] = result[name] === undefined ? value : `${result[name]},${value}`;
  }
  return Object.keys(result).length ? result : undefined;
}

/** HTTP APIs pass text bodies as strings and base64-encode everything else. */
export function isTextContent(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type.startsWith('text/') || type === 'application/json' || type.endsWith('+json')
    || type === 'application/xml' || type.endsWith('+xml') || type === 'application/javascript';
}

/** Writes a handler's result as API Gateway would; returns the status sent. */
function writeResult(res: ServerResponse, result: unknown): number {
  if (!isStructured(result)) {
    // "If your function returns valid JSON and no statusCode", API Gateway infers a 200 JSON response.
    if (result === undefined) return sendJson(res, 500, { message: 'Internal Server Error' });
    return send(res, 200, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(result)));
  }
  const structured = result as APIGatewayProxyStructuredResultV2 & { multiValueHeaders?: Record<string, unknown[]> };
  const status = Number(structured.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return sendJson(res, 500, { message: 'Internal Server Error' });
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(structured.multiValueHeaders ?? {})) {
    if (Array.isArray(value)) headers[name.toLowerCase()] = value.map(String).join(',');
  }
  for (const [name, value] of Object.entries(structured.headers ?? {})) {
    if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
  }
  if (structured.cookies?.length) headers['set-cookie'] = structured.cookies;
  const body = structured.body === undefined || structured.body === null
    ? Buffer.alloc(0)
    : structured.isBase64Encoded ? Buffer.from(String(structured.body), 'base64') : Buffer.from(String(structured.body), 'utf8');
  return send(res, status, headers, status === 204 || status === 304 ? Buffer.alloc(0) : body);
}

function isStructured(result: unknown): boolean {
  return typeof result === 'object' && result !== null && !Array.isArray(result) && 'statusCode' in result;
}

function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: Buffer): number {
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'content-length' || name === 'transfer-encoding' || name === 'connection') continue;
    res.setHeader(name, value);
  }
  res.setHeader('content-length', String(body.length));
  res.writeHead(status);
  res.end(body);
  return status;
}

function sendJson(res: ServerResponse, status: number, value: unknown): number {
  return send(res, status, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify(value)));
}

/** Problem types and titles as the API's own middleware writes them (functions/http/problem.ts). */
const PROBLEMS: Record<number, { code: string; title: string }> = {
  401: { code: 'unauthorized', title: 'Unauthorized' },
  403: { code: 'forbidden', title: 'Forbidden' },
  404: { code: 'not-found', title: 'Not found' },
  405: { code: 'method-not-allowed', title: 'Method not allowed' },
  413: { code: 'payload-too-large', title: 'Payload too large' },
  429: { code: 'too-many-requests', title: 'Too many requests' },
};

function sendProblem(res: ServerResponse, status: number, detail: string, requestId: string): number {
  const { code, title } = PROBLEMS[status] ?? { code: 'error', title: 'Error' };
  const problem = { type: problemTypeUri(code), title, status, detail, requestId };
  return send(res, status, { 'content-type': 'application/problem+json' }, Buffer.from(JSON.stringify(problem)));
}

/** Reads the body, giving up (without buffering the rest) once it exceeds the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => { if (!done) { done = true; resolve(Buffer.concat(chunks)); } });
    req.on('error', (error) => { if (!done) { done = true; reject(error); } });
  });
}

/** The JWT authorizer takes the Authorization header with or without the `Bearer ` prefix. */
function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const token = header.replace(/^Bearer\s+/i, '').trim();
  return token || undefined;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function normaliseIp(address: string | undefined): string {
  if (!address) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice(7) : address === '::1' ? '127.0.0.1' : address;
}

/** API Gateway request ids look like `JKJaXmPLvHcESHA=`. */
function apiGatewayRequestId(): string {
  return `${randomBytes(10).toString('base64').slice(0, 14)}=`;
}

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
function clfTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** Per-client token buckets, the local analogue of stage throttling (rate + burst). */
class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly config: ThrottleConfig) {}

  take(client: string): boolean {
    const now = Date.now();
    const bucket = this.buckets.get(client) ?? { tokens: this.config.burst, at: now };
    bucket.tokens = Math.min(this.config.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.config.ratePerSecond);
    bucket.at = now;
    this.buckets.set(client, bucket);
    if (this.buckets.size > 10_000) this.prune(now);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private prune(now: number): void {
    for (const [client, bucket] of this.buckets) {
      if (now - bucket.at > 60_000) this.buckets.delete(client);
    }
  }
}
