/**
 * The pages behind problem `type` URIs: `GET /problems/{type}` describes one problem type (status,
 * title, when it happens, what to do) and links to the list of all of them at `GET /problems/index`.
 * Static HTML from PROBLEM_TYPES — no script, no external resource; the style is pinned by hash.
 */
import { createHash } from 'node:crypto';
import { PROBLEM_BASE_PLACEHOLDER, problemBase, problemTypeUri } from '../http/problem';
import { escapeHtml } from './docs-page';
import { PROBLEM_TYPES, type ProblemType } from './problem-types';

const STYLE = 'body{margin:0 auto;max-width:760px;padding:24px;font:15px/1.55 system-ui,sans-serif;color-scheme:light dark}'
  + 'code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}table{border-collapse:collapse;width:100%}'
  + 'th,td{text-align:left;border-bottom:1px solid #8884;padding:6px 8px;vertical-align:top}.muted{opacity:.75}';

/**
 * The rendered OpenAPI document with its placeholder problem `type` URIs pointing at this API's
 * pages (problemBase()), so the served examples match what the API answers.
 */
export function withProblemBase(json: string, base: string = problemBase()): string {
  return json.split(`"${PROBLEM_BASE_PLACEHOLDER}`).join(`"${base}`);
}

/** The page's `slug` for the index of all problem types (`/problems/index`). */
export const PROBLEM_INDEX = 'index';

export function problemPageHeaders(): Record<string, string> {
  const styleHash = createHash('sha256').update(STYLE).digest('base64');
  return {
    'content-security-policy': `default-src 'none'; style-src 'sha256-${styleHash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'public, max-age=3600',
  };
}

/** Turns the catalogue's `code` spans (backticks) into <code>, escaping everything else. */
function prose(text: string): string {
  return text.split('`').map((part, i) => (i % 2 ? `<code>${escapeHtml(part)}</code>` : escapeHtml(part))).join('');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — CRM API problems</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<p class="muted">Problems are RFC 9457 <code>application/problem+json</code> bodies; every one carries a <code>requestId</code> to quote when you report it. <a href="/problems/${PROBLEM_INDEX}">All problem types</a> · <a href="/docs">API docs</a></p>
</body>
</html>
`;
}

/** The page of one problem type, or undefined for an unknown slug (the caller answers 404). */
export function problemPageHtml(slug: string): string | undefined {
  if (slug === PROBLEM_INDEX) return problemIndexHtml();
  if (!Object.hasOwn(PROBLEM_TYPES, slug)) return undefined;
  const p: ProblemType = (PROBLEM_TYPES as Record<string, ProblemType>)[slug]!;
  return page(p.title, `<h1 id="${escapeHtml(slug)}">${p.status} ${escapeHtml(p.title)}</h1>
<p><code>"type": "${escapeHtml(problemTypeUri(slug))}"</code>, <code>"status": ${p.status}</code></p>
<h2>When</h2>
<p>${prose(p.when)}</p>
<h2>What to do</h2>
<p>${prose(p.action)}</p>${p.localOnly ? '\n<p class="muted">Answered by the local runtime; in AWS, API Gateway answers this case itself.</p>' : ''}`);
}

function problemIndexHtml(): string {
  const rows = Object.entries(PROBLEM_TYPES as Record<string, ProblemType>)
    .map(([slug, p]) => `<tr><td>${p.status}</td><td><a href="/problems/${escapeHtml(slug)}"><code>${escapeHtml(slug)}</code></a></td><td>${escapeHtml(p.title)}</td><td>${prose(p.when)}</td></tr>`)
    .join('\n');
  return page('Problem types', `<h1>Problem types</h1>
<p>The last path segment of a problem's <code>type</code> URI names its kind; branch on it, not on <code>detail</code>.</p>
<table><thead><tr><th>Status</th><th>Type</th><th>Title</th><th>When</th></tr></thead><tbody>
${rows}
</tbody></table>`);
}
