/**
 * Links in emails resolve locally: `npm start` sets `appBaseUrl` to its own gateway, which serves
 * `GET /<collection>/<id>` with a page that reads the record through the API (local/app-page.ts).
 * The link under test is the one a reminder email carries (functions/tasks/reminder-message.ts);
 * the README walk-through test follows the same link out of the local SES inbox end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { reminderMessage } from '../../functions/tasks/reminder-message';
import { appPageFor } from '../../local/app-page';
import { createGateway, type Gateway } from '../../local/gateway';
import { localIssuer, type LocalIssuer } from '../../local/jwt';
import { ROUTES } from '../../functions/api/routes';

/** Stands in for every feature: answers with the path it was asked for. */
async function echoHandler(event: APIGatewayProxyEventV2WithJWTAuthorizer) {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routeKey: event.routeKey, path: event.rawPath }) };
}

let issuer: LocalIssuer;
let withPages: Gateway;
let plain: Gateway;

beforeAll(async () => {
  issuer = await localIssuer();
  withPages = await createGateway({ verifier: issuer.verifier, throttle: false, appPages: true, handlerFor: async () => echoHandler as never });
  plain = await createGateway({ verifier: issuer.verifier, throttle: false, handlerFor: async () => echoHandler as never });
});

afterAll(async () => {
  await withPages?.close();
  await plain?.close();
});

describe('pages behind links in emails', () => {
  it("a reminder email's task link answers 200 with a page that reads the task through the API", async () => {
    const message = reminderMessage({ id: 'tsk_01TESTTASK', title: 'Send the offer', dueAt: '2026-12-01T09:00:00.000Z', priority: 'normal' }, 'UTC', withPages.url);
    expect(message.link).toBe(`${withPages.url}/tasks/tsk_01TESTTASK`);
    const response = await fetch(message.link);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('data-api-path="/v1/tasks/tsk_01TESTTASK"');
    expect(html).toContain('href="/docs#op/getTask"');
    expect(html).toContain('npm run --silent token');

    // What the page's script then does: the API route with the viewer's token.
    const token = await issuer.signToken({ sub: 'rep-1', email: 'rep-1@example.com', groups: ['sales'] });
    const api = await fetch(`${withPages.url}/v1/tasks/tsk_01TESTTASK`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);
    expect(await api.json()).toEqual({ routeKey: 'GET /v1/tasks/{id}', path: '/v1/tasks/tsk_01TESTTASK' });
  });

  it('every record with a GET /v1/<collection>/{id} route has a page; nothing else does', async () => {
    for (const [path, operation] of [['/customers/cus_1', 'getCustomer'], ['/quotes/quo_1', 'getQuote'], ['/deals/deal_1', 'getDeal']] as const) {
      const page = appPageFor(path, ROUTES);
      expect(page?.operationId, path).toBe(operation);
      expect((await fetch(`${withPages.url}${path}`)).status, path).toBe(200);
    }
    expect(appPageFor('/nothing/x', ROUTES)).toBeUndefined();
    expect(appPageFor('/tasks/a/b', ROUTES)).toBeUndefined();
    expect((await fetch(`${withPages.url}/nothing/x`)).status).toBe(404);
    // The API itself is unchanged: its routes still need a token.
    expect((await fetch(`${withPages.url}/v1/tasks/tsk_1`)).status).toBe(401);
    // Ids are escaped into the page, never interpreted.
    expect(appPageFor('/tasks/<script>', ROUTES)).toBeUndefined();
  });

  it('is off unless asked for: API Gateway has no such pages', async () => {
    expect((await fetch(`${plain.url}/tasks/tsk_01TESTTASK`)).status).toBe(404);
  });
});
