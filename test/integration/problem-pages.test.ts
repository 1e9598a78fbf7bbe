/**
 * Problem `type` URIs lead somewhere: every problem the running API answers carries an absolute
 * `type` URI on the API itself (PROBLEM_BASE_URL, the gateway's `/problems/` locally) that opens
 * the page describing it, and the served OpenAPI document agrees and offers the sign-in scheme.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
beforeAll(async () => {
  crm = await startTestStack();
}, 240_000);
afterAll(async () => {
  await crm?.stop();
});

const slugOf = (type: string) => {
  const base = `${crm.baseUrl}/problems/`;
  expect(type.startsWith(base), type).toBe(true);
  return type.slice(base.length);
};

describe('problem pages', () => {
  it('serve the page each answered problem type names, as static HTML', async () => {
    const answered = [
      await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: '', email: 'not-an-email' } }),
      await crm.request('GET', '/v1/customers/cus_00000000000000000000000000', { role: 'admin' }),
      await crm.request('PATCH', '/v1/customers/cus_00000000000000000000000000', { role: 'marketing', body: { name: 'x' } }),
      await crm.request('GET', '/v1/customers', { token: null }),
    ];
    expect(answered.map((r) => r.status)).toEqual([400, 404, 403, 401]);
    for (const problem of answered) {
      slugOf(problem.body.type);
      // The `type` URI itself, as a browser or client would open it.
      const page = await fetch(problem.body.type);
      const text = await page.text();
      expect(page.status, problem.body.type).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(text).toContain(`${problem.status} ${problem.body.title.replace(/'/g, '&#39;')}</h1>`);
      expect(text).toContain(`<code>"type": "${problem.body.type}"</code>`);
    }
    const index = await crm.request('GET', '/problems/index');
    expect(index.status).toBe(200);
    expect(index.text).toContain('href="/problems/precondition-failed"');
  });

  it('answer 404 problem+json for a type that does not exist', async () => {
    for (const slug of ['no-such-problem', 'constructor', 'UPPER', '%2e%2e']) {
      const res = await crm.request('GET', `/problems/${slug}`);
      expect(res.status, slug).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(slugOf(res.body.type)).toBe('not-found');
    }
  });

  it('are linked from the served OpenAPI document, which also offers the OAuth 2.0 sign-in', async () => {
    const res = await crm.request('GET', '/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.components.securitySchemes.cognito.flows.authorizationCode).toMatchObject({
      authorizationUrl: `${crm.baseUrl}/oauth2/authorize`,
      tokenUrl: `${crm.baseUrl}/oauth2/token`,
    });
    expect(res.body.components.responses.NotFound.description).toContain('(/problems/not-found)');
    // Examples name the same `type` URIs the API answers with.
    const types = Object.values(res.body.components.responses as Record<string, any>)
      .map((r) => r.content?.['application/problem+json']?.example?.type).filter(Boolean) as string[];
    expect(types.length).toBeGreaterThan(5);
    for (const type of types) slugOf(type);
    expect(res.text).not.toContain('crm.example/problems');
    expect(res.body.paths['/problems/{type}'].get.responses['200'].content['text/html']).toBeDefined();
  });
});
