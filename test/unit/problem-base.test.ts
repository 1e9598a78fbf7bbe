/**
 * Where problem `type` URIs point (PROBLEM_BASE_URL) and what the system function substitutes
 * into the served OpenAPI document and the docs page from its environment.
 */
import { describe, expect, it } from 'vitest';
import { PROBLEM_BASE_PLACEHOLDER, problemBase, problemTypeUri, toProblemResponse, NotFound } from '../../functions/http/problem';
import { renderOpenApiJson } from '../../functions/api/openapi';
import { withProblemBase } from '../../functions/system/problem-pages';
import { docsSignIn } from '../../functions/system/sign-in';

describe('problem type URIs', () => {
  it('use PROBLEM_BASE_URL, with the trailing slash it needs', () => {
    expect(problemBase({ PROBLEM_BASE_URL: 'https://api.example.com/problems/' })).toBe('https://api.example.com/problems/');
    expect(problemBase({ PROBLEM_BASE_URL: 'http://localhost:3000/problems' })).toBe('http://localhost:3000/problems/');
    expect(problemTypeUri('not-found', { PROBLEM_BASE_URL: 'https://api.example.com/problems/' })).toBe('https://api.example.com/problems/not-found');
  });

  it('fall back to the relative /problems/ (RFC 9457: resolved against the request URI) when unset or not an http(s) URL', () => {
    for (const value of [undefined, '', 'javascript:alert(1)', 'ftp://x/problems/', 'https://a b/problems/']) {
      expect(problemBase({ PROBLEM_BASE_URL: value }), String(value)).toBe('/problems/');
    }
  });

  it('are what a problem response carries', () => {
    const previous = process.env.PROBLEM_BASE_URL;
    process.env.PROBLEM_BASE_URL = 'https://api.example.com/problems/';
    try {
      expect(JSON.parse(toProblemResponse(NotFound(), 'req-1').body).type).toBe('https://api.example.com/problems/not-found');
      expect(JSON.parse(toProblemResponse(new Error('boom'), 'req-1').body).type).toBe('https://api.example.com/problems/internal');
    } finally {
      if (previous === undefined) delete process.env.PROBLEM_BASE_URL;
      else process.env.PROBLEM_BASE_URL = previous;
    }
  });

  it('replace the placeholder in the served OpenAPI document', () => {
    const rendered = renderOpenApiJson();
    expect(rendered).toContain(`"${PROBLEM_BASE_PLACEHOLDER}not-found"`);
    const served = withProblemBase(rendered, 'https://api.example.com/problems/');
    expect(served).not.toContain(PROBLEM_BASE_PLACEHOLDER);
    expect(served).toContain('"https://api.example.com/problems/not-found"');
  });
});

describe('docs page sign-in settings', () => {
  it('need both the domain and a well-formed client id', () => {
    expect(docsSignIn({ AUTH_DOMAIN_URL: 'https://crm-dev-1.auth.eu-west-1.amazoncognito.com', DOCS_CLIENT_ID: '1a2b3c4d5e6f7g8h9i0jklmnop' }))
      .toEqual({ origin: 'https://crm-dev-1.auth.eu-west-1.amazoncognito.com', clientId: '1a2b3c4d5e6f7g8h9i0jklmnop' });
    expect(docsSignIn({ AUTH_DOMAIN_URL: 'https://crm-dev-1.auth.eu-west-1.amazoncognito.com' })).toBeUndefined();
    expect(docsSignIn({ DOCS_CLIENT_ID: 'abc' })).toBeUndefined();
    expect(docsSignIn({ AUTH_DOMAIN_URL: 'https://x.example', DOCS_CLIENT_ID: '"><script>' })).toBeUndefined();
    expect(docsSignIn({ AUTH_DOMAIN_URL: "https://x.example; script-src 'unsafe-inline'", DOCS_CLIENT_ID: 'abc' })).toBeUndefined();
  });
});
