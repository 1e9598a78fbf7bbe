/**
 * The knowledge base's Markdown renderer (functions/kb/markdown.ts): what becomes markup, and that
 * nothing a writer types can become a script, an event handler or a script URL.
 */
import { describe, expect, it } from 'vitest';
import { renderMarkdown, safeUrl } from '../../functions/kb/markdown';

describe('safeUrl', () => {
  it.each([
    ['https://example.com/a?b=1', 'https://example.com/a?b=1'],
    ['HTTP://example.com', 'HTTP://example.com'],
    ['mailto:help@example.com', 'mailto:help@example.com'],
    ['/v1/kb/articles', '/v1/kb/articles'],
    ['#top', '#top'],
    ['page.html?x=a:b', 'page.html?x=a:b'],
  ])('keeps %s', (url, kept) => expect(safeUrl(url)).toBe(kept));

  it.each(['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', ' javascript:alert(1)', 'data:text/html,x', 'vbscript:msgbox', 'file:///etc/passwd', '%6Aavascript:alert(1)', 'java\u0000script:x', ''])(
    'refuses %j',
    (url) => expect(safeUrl(url)).toBeUndefined(),
  );
});

describe('renderMarkdown', () => {
  it('renders the supported subset', () => {
    expect(renderMarkdown('## Title\n\nA **b** *c* `d`\nnext line\n\n- one\n- two\n\n3. three\n\n> quoted\n\n---\n\n```\nx < y\n```')).toBe([
      '<h2>Title</h2>',
      '<p>A <strong>b</strong> <em>c</em> <code>d</code>\nnext line</p>',
      '<ul>\n<li>one</li>\n<li>two</li>\n</ul>',
      '<ol>\n<li>three</li>\n</ol>',
      '<blockquote>\n<p>quoted</p>\n</blockquote>',
      '<hr>',
      '<pre><code>x &lt; y</code></pre>',
    ].join('\n'));
    expect(renderMarkdown('[help](https://example.com/?a=1&b=2)')).toBe('<p><a href="https://example.com/?a=1&amp;b=2" rel="nofollow noopener noreferrer">help</a></p>');
    expect(renderMarkdown('\\*not em\\*')).toBe('<p>*not em*</p>');
  });

  it('escapes raw HTML and drops unsafe links to their text', () => {
    expect(renderMarkdown('<script>alert(1)</script>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(renderMarkdown('<img src=x onerror=alert(1)>')).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(renderMarkdown('[x](javascript:alert%281%29)')).toBe('<p>x</p>');
    expect(renderMarkdown('[x](https://a"onclick="alert)')).toBe('<p><a href="https://a&quot;onclick=&quot;alert" rel="nofollow noopener noreferrer">x</a></p>');
    expect(renderMarkdown('**<b onclick="x">**')).toBe('<p><strong>&lt;b onclick=&quot;x&quot;&gt;</strong></p>');
  });

  it('stays bounded on hostile nesting and unmatched delimiters', () => {
    expect(renderMarkdown('>'.repeat(50) + ' deep').match(/<blockquote>/g)).toHaveLength(5);
    const big = renderMarkdown('[a'.repeat(20_000) + '*'.repeat(10_000) + '`');
    expect(big.startsWith('<p>[a[a')).toBe(true);
    expect(big).not.toContain('<a ');
  });
});
