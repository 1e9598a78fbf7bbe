/** System feature: health (public), the API description and problem pages (public) and the caller (me). */
import { readFile } from 'node:fs/promises';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { SCHEDULES, rateMillis } from '../api/schedules';
import { createHttpHandler, ok } from '../http/chain';
import { routes } from './routes';
import { NotFound, ServiceUnavailable } from '../http/problem';
import { ACTIONS, PERMISSIONS } from '../security/permissions';
import { docsPageHeaders, docsPageHtml } from './docs-page';
import { problemPageHeaders, problemPageHtml, withProblemBase } from './problem-pages';
import { authOrigin, docsSignIn, withAuthOrigin } from './sign-in';

/**
 * The OpenAPI document, rendered at build time (functions/api/openapi.ts, renderOpenApiJson) and
 * shipped next to the bundle (FEATURES.system.files): the function carries no schema and no
 * builder, so health and me start as fast as the baseline. Read on the first request for it.
 */
const OPENAPI_FILE = new URL('./openapi.json', import.meta.url);
let openApiJson: Promise<string> | undefined;

const heartbeatInterval = rateMillis(SCHEDULES.find((s) => s.name === 'heartbeat')?.expression ?? '') ?? 300_000;


export const handler = createHttpHandler('system', routes, {
  health: async ({ now }) => {
    const checks: Record<string, { status: 'ok' | 'failing'; detail?: string }> = {};
    try {
      const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: keys.system.heartbeat() }));
      checks.database = { status: 'ok' };
      const lastRun = out.Item?.lastRunAt as string | undefined;
      // Missing heartbeats mean the scheduler is stalled: reminders and exports would be late.
      const stale = lastRun !== undefined && now.getTime() - Date.parse(lastRun) > 3 * heartbeatInterval;
      checks.scheduler = lastRun === undefined
        ? { status: 'ok', detail: 'no run recorded yet' }
        : stale ? { status: 'failing', detail: `last run ${lastRun}` } : { status: 'ok', detail: `last run ${lastRun}` };
    } catch {
      throw ServiceUnavailable('The database is not reachable');
    }
    const degraded = Object.values(checks).some((c) => c.status === 'failing');
    return ok({ status: degraded ? 'degraded' : 'ok', checks, stage: config().stage, time: now.toISOString() }, { 'cache-control': 'no-store' });
  },
  // No server URL from request headers: `/` resolves against wherever the document was fetched,
  // and a Host header cannot poison a cached copy.
  // The sign-in endpoints become the stage's user pool domain (AUTH_DOMAIN_URL; functions/system/sign-in.ts)
  // and problem `type` URIs this API's pages (PROBLEM_BASE_URL; functions/http/problem.ts).
  openapi: async () => {
    openApiJson ??= readFile(OPENAPI_FILE, 'utf8').then((json) => withProblemBase(withAuthOrigin(json, authOrigin())));
    openApiJson.catch(() => { openApiJson = undefined; });
    return { status: 200, contentType: 'application/json', body: await openApiJson, headers: { 'cache-control': 'public, max-age=300' } };
  },
  docs: async () => {
    const signIn = docsSignIn();
    return {
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body: docsPageHtml({ specUrl: '/v1/openapi.json', clientId: signIn?.clientId }),
      headers: docsPageHeaders({ authOrigin: signIn?.origin }),
    };
  },
  problemType: async ({ params }) => {
    const body = problemPageHtml(params.type);
    if (body === undefined) throw NotFound(`No problem type ${params.type}; see /problems/index`);
    return { status: 200, contentType: 'text/html; charset=utf-8', body, headers: problemPageHeaders() };
  },
  me: async ({ principal }) => {
    const permissions: Record<string, 'all' | 'own'> = {};
    for (const action of Object.keys(ACTIONS) as (keyof typeof ACTIONS)[]) {
      const scope = PERMISSIONS[principal.role][action];
      if (scope) permissions[action] = scope;
    }
    return ok({ userId: principal.userId, email: principal.email, role: principal.role, groups: principal.groups, permissions });
  },
});
