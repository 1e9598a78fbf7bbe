/**
 * A small Markdown renderer for knowledge-base articles that is safe by construction: every
 * character of the source is HTML-escaped, and only the constructs below become tags — a fixed
 * set of elements whose one attribute (`href`) is checked against an allow-list and escaped.
 * Raw HTML in the source is shown as text, so `<script>`, `<img onerror=…>` and friends cannot
 * reach a reader's browser, and there is no sanitizer to get wrong.
 *
 * Why not a library: no Markdown renderer is installed in this repository (`markdown-it` with
 * `html: false`, whose link validation refuses `javascript:`/`vbscript:`/`file:`/`data:`, is the
 * field-standard choice and can replace this module without an API change).
 *
 * Supported (CommonMark-like, deliberately small):
 * - blocks: `#`–`######` headings, paragraphs (blank-line separated), fenced code blocks (```),
 *   `-`/`*`/`+` and `1.` lists (one level), `>` quotes (nested up to 5 levels), `---` rules;
 * - inline: `**strong**`, `*emphasis*`, `` `code` ``, `[text](url)` with `http:`, `https:`,
 *   `mailto:` or relative URLs (anything else renders as the link text alone), `\` escapes.
 * Not supported (shown as text): raw HTML, images, tables, reference links, nested lists.
 *
 * Cost is linear in the input: inline delimiters look ahead with bounded patterns or consume
 * what they find, and nesting is limited to MAX_DEPTH.
 */

const MAX_DEPTH = 5;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

const ALLOWED_SCHEMES = new Set(['http', 'https', 'mailto']);

/**
 * The URL if a link may point there: http(s), mailto, or relative (`/kb/…`, `#top`, `page`).
 * White space or control characters anywhere (browsers drop them inside a scheme: `java\tscript:`)
 * and every other scheme (`javascript:`, `data:`, `vbscript:`, …) refuse the link.
 */
export function safeUrl(raw: string): string | undefined {
  const url = raw.trim();
  if (url.length === 0 || /[\u0000-\u0020\u007f-\u009f]/.test(url)) return undefined;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url);
  if (scheme) return ALLOWED_SCHEMES.has(scheme[1]!.toLowerCase()) ? url : undefined;
  // No scheme: a colon before the first / ? # could still be read as one (`%6Aavascript:`).
  const colon = url.indexOf(':');
  if (colon >= 0) {
    const firstDelimiter = url.search(/[/?#]/);
    if (firstDelimiter < 0 || colon < firstDelimiter) return undefined;
  }
  return url;
}

const LINK = /\[([^[\]\n]{1,500})\]\(([^()\s]{1,2000})\)/y;
const ESCAPABLE = /[\\`*_[\]()#+\-.!>~|]/;

/** Inline Markdown of one block's text to HTML. */
export function renderInline(src: string, depth = 0): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '\\' && i + 1 < src.length && ESCAPABLE.test(src[i + 1]!)) {
      out += escapeHtml(src[i + 1]!);
      i += 2;
      continue;
    }
    if (ch === '`') {
      const end = src.indexOf('`', i + 1);
      if (end > i + 1) {
        out += `<code>${escapeHtml(src.slice(i + 1, end))}</code>`;
        i = end + 1;
        continue;
      }
    }
    if (ch === '[' && depth < MAX_DEPTH) {
      LINK.lastIndex = i;
      const m = LINK.exec(src);
      if (m) {
        const label = renderInline(m[1]!, depth + 1);
        const url = safeUrl(m[2]!);
        out += url ? `<a href="${escapeHtml(url)}" rel="nofollow noopener noreferrer">${label}</a>` : label;
        i = LINK.lastIndex;
        continue;
      }
    }
    if (ch === '*' && depth < MAX_DEPTH) {
      if (src[i + 1] === '*') {
        const end = src.indexOf('**', i + 2);
        if (end > i + 2) {
          out += `<strong>${renderInline(src.slice(i + 2, end), depth + 1)}</strong>`;
          i = end + 2;
          continue;
        }
      } else if (src[i + 1] !== ' ') {
        const end = src.indexOf('*', i + 1);
        if (end > i + 1 && src[end - 1] !== ' ') {
          out += `<em>${renderInline(src.slice(i + 1, end), depth + 1)}</em>`;
          i = end + 1;
          continue;
        }
      }
    }
    out += escapeHtml(ch);
    i++;
  }
  return out;
}

const FENCE = /^\s{0,3}```/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$/;
const RULE = /^\s{0,3}([-*_])(?:\s*\1){2,}\s*$/;
const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const ORDERED = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;

function renderBlocks(lines: string[], depth: number): string {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    if (FENCE.test(line)) {
      const code: string[] = [];
      i++;
      while (i < lines.length && !FENCE.test(lines[i]!)) code.push(lines[i++]!);
      i++; // the closing fence (or the end of the text)
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = heading[1]!.length;
      out.push(`<h${level}>${renderInline(heading[2]!)}</h${level}>`);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push('<hr>');
      i++;
      continue;
    }
    if (QUOTE.test(line) && depth < MAX_DEPTH) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) inner.push(QUOTE.exec(lines[i++]!)![1]!);
      out.push(`<blockquote>\n${renderBlocks(inner, depth + 1)}\n</blockquote>`);
      continue;
    }
    const start = i;
    for (const [pattern, tag] of [[BULLET, 'ul'], [ORDERED, 'ol']] as const) {
      if (!pattern.test(line)) continue;
      const items: string[] = [];
      while (i < lines.length && pattern.test(lines[i]!)) items.push(`<li>${renderInline(pattern.exec(lines[i++]!)![1]!)}</li>`);
      out.push(`<${tag}>\n${items.join('\n')}\n</${tag}>`);
      break;
    }
    if (i === start) {
      const para: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '' && !startsBlock(lines[i]!)) para.push(lines[i++]!.trim());
      if (para.length === 0) para.push(lines[i++]!.trim());
      out.push(`<p>${renderInline(para.join('\n'))}</p>`);
    }
  }
  return out.join('\n');
}

const startsBlock = (line: string) => FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || BULLET.test(line) || ORDERED.test(line);

/** Renders an article body (Markdown) to HTML that contains no markup the source did not earn. */
export function renderMarkdown(source: string): string {
  return renderBlocks(source.replace(/\r\n?/g, '\n').split('\n'), 0);
}
