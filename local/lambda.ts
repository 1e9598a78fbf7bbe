/**
 * Loads feature handler modules the way Lambda does (one module instance per function, loaded on
 * first invocation, reused afterwards) and builds Lambda-like invocation contexts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { FEATURES, type FeatureDef, type FeatureName } from '../functions/api/features';
import { LOCAL_REGION } from './env';
import { enforceFeatureGrants, runAsFeature } from './iam';
import { withinInvocation } from './logs';
import { REPO_ROOT } from './paths';

/** Each feature has its own event type (HTTP, stream, schedule); the callers know which. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler = (event: any, context: Context) => Promise<unknown>;

const LOCAL_ACCOUNT = '000000000000';
const DEFAULT_TIMEOUT_SECONDS = 30;
const DEFAULT_MEMORY_MB = 1024;

const loaded = new Map<FeatureName, Promise<AnyHandler>>();

/** A handler module as the runtime sees it before checking it (loadHandler). */
type HandlerModule = { handler?: unknown };

/**
 * Every feature's entry module (FEATURES[feature].entry), imported by a literal path. Literal
 * imports let a bundler follow them: the README walk-throughs' test runs `npm run job` and the
 * other local scripts as prebuilt esbuild bundles (test/support/script-bundles.ts), in which a
 * computed `import(path)` would be left to Node, which cannot load TypeScript. The compiler
 * checks that every entry has its row; a missing one still loads (by its path) under tsx.
 */
const HANDLER_MODULES = {
  'functions/system/handler.ts': () => import('../functions/system/handler'),
  'functions/customers/handler.ts': () => import('../functions/customers/handler'),
  'functions/tasks/handler.ts': () => import('../functions/tasks/handler'),
  'functions/notifications/handler.ts': () => import('../functions/notifications/handler'),
  'functions/activities/handler.ts': () => import('../functions/activities/handler'),
  'functions/assets/handler.ts': () => import('../functions/assets/handler'),
  'functions/settings/handler.ts': () => import('../functions/settings/handler'),
  'functions/leads/handler.ts': () => import('../functions/leads/handler'),
  'functions/territories/handler.ts': () => import('../functions/territories/handler'),
  'functions/products/handler.ts': () => import('../functions/products/handler'),
  'functions/quotes/handler.ts': () => import('../functions/quotes/handler'),
  'functions/commissions/handler.ts': () => import('../functions/commissions/handler'),
  'functions/pipelines/handler.ts': () => import('../functions/pipelines/handler'),
  'functions/deals/handler.ts': () => import('../functions/deals/handler'),
  'functions/forecast/handler.ts': () => import('../functions/forecast/handler'),
  'functions/webhooks/handler.ts': () => import('../functions/webhooks/handler'),
  'functions/webhooks/deliverer.ts': () => import('../functions/webhooks/deliverer'),
  'functions/apikeys/handler.ts': () => import('../functions/apikeys/handler'),
  'functions/apikeys/authorizer.ts': () => import('../functions/apikeys/authorizer'),
  'functions/dashboard/handler.ts': () => import('../functions/dashboard/handler'),
  'functions/exports/handler.ts': () => import('../functions/exports/handler'),
  'functions/exports/worker.ts': () => import('../functions/exports/worker'),
  'functions/imports/handler.ts': () => import('../functions/imports/handler'),
  'functions/imports/worker.ts': () => import('../functions/imports/worker'),
  'functions/contracts/handler.ts': () => import('../functions/contracts/handler'),
  'functions/kb/handler.ts': () => import('../functions/kb/handler'),
  'functions/tickets/handler.ts': () => import('../functions/tickets/handler'),
  'functions/portal/handler.ts': () => import('../functions/portal/handler'),
  'functions/tickets/inbound-handler.ts': () => import('../functions/tickets/inbound-handler'),
  'functions/service-desk/handler.ts': () => import('../functions/service-desk/handler'),
  'functions/marketing/handler.ts': () => import('../functions/marketing/handler'),
  'functions/marketing/ses-events.ts': () => import('../functions/marketing/ses-events'),
  'functions/signup/handler.ts': () => import('../functions/signup/handler'),
  'functions/marketing/sms-inbound.ts': () => import('../functions/marketing/sms-inbound'),
  'functions/events/publisher.ts': () => import('../functions/events/publisher'),
  'functions/customfields/handler.ts': () => import('../functions/customfields/handler'),
  'functions/merge/handler.ts': () => import('../functions/merge/handler'),
  'functions/jobs/handler.ts': () => import('../functions/jobs/handler'),
  'functions/auth/pre-token.ts': () => import('../functions/auth/pre-token'),
  'functions/auth/portal-pre-token.ts': () => import('../functions/auth/portal-pre-token'),
} satisfies Record<(typeof FEATURES)[FeatureName]['entry'], () => Promise<HandlerModule>>;

type InvocationValues = Record<string | symbol, unknown>;

/**
 * The runtime's invocation store, as Lambda installs it where one environment serves invocations
 * concurrently (`AWS_LAMBDA_MAX_CONCURRENCY`): values scoped to the invocation running now. Locally
 * every request of every function runs concurrently in this one process, while each handler module
 * — and the Powertools logger it holds (functions/http/chain.ts) — is loaded once. Powertools keeps
 * a logger's appended keys, its Lambda context and its log level in this store when it exists and
 * the variable is set, so one request's log lines never carry another's ids (or lose their own
 * when another request resets its keys). In AWS each container runs one request at a time and
 * none of this is needed.
 */
class LocalInvokeStore extends InvokeStoreBase {
  private readonly als = new AsyncLocalStorage<InvocationValues>();
  getContext(): InvocationValues | undefined { return this.als.getStore(); }
  hasContext(): boolean { return this.als.getStore() !== undefined; }
  get<T = unknown>(key: string | symbol): T | undefined { return this.als.getStore()?.[key] as T | undefined; }
  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const values = this.als.getStore();
    if (!values) throw new Error('No invocation is running');
    values[key] = value;
  }
  run<T>(values: InvocationValues, fn: () => T): T { return this.als.run(values, fn); }
}

/**
 * Installed when this module loads — before any handler module, and replacing a store the AWS SDK
 * may have created for itself (one that keeps a single invocation, as a one-at-a-time Lambda does).
 */
const invokeStore = new LocalInvokeStore();
process.env.AWS_LAMBDA_MAX_CONCURRENCY ??= '1000';
const lambdaGlobals = globalThis as { awslambda?: { InvokeStore?: InvokeStoreBase } };
(lambdaGlobals.awslambda ??= {}).InvokeStore = invokeStore;

/**
 * Runs `work` as the invocation `context` names, in its own invocation store scope. Inside that
 * invocation already (the gateway's scope, then the loaded handler's), it runs in the same scope.
 */
export function inInvocationScope<T>(context: Pick<Context, 'awsRequestId'>, work: () => Promise<T>): Promise<T> {
  if (invokeStore.hasContext() && invokeStore.getRequestId() === context.awsRequestId) return work();
  return invokeStore.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId }, work);
}

/** The feature's `handler` export; the module is imported once (the "cold start") and cached. */
export function loadHandler(feature: FeatureName): Promise<AnyHandler> {
  let pending = loaded.get(feature);
  if (!pending) {
    const entry = FEATURES[feature].entry;
    // As its Lambda role would in AWS, the feature's grants bound what its code may send to the
    // table: every invocation runs as the feature, and local/iam.ts refuses anything else.
    enforceFeatureGrants();
    const importEntry: () => Promise<HandlerModule> = HANDLER_MODULES[entry] ?? (() => import(pathToFileURL(resolve(REPO_ROOT, entry)).href));
    pending = importEntry().then((module) => {
      if (typeof module.handler !== 'function') throw new Error(`${entry} does not export a handler function`);
      const handler = module.handler as AnyHandler;
      // What the handler logs is attributed to this invocation (local/logs.ts); the gateway
      // opens its own, so the request line can carry the handler's DynamoDB usage and errors.
      // Each call in its own invocation store scope: what it logs carries its own keys.
      return (event, context) => withinInvocation(feature, () => inInvocationScope(context, () => runAsFeature(feature, () => handler(event, context))));
    });
    // Not cached here when loading fails, so a later call reports the error again instead of a
    // stale rejection. (Node caches a failed ES module itself: fixing it needs a restart.)
    pending.catch(() => loaded.delete(feature));
    loaded.set(feature, pending);
  }
  return pending;
}

export function functionName(feature: FeatureName): string {
  return `crm-local-${feature}`;
}

export function timeoutMillis(feature: FeatureName): number {
  const def: FeatureDef = FEATURES[feature];
  return (def.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
}

/** A context with the fields handlers and Powertools read; the deadline starts now. */
export function lambdaContext(feature: FeatureName, awsRequestId: string = randomUUID()): Context {
  const def: FeatureDef = FEATURES[feature];
  const name = functionName(feature);
  const deadline = Date.now() + timeoutMillis(feature);
  const unsupported = () => { throw new Error('Callback-style completion is not supported; return a promise'); };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`,
    memoryLimitInMB: String(def.memoryMb ?? DEFAULT_MEMORY_MB),
    awsRequestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

export { LOCAL_ACCOUNT };
