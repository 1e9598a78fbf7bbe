/**
 * Knowledge-base articles' Markdown to HTML, with `markdown-it` (CommonMark plus GitHub tables and
 * strikethrough — its `default` preset) configured so that nothing a writer types reaches a
 * reader's browser as markup the renderer did not make:
 *
 * - `html: false` — raw HTML (`<script>`, `<img onerror=…>`, `<a href=…>`) is shown as text;
 * - every link and image URL passes markdown-it's own `validateLink` (which refuses
 *   `javascript:`, `vbscript:`, `file:` and, except for a few image types, `data:`) *and* the
 *   allow-list below (`http:`, `https:`, `mailto:`, relative). Both see the URL after markdown-it
 *   has decoded entities and backslash escapes and percent-encoded it, so `jav&#x61;script:`,
 *   `JaVaScRiPt:` and `java\tscript:` are judged as what a browser would read. A refused link,
 *   image, autolink or reference definition stays literal text;
 * - `linkify: false` — only what the writer marked as a link (`[text](url)`, `[text][ref]`,
 *   `<https://…>`) becomes one; a bare `example.com` in prose stays prose;
 * - every link gets `rel="noopener noreferrer nofollow"`: a reader following it gives the target
 *   no handle on this page, no referrer and no search-ranking endorsement.
 *
 * Attribute values are always escaped by markdown-it's renderer. The parser is built once per
 * container, on first use (nothing at import beyond loading the library).
 */
import type MarkdownIt from 'markdown-it';

const ALLOWED_SCHEMES = new Set(['http', 'https', 'mailto']);

/**
 * Whether a link or image may point at `url` (as markdown-it hands it over: entities decoded,
 * normalised, percent-encoded): `http:`, `https:`, `mailto:` or relative (`/kb/…`, `#top`,
 * `page`, `//host/…`). Every other scheme is refused, and so is a colon before the first `/`, `?`
 * or `#` of a URL without a scheme (`%6Aavascript:` — no browser reads that as a scheme today,
 * but it is no relative URL either). White space and control characters refuse the URL too.
 */
export function isAllowedUrl(url: string): boolean {
  if (url.length === 0 || /[\u0000-\u0020\u007f-\u009f]/.test(url)) return false;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url);
  if (scheme) return ALLOWED_SCHEMES.has(scheme[1]!.toLowerCase());
  const colon = url.indexOf(':');
  if (colon < 0) return true;
  const firstDelimiter = url.search(/[/?#]/);
  return firstDelimiter >= 0 && firstDelimiter < colon;
}

const REL = 'noopener noreferrer nofollow';

function createRenderer(Renderer: typeof MarkdownIt): MarkdownIt {
  const md = new Renderer('default', { html: false, linkify: false, typographer: false });
  const libraryCheck = md.validateLink.bind(md);
  md.validateLink = (url) => libraryCheck(url) && isAllowedUrl(url);
  const renderLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    tokens[idx]!.attrSet('rel', REL);
    return renderLinkOpen(tokens, idx, options, env, self);
  };
  return md;
}

// Loaded on the first render, not at start: markdown-it and its entity table are a third of the
// function's code, and list requests never render (cold-start budget, test/budget/bundles.test.ts).
let renderer: Promise<MarkdownIt> | undefined;

/** The renderer, loaded once: Markdown in, HTML that contains no markup the source did not earn. */
export async function loadMarkdown(): Promise<(source: string) => string> {
  renderer ??= import('markdown-it').then((m) => createRenderer(m.default));
  const md = await renderer;
  return (source) => md.render(source);
}

/** Renders an article body (Markdown) to HTML that contains no markup the source did not earn. */
export async function renderMarkdown(source: string): Promise<string> {
  return (await loadMarkdown())(source);
}
