/**
 * Knowledge base against DynamoDB Local: title-prefix search by category and status (one Query per
 * page), a version item per write, drafts hidden from published-only readers, and Markdown that
 * cannot carry script into a reader's browser.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const run = `r${process.pid}x${Date.now().toString(36)}`;

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

async function article(body: Record<string, unknown>) {
  const res = await crm.request('POST', '/v1/kb/articles', { role: 'service', body: { body: 'Text', category: `cat-${run}`, ...body } });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

describe('knowledge base', () => {
  it('finds articles by title prefix within a category and status, one Query per page', async () => {
    const cat = `cat-${run}`;
    const boiler = await article({ title: 'Boiler: resetting the pressure', status: 'published', tags: ['boiler'] });
    await article({ title: 'Bõiler noises explained', status: 'published' });
    const draft = await article({ title: 'Boiler warranty (draft)' });
    await article({ title: 'Boiler elsewhere', category: `other-${run}`, status: 'published' });
    await article({ title: 'Washing machine drains slowly', status: 'published' });

    const res = await crm.request('GET', `/v1/kb/articles?q=boiler&category=${cat}&limit=2`, { role: 'marketing' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-db-requests')).toBe('1');
    expect(res.body.items).toHaveLength(2);
    expect(res.body.items[0]).not.toHaveProperty('body');
    const rest = await crm.request('GET', `/v1/kb/articles?q=boiler&category=${cat}&limit=2&cursor=${encodeURIComponent(res.body.nextCursor)}`, { role: 'marketing' });
    expect(rest.headers.get('x-db-requests')).toBe('1');
    const titles = [...res.body.items, ...rest.body.items].map((a: any) => a.title);
    // Accent- and case-insensitive, sorted by the search form of the title; other categories left out.
    expect(titles).toEqual(['Bõiler noises explained', 'Boiler: resetting the pressure', 'Boiler warranty (draft)']);

    const published = await crm.request('GET', `/v1/kb/articles?q=BOIL&category=${cat}&status=published`, { role: 'analyst' });
    expect(published.body.items.map((a: any) => a.id)).not.toContain(draft.id);
    expect(published.body.items.map((a: any) => a.id)).toContain(boiler.id);
    expect(published.headers.get('x-db-requests')).toBe('1');
    const drafts = await crm.request('GET', `/v1/kb/articles?status=draft&category=${cat}`, { role: 'service' });
    expect(drafts.body.items.map((a: any) => a.id)).toEqual([draft.id]);
  });

  it('keeps every version and shows the newest first', async () => {
    const a = await article({ title: `Versioned ${run}`, body: 'First' });
    const v2 = await crm.request('PATCH', `/v1/kb/articles/${a.id}`, { role: 'manager', body: { body: 'Second', status: 'published' } });
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ version: 2, status: 'published', body: 'Second', authorId: a.authorId });
    expect(v2.body.publishedAt).toBeDefined();
    const same = await crm.request('PATCH', `/v1/kb/articles/${a.id}`, { role: 'manager', body: { body: 'Second' } });
    expect(same.body.version).toBe(2);
    const stale = await crm.request('PATCH', `/v1/kb/articles/${a.id}`, { role: 'service', body: { title: 'x' }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    await crm.request('PATCH', `/v1/kb/articles/${a.id}`, { role: 'service', body: { title: `Versioned ${run} (edited)` } });

    const versions = await crm.request('GET', `/v1/kb/articles/${a.id}/versions?limit=2`, { role: 'analyst' });
    expect(versions.status).toBe(200);
    expect(versions.body.items.map((v: any) => [v.version, v.body, v.status])).toEqual([[3, 'Second', 'published'], [2, 'Second', 'published']]);
    const older = await crm.request('GET', `/v1/kb/articles/${a.id}/versions?limit=2&cursor=${encodeURIComponent(versions.body.nextCursor)}`, { role: 'analyst' });
    expect(older.body.items.map((v: any) => [v.version, v.body, v.status, v.title])).toEqual([[1, 'First', 'draft', `Versioned ${run}`]]);
    expect(older.body.nextCursor).toBeNull();
  });

  it('answers published-only readers (kb:read scope own) with published articles only', async () => {
    const { getArticle, listArticles, listVersions } = await import('../../functions/kb/service');
    const draft = await article({ title: `Portal draft ${run}` });
    const live = await article({ title: `Portal live ${run}`, status: 'published' });
    await expect(getArticle('own', draft.id)).rejects.toMatchObject({ status: 404 });
    expect((await getArticle('own', live.id)).id).toBe(live.id);
    await expect(listVersions('own', live.id, {})).rejects.toMatchObject({ status: 404 });
    const listed = await listArticles('own', { q: 'portal', category: `cat-${run}`, status: 'draft' });
    expect(listed.items.map((a) => a.id)).toEqual([live.id]);
  });

  it('renders Markdown with every script vector neutralised', async () => {
    const body = [
      '# Reset <b>now</b>',
      '',
      'Press **reset** for *five* seconds, see `manual<1>`.',
      '',
      '<script>alert(1)</script>',
      '<img src=x onerror="alert(2)">',
      '<a href="javascript:alert(3)">click</a>',
      '[bad](javascript:alert%284%29) [bad2](JAVASCRIPT:alert%285%29) [bad3](data:text/html;base64,PHNjcmlwdD4=) [bad4](vbscript:msgbox)',
      '[quote" onmouseover="alert(6)](https://example.com/a?b=1&c="2")',
      '[good](https://example.com/help) [rel](/v1/kb/articles) [mail](mailto:help@example.com)',
      '',
      '```',
      '</code></pre><script>alert(7)</script>',
      '```',
    ].join('\n');
    const a = await article({ title: `Markdown ${run}`, body });
    const read = await crm.request('GET', `/v1/kb/articles/${a.id}`, { role: 'marketing' });
    expect(read.headers.get('x-db-requests')).toBe('1'); // the article and its body in one Query
    expect(read.body.body).toBe(body);
    const html: string = read.body.bodyHtml;
    expect(html).toContain('<h1>Reset &lt;b&gt;now&lt;/b&gt;</h1>');
    expect(html).toContain('<strong>reset</strong>');
    expect(html).toContain('<em>five</em>');
    expect(html).toContain('<code>manual&lt;1&gt;</code>');
    expect(html).toContain('<a href="https://example.com/help" rel="noopener noreferrer nofollow">good</a>');
    expect(html).toContain('<a href="/v1/kb/articles"');
    expect(html).toContain('<a href="mailto:help@example.com"');
    // Nothing executable: no script element, no event handler attribute, no script URL in an href.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<[^>]*\son\w+\s*=/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    expect(hrefs.every((h) => /^(https:|mailto:|\/)/.test(h))).toBe(true);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Only the tags the renderer emits appear.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/g)].map((m) => m[1]));
    for (const tag of tags) expect(['h1', 'p', 'strong', 'em', 'code', 'a', 'pre']).toContain(tag);
  });
});
