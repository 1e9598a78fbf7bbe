/**
 * The knowledge base's Markdown renderer (functions/kb/markdown.ts, markdown-it with `html: false`
 * and a link allow-list): what becomes markup, and that nothing a writer types can become a
 * script, an event handler, a script URL or a `data:` source.
 */
import { describe, expect, it } from 'vitest';
import { isAllowedUrl, loadMarkdown } from '../../functions/kb/markdown';

// Loaded on first use in the function (cold start); here once for the file.
const renderMarkdown = await loadMarkdown();

const REL = 'rel="noopener noreferrer nofollow"';

const TAGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'strong', 'em', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a', 'img', 'table', 'thead', 'tbody', 'tr', 'th', 'td']);
const ATTRIBUTES = new Set(['href', 'src', 'alt', 'title', 'rel', 'class', 'start', 'style']);

/**
 * Nothing executable: every tag is one the renderer makes, every attribute is double-quoted (so an
 * `onerror=` inside a value stays inside it) and from a fixed set, every URL is http(s), mailto or
 * relative, and the only style is a table cell's alignment.
 */
function expectInert(html: string) {
  for (const [tag, name, attributes] of html.matchAll(/<\/?([a-z0-9]+)([^>]*)>/gi)) {
    expect(TAGS, tag).toContain(name!.toLowerCase());
    const parsed = [...attributes!.matchAll(/\s+([a-z-]+)="([^"]*)"/gi)];
    expect(parsed.map((m) => m[0]).join(''), tag).toBe(attributes);
    for (const [, attribute, value] of parsed) {
      expect(ATTRIBUTES, tag).toContain(attribute);
      if (attribute === 'href' || attribute === 'src') expect(isAllowedUrl(value!), tag).toBe(true);
      if (attribute === 'style') expect(value, tag).toMatch(/^text-align:(left|right|center)$/);
    }
  }
  expect(html).not.toMatch(/(?:href|src)="\s*(?:javascript|vbscript|data|file):/i);
}

describe('isAllowedUrl', () => {
  it.each(['https://example.com/a?b=1', 'HTTP://example.com', 'mailto:help@example.com', '/v1/kb/articles', '#top', 'page.html?x=a:b', '//cdn.example.com/a.png'])(
    'allows %s',
    (url) => expect(isAllowedUrl(url)).toBe(true),
  );

  it.each(['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', ' javascript:alert(1)', 'data:text/html,x', 'data:image/png;base64,AAA', 'vbscript:msgbox', 'file:///etc/passwd', 'tel:123', '%6Aavascript:alert(1)', 'java\u0000script:x', ''])(
    'refuses %j',
    (url) => expect(isAllowedUrl(url)).toBe(false),
  );
});

describe('renderMarkdown structure', () => {
  it('renders headings, emphasis, code, lists, quotes, rules and fences', () => {
    expect(renderMarkdown('## Title\n\nA **b** *c* `d` ~~e~~\nnext line\n\n- one\n- two\n  - nested\n\n3. three\n\n> quoted\n\n---\n\n```\nx < y\n```')).toBe([
      '<h2>Title</h2>',
      '<p>A <strong>b</strong> <em>c</em> <code>d</code> <s>e</s>\nnext line</p>',
      '<ul>\n<li>one</li>\n<li>two\n<ul>\n<li>nested</li>\n</ul>\n</li>\n</ul>',
      '<ol start="3">\n<li>three</li>\n</ol>',
      '<blockquote>\n<p>quoted</p>\n</blockquote>',
      '<hr>',
      '<pre><code>x &lt; y\n</code></pre>',
      '',
    ].join('\n'));
    expect(renderMarkdown('\\*not em\\*')).toBe('<p>*not em*</p>\n');
  });

  it('renders GitHub tables with their alignment', () => {
    expect(renderMarkdown('| a | b |\n|:-|-:|\n| `1` | **2** |')).toBe(
      '<table>\n<thead>\n<tr>\n<th style="text-align:left">a</th>\n<th style="text-align:right">b</th>\n</tr>\n</thead>\n' +
        '<tbody>\n<tr>\n<td style="text-align:left"><code>1</code></td>\n<td style="text-align:right"><strong>2</strong></td>\n</tr>\n</tbody>\n</table>\n',
    );
  });

  it('links allowed URLs with rel="noopener noreferrer nofollow" and escapes them', () => {
    expect(renderMarkdown('[help](https://example.com/?a=1&b=2)')).toBe(`<p><a href="https://example.com/?a=1&amp;b=2" ${REL}>help</a></p>\n`);
    expect(renderMarkdown('[rel](/v1/kb/articles#top "Top")')).toBe(`<p><a href="/v1/kb/articles#top" title="Top" ${REL}>rel</a></p>\n`);
    expect(renderMarkdown('<https://example.com/a> <help@example.com>')).toBe(
      `<p><a href="https://example.com/a" ${REL}>https://example.com/a</a> <a href="mailto:help@example.com" ${REL}>help@example.com</a></p>\n`,
    );
    expect(renderMarkdown('[x][r]\n\n[r]: https://example.com/ref')).toBe(`<p><a href="https://example.com/ref" ${REL}>x</a></p>\n`);
    expect(renderMarkdown('![diagram](https://example.com/a.png)')).toBe('<p><img src="https://example.com/a.png" alt="diagram"></p>\n');
  });

  it('leaves bare URLs as prose (linkify off)', () => {
    expect(renderMarkdown('see www.example.com or https://example.com')).toBe('<p>see www.example.com or https://example.com</p>\n');
  });
});

describe('renderMarkdown against script injection', () => {
  it.each([
    ['a script element', '<script>alert(1)</script>', '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n'],
    ['an event handler on raw HTML', '<img src=x onerror=alert(1)>', '<p>&lt;img src=x onerror=alert(1)&gt;</p>\n'],
    ['a raw HTML block', '<div onclick="x">\nhi\n</div>', '<p>&lt;div onclick=&quot;x&quot;&gt;\nhi\n&lt;/div&gt;</p>\n'],
    ['raw HTML inside emphasis', '**<b onclick="x">**', '<p><strong>&lt;b onclick=&quot;x&quot;&gt;</strong></p>\n'],
    ['a raw HTML link', '<a href="javascript:alert(1)">x</a>', '<p>&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;</p>\n'],
  ])('shows %s as text', (_what, source, html) => {
    expect(renderMarkdown(source)).toBe(html);
  });

  const unsafeUrls = [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'jav&#x61;script:alert(1)',
    '&#106;avascript:alert(1)',
    'javascript&colon;alert(1)',
    'java%73cript:alert(1)',
    '%6Aavascript:alert(1)',
    'vbscript:msgbox(1)',
    'VBScript:msgbox(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'data:image/png;base64,iVBORw0KGgo=',
    'DATA:image/svg+xml,<svg onload=alert(1)>',
    'file:///etc/passwd',
  ];

  it.each(unsafeUrls)('makes no link, image or reference of %s', (url) => {
    for (const source of [`[x](${url})`, `![x](${url})`, `[x](<${url}>)`, `[x][r]\n\n[r]: ${url}`, `![x][r]\n\n[r]: ${url}`, `<${url}>`]) {
      const html = renderMarkdown(source);
      expect(html, source).not.toMatch(/<a\b|<img\b/);
      expectInert(html);
    }
  });

  it('makes no link of a URL with white space or control characters in its scheme', () => {
    for (const source of ['[x](java\tscript:alert(1))', '[x](<java\tscript:alert(1)>)', '[x](<java\nscript:alert(1)>)', '[x](\u0001javascript:alert(1))', '[x](java\\\nscript:alert(1))']) {
      const html = renderMarkdown(source);
      expect(html, JSON.stringify(source)).not.toMatch(/<a\b/);
      expectInert(html);
    }
  });

  it('keeps attribute values inside their quotes', () => {
    const cases = [
      '[a](https://a.example/"><script>alert(1)</script>)',
      '[a](https://a.example/ "t\\" onmouseover=\\"alert(1)")',
      '[a" onclick="alert(1)](https://a.example/)',
      '![x" onerror="alert(1)](https://a.example/i.png)',
      '![x](https://a.example/i.png "t\\" onerror=\\"alert(1)")',
      '[x][r]\n\n[r]: https://a.example/ "t\\" onclick=\\"alert(1)"',
      "[a](https://a.example/'onmouseover='alert(1))",
    ];
    for (const source of cases) expectInert(renderMarkdown(source));
    expect(renderMarkdown(cases[0]!)).toBe(`<p><a href="https://a.example/%22%3E%3Cscript%3Ealert(1)%3C/script%3E" ${REL}>a</a></p>\n`);
    expect(renderMarkdown(cases[1]!)).toBe(`<p><a href="https://a.example/" title="t&quot; onmouseover=&quot;alert(1)" ${REL}>a</a></p>\n`);
    expect(renderMarkdown(cases[3]!)).toBe('<p><img src="https://a.example/i.png" alt="x&quot; onerror=&quot;alert(1)"></p>\n');
  });

  it('keeps code fences and spans closed over HTML in them', () => {
    expect(renderMarkdown('```\n</code></pre><script>alert(1)</script>\n```')).toBe('<pre><code>&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>\n');
    expect(renderMarkdown('```js" onload="alert(1)\nx\n```')).toBe('<pre><code class="language-js&quot;">x\n</code></pre>\n');
    expect(renderMarkdown('~~~\n```\n<b>x</b>\n~~~')).toBe('<pre><code>```\n&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n');
    expect(renderMarkdown('`</code><script>alert(1)</script>`')).toBe('<p><code>&lt;/code&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code></p>\n');
    // An unclosed fence runs to the end of the article: what follows is still code, not markup.
    expect(renderMarkdown('```\n<img src=x onerror=alert(1)>')).toBe('<pre><code>&lt;img src=x onerror=alert(1)&gt;</code></pre>\n');
  });

  it('stays bounded on hostile nesting and unmatched delimiters', () => {
    expect(renderMarkdown('>'.repeat(50) + ' deep').match(/<blockquote>/g)).toHaveLength(50);
    const big = renderMarkdown('[a'.repeat(20_000) + '*'.repeat(10_000) + '`');
    expect(big.startsWith('<p>[a[a')).toBe(true);
    expect(big).not.toContain('<a ');
  });
});
