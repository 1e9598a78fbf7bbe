import { createHash } from 'node:crypto';
import { Window } from 'happy-dom';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../functions/api/openapi';
import { ROUTES } from '../../functions/api/routes';
import { docsPageCsp, docsPageHeaders, docsPageHtml, escapeHtml } from '../../functions/system/docs-page';
import { readFileSync } from 'node:fs';
import { problemTypeUri } from '../../functions/http/problem';
import { PROBLEM_INDEX, problemPageHeaders, problemPageHtml } from '../../functions/system/problem-pages';
import { PROBLEM_TYPES } from '../../functions/system/problem-types';

const html = docsPageHtml({ specUrl: '/v1/openapi.json' });
const inlineScript = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
const inlineStyle = /<style>([\s\S]*)<\/style>/.exec(html)![1]!;

describe('escapeHtml', () => {
  it('escapes markup so it renders as text', () => {
    expect(escapeHtml('<script>alert("x")</script>')).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(escapeHtml(`Tom & Jerry's <b>`)).toBe('Tom &amp; Jerry&#39;s &lt;b&gt;');
    expect(escapeHtml('/v1/openapi.json')).toBe('/v1/openapi.json');
  });
});

describe('docs page HTML', () => {
  it('is self-contained: no external script, stylesheet, font or image', () => {
    expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(inlineStyle).not.toMatch(/@import|@font-face|url\(/i);
    // The one absolute URL is the placeholder the body skeleton puts in `format: uri` fields.
    expect(html.match(/https?:\/\/[^\s'"]*/gi)).toEqual(['https://example.com']);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html.match(/<link[^>]*>/g)).toEqual(['<link rel="icon" href="data:,">']);
  });

  it('references the spec URL, escaped', () => {
    expect(html).toContain('data-spec-url="/v1/openapi.json"');
    const hostile = docsPageHtml({ specUrl: '/x"><script>alert(1)</script>' });
    expect(hostile).toContain('data-spec-url="/x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(hostile.match(/<script/g)).toHaveLength(1);
  });

  it('builds the DOM without HTML parsing in the browser', () => {
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function']) {
      expect(inlineScript, sink).not.toContain(sink);
    }
    expect(inlineScript).not.toMatch(/<\/script/i);
  });

  it('comes with a CSP that allows exactly its own inline script and style', () => {
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
    const csp = docsPageCsp();
    expect(csp).toContain(`script-src ${hash(inlineScript)}`);
    expect(csp).toContain(`style-src ${hash(inlineStyle)}`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe');
    // The hashes do not depend on the spec URL: the URL lives in an attribute, not in the script.
    expect(docsPageHtml({ specUrl: '/elsewhere.json' })).toContain(`<script>${inlineScript}</script>`);
    expect(docsPageHeaders()).toMatchObject({ 'content-security-policy': csp, 'x-content-type-options': 'nosniff' });
  });
});

describe('docs page in a browser', () => {
  const windows: Window[] = [];
  afterEach(async () => {
    for (const w of windows.splice(0)) await w.happyDOM.close();
  });

  interface Reply {
    status: number;
    headers?: Record<string, string>;
    body?: string;
  }
  interface Call {
    url: string;
    method: string;
    headers: Record<string, string>;
    body?: string;
  }

  /** Loads the page with a fake network: the spec from `spec`, API calls answered by `answer`. */
  async function open(spec: unknown, answer: (call: Call) => Reply) {
    const window = new Window({
      url: 'http://localhost:3000/docs',
      settings: { enableJavaScriptEvaluation: true, suppressInsecureJavaScriptEnvironmentWarning: true },
    });
    windows.push(window);
    const calls: Call[] = [];
    (window as unknown as { fetch: unknown }).fetch = async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
      const call = { url: String(url), method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body };
      calls.push(call);
      if (call.url === '/v1/openapi.json') {
        return new window.Response(JSON.stringify(spec), { headers: { 'content-type': 'application/json' } });
      }
      const reply = answer(call);
      return new window.Response(reply.body ?? null, { status: reply.status, headers: reply.headers });
    };
    window.document.write(docsPageHtml({ specUrl: '/v1/openapi.json' }));
    await settle(window);
    return { window, document: window.document, calls };
  }
  async function settle(window: Window) {
    await window.happyDOM.waitUntilComplete();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await window.happyDOM.waitUntilComplete();
  }
  async function go(window: Window, hash: string) {
    window.location.hash = hash;
    await settle(window);
  }
  const button = (root: { querySelectorAll(s: string): Iterable<unknown> }, text: string) =>
    [...(root.querySelectorAll('button') as Iterable<{ textContent: string; click(): void }>)].find((b) => b.textContent === text)!;

  it('lists every operation grouped by tag, with schemas', async () => {
    const spec = buildOpenApi();
    const { document } = await open(spec, () => ({ status: 200 }));
    const nav = document.getElementById('nav')!;
    const links = [...nav.querySelectorAll('a')].map((a) => a.getAttribute('href'));
    for (const item of Object.values(spec.paths)) {
      for (const op of Object.values(item)) expect(links).toContain(`#op/${op.operationId}`);
    }
    // One group per route-table tag, in the order the table first names it, then the schemas.
    expect([...nav.querySelectorAll('h3')].map((h) => h.textContent)).toEqual([...new Set(ROUTES.map((r) => r.tag)), 'Schemas']);
    expect(links).toContain('#schema/Customer');
    expect(document.getElementById('main')!.textContent).toContain('RFC 9457');
  });

  it('shows hostile text from the spec as text, never as markup', async () => {
    const spec = structuredClone(buildOpenApi()) as any;
    const evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>';
    spec.tags[0].name = evil;
    spec.paths['/v1/me'].get.tags = [evil];
    spec.paths['/v1/me'].get.summary = evil;
    spec.paths['/v1/me'].get.description = `**${evil}** \`${evil}\` [${evil}](javascript:alert(1))`;
    spec.paths['/v1/me'].get['x-roles'] = { [evil]: evil };
    spec.components.schemas.Me.properties[evil] = { type: 'string', description: evil };
    const { window, document } = await open(spec, () => ({ status: 200 }));
    await go(window, '#op/me');
    const main = document.getElementById('main')!;
    expect(main.textContent).toContain(evil);
    expect(document.querySelectorAll('img')).toHaveLength(0);
    expect(document.querySelectorAll('script')).toHaveLength(1);
    expect([...document.querySelectorAll('a')].map((a) => a.getAttribute('href')).filter((h) => /javascript:/i.test(h ?? ''))).toEqual([]);
    await go(window, '#schema/Me');
    expect(document.getElementById('main')!.textContent).toContain(evil);
    expect(document.querySelectorAll('img')).toHaveLength(0);
    expect((window as unknown as { pwned?: number }).pwned).toBeUndefined();
  });

  it('sends a request with the token, an Idempotency-Key and the example body, and shows the response', async () => {
    const created = { id: 'cus_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E', name: 'Acme', version: 1 };
    const { window, document, calls } = await open(buildOpenApi(), () => ({
      status: 201,
      headers: { 'content-type': 'application/json', etag: '"1"', location: `/v1/customers/${created.id}` },
      body: JSON.stringify(created),
    }));
    const tokenInput = document.querySelector('#auth input') as unknown as { value: string };
    tokenInput.value = 'Bearer token-123';
    button(document, 'Use token').click();
    expect(window.sessionStorage.getItem('crm.docs.token')).toBe('token-123');

    await go(window, '#op/createCustomer');
    const main = document.getElementById('main')!;
    expect(main.textContent).toContain('Permission customers:create');
    expect(main.textContent).toContain('sales (own)');
    const body = main.querySelector('textarea') as unknown as { value: string };
    // The document's example request, valid against the schema (test/unit/openapi-examples.test.ts).
    const createCustomer = buildOpenApi().paths['/v1/customers']!.post!;
    expect(JSON.parse(body.value)).toEqual((createCustomer.requestBody as any).content['application/json'].example);
    expect(main.textContent).toContain('Example response 201');
    // Problem responses link to the page of each problem type.
    expect([...main.querySelectorAll('a')].map((a) => a.getAttribute('href'))).toContain('/problems/validation-failed');
    body.value = JSON.stringify({ type: 'company', name: 'Acme' });
    button(main, 'Generate').click();
    button(main, 'Send request').click();
    await settle(window);

    const sent = calls.at(-1)!;
    expect(sent.url).toBe('http://localhost:3000/v1/customers');
    expect(sent.method).toBe('POST');
    expect(sent.headers.authorization).toBe('Bearer token-123');
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers['Idempotency-Key']).toMatch(/^[\x21-\x7e]{8,255}$/);
    expect(JSON.parse(sent.body!)).toEqual({ type: 'company', name: 'Acme' });
    const shown = main.textContent!;
    expect(shown).toContain('201');
    expect(shown).toContain('etag');
    expect(main.querySelector('pre')!.textContent).toBe(JSON.stringify(created, null, 2));
  });

  it('fills path parameters and If-Match from the last ETag; public routes get no token', async () => {
    const id = 'cus_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E';
    const { window, document, calls } = await open(buildOpenApi(), (call): Reply =>
      call.method === 'GET'
        ? { status: 200, headers: { 'content-type': 'application/json', etag: '"7"' }, body: JSON.stringify({ id, version: 7 }) }
        : { status: 412, headers: { 'content-type': 'application/problem+json' }, body: JSON.stringify({ status: 412, title: 'Precondition failed' }) },
    );
    window.sessionStorage.setItem('crm.docs.token', 'tok');

    await go(window, '#op/getCustomer');
    let main = document.getElementById('main')!;
    button(main, 'Send request').click();
    await settle(window);
    expect(main.textContent).toContain('Fill in: id');
    (main.querySelector('input') as unknown as { value: string }).value = id;
    button(main, 'Send request').click();
    await settle(window);
    expect(calls.at(-1)!.url).toBe(`http://localhost:3000/v1/customers/${id}`);

    await go(window, '#op/updateCustomer');
    main = document.getElementById('main')!;
    const inputs = [...main.querySelectorAll('input')] as unknown as { value: string }[];
    inputs[0]!.value = id;
    button(main, 'Use last ETag').click();
    expect(inputs[1]!.value).toBe('"7"');
    (main.querySelector('textarea') as unknown as { value: string }).value = '{"name":"New"}';
    button(main, 'Send request').click();
    await settle(window);
    expect(calls.at(-1)).toMatchObject({ method: 'PATCH', headers: { 'If-Match': '"7"', authorization: 'Bearer tok' } });
    expect(main.textContent).toContain('412');

    await go(window, '#op/health');
    main = document.getElementById('main')!;
    button(main, 'Send request').click();
    await settle(window);
    expect(calls.at(-1)!.url).toBe('http://localhost:3000/v1/health');
    expect(calls.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('says so when the spec cannot be loaded', async () => {
    const window = new Window({ url: 'http://localhost:3000/docs', settings: { enableJavaScriptEvaluation: true, suppressInsecureJavaScriptEnvironmentWarning: true } });
    windows.push(window);
    (window as unknown as { fetch: unknown }).fetch = async () => new window.Response('nope', { status: 500 });
    window.document.write(docsPageHtml({ specUrl: '/v1/openapi.json' }));
    await settle(window);
    expect(window.document.getElementById('main')!.textContent).toContain('Could not load the API description from /v1/openapi.json: HTTP 500');
  });
});

describe('problem type pages', () => {
  const source = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

  it('describe every problem type the API and the local gateway answer, with its status and title', () => {
    const answered = new Map<string, { status: number; title?: string }>();
    for (const m of source('functions/http/problem.ts').matchAll(/new HttpError\((\d+), ([^,]+), ([^,]+),/g)) {
      const slugs = [...m[2]!.matchAll(/'([a-z-]+)'/g)].map((s) => s[1]!);
      const titles = [...m[3]!.matchAll(/'([^']+)'/g)].map((s) => s[1]!);
      slugs.forEach((slug, i) => answered.set(slug, { status: Number(m[1]), title: titles[i] }));
    }
    expect(source('functions/http/problem.ts')).toContain("problemTypeUri('internal')");
    answered.set('internal', { status: 500, title: 'Internal error' });
    for (const m of source('local/gateway.ts').matchAll(/(\d{3}): \{ code: '([a-z-]+)', title: '([^']+)' \}/g)) {
      answered.set(m[2]!, { status: Number(m[1]), title: m[3] });
    }
    expect(answered.size).toBeGreaterThanOrEqual(14);
    for (const [slug, { status, title }] of answered) {
      expect(PROBLEM_TYPES[slug as keyof typeof PROBLEM_TYPES], slug).toMatchObject({ status, title });
    }
    expect(Object.keys(PROBLEM_TYPES).sort()).toEqual([...answered.keys()].sort());
  });

  it('render each type as a static page naming its type URI, when it happens and what to do', () => {
    for (const [slug, type] of Object.entries(PROBLEM_TYPES)) {
      const page = problemPageHtml(slug)!;
      expect(page, slug).toContain(`${type.status} ${escapeHtml(type.title)}</h1>`);
      expect(page).toContain(`<code>"type": "${problemTypeUri(slug)}"</code>`);
      expect(page).toContain('<h2>What to do</h2>');
      expect(page).not.toMatch(/<script/i);
      expect(page).toContain('href="/problems/index"');
    }
    const index = problemPageHtml(PROBLEM_INDEX)!;
    for (const slug of Object.keys(PROBLEM_TYPES)) expect(index).toContain(`href="/problems/${slug}"`);
    expect(problemPageHtml('no-such-type')).toBeUndefined();
    expect(problemPageHtml('constructor')).toBeUndefined();
    expect(problemPageHtml('toString')).toBeUndefined();
  });

  it('come with a CSP that allows exactly their inline style and nothing else', () => {
    const page = problemPageHtml('validation-failed')!;
    const style = /<style>([\s\S]*)<\/style>/.exec(page)![1]!;
    const csp = problemPageHeaders()['content-security-policy'];
    expect(csp).toContain(`style-src 'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
  });

  it('are what the OpenAPI document links from every problem response', () => {
    const spec = buildOpenApi();
    const linked = new Set<string>();
    for (const response of Object.values(spec.components.responses)) {
      for (const m of String(response.description).matchAll(/\(\/problems\/([a-z-]+)\)/g)) linked.add(m[1]!);
    }
    for (const slug of linked) expect(problemPageHtml(slug), slug).toBeDefined();
    expect(linked.size).toBeGreaterThanOrEqual(12);
    expect(ROUTES.find((r) => r.path === '/problems/{type}')).toMatchObject({ method: 'GET', permission: 'public', feature: 'system' });
  });
});
