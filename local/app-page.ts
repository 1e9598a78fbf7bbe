/**
 * The local stand-in for the web client that links in emails point at (`appBaseUrl`, e.g. a
 * reminder's "Open the task": `<appBaseUrl>/tasks/<id>`). Locally `appBaseUrl` is the gateway
 * itself, which answers `GET /<collection>/<id>` — for every collection with a
 * `GET /v1/<collection>/{id}` route — with a small page that reads the record through the API
 * with the viewer's token and links to that operation in the API docs. Never a 404 for a link
 * the CRM sent. A deployment points `appBaseUrl` at its own web client instead (README,
 * "Links in emails").
 *
 * The page inserts every value with text nodes (no innerHTML); the only server-side values
 * (API path, operation id, record kind) are escaped into attributes.
 */
import type { RouteDef } from '../functions/api/routes';
import { escapeHtml } from '../functions/system/docs-page';

export interface AppPage {
  /** The API path the page reads, e.g. /v1/tasks/tsk_…. */
  apiPath: string;
  operationId: string;
  html: string;
}

/** The page for `GET <path>`, or undefined when the path is not `/<collection>/<id>` of a readable record. */
export function appPageFor(path: string, routes: readonly RouteDef[]): AppPage | undefined {
  const m = /^\/([a-z][a-z0-9-]*)\/([A-Za-z0-9_.~-]+)\/?$/.exec(path);
  if (!m || m[1] === 'v1') return undefined;
  const [, collection, id] = m as unknown as [string, string, string];
  const route = routes.find((r) => r.method === 'GET' && new RegExp(`^/v1/${collection}/\\{[A-Za-z0-9_]+\\}$`).test(r.path));
  if (!route) return undefined;
  const apiPath = `/v1/${collection}/${encodeURIComponent(id)}`;
  return { apiPath, operationId: route.operation, html: page(collection, apiPath, route.operation, route.summary ?? '') };
}

function page(collection: string, apiPath: string, operationId: string, summary: string): string {
  const kind = collection.replace(/-/g, ' ').replace(/s$/, '');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRM ${escapeHtml(kind)} (local)</title><link rel="icon" href="data:,">
<style>
body { font:15px/1.5 system-ui, sans-serif; margin:0; color:#1d2330; background:#f7f8fa; }
main { max-width:900px; margin:0 auto; padding:24px; }
pre { background:#fff; border:1px solid #dde2ea; border-radius:8px; padding:12px; overflow:auto; font-size:13px; }
input { width:100%; padding:6px 8px; font-family:ui-monospace, monospace; box-sizing:border-box; }
button { padding:6px 12px; margin-top:6px; } .muted { color:#5d6778; } code { background:#eef1f6; padding:1px 4px; border-radius:4px; }
</style></head>
<body><main id="app" data-api-path="${escapeHtml(apiPath)}" data-operation="${escapeHtml(operationId)}">
<h1>CRM ${escapeHtml(kind)}</h1>
<p class="muted">This is the local runtime's stand-in for your web client: it reads
<code>GET ${escapeHtml(apiPath)}</code> (${escapeHtml(summary)}) with your token.
API reference: <a href="/docs#op/${escapeHtml(encodeURIComponent(operationId))}">${escapeHtml(operationId)} in the API docs</a>.</p>
<form id="token-form"><label for="token">Bearer token — in a terminal: <code>npm run --silent token -- sales</code> (or the role you are)</label>
<input id="token" type="password" autocomplete="off"><button type="submit">Show the ${escapeHtml(kind)}</button></form>
<p id="status" class="muted"></p>
<pre id="record" hidden></pre>
</main>
<script>
(function () {
  var app = document.getElementById('app');
  var apiPath = app.getAttribute('data-api-path');
  var KEY = 'crm.app.token';
  var input = document.getElementById('token');
  var status = document.getElementById('status');
  var record = document.getElementById('record');
  function stored() { try { return localStorage.getItem(KEY) || ''; } catch (e) { return ''; } }
  function load(token) {
    if (!token) { status.textContent = 'Paste a token to see the record.'; return; }
    status.textContent = 'Loading…';
    fetch(apiPath, { headers: { authorization: 'Bearer ' + token } }).then(function (response) {
      return response.text().then(function (text) {
        var shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON */ }
        status.textContent = 'GET ' + apiPath + ' → ' + response.status + (response.status === 404 ? ' (it does not exist, or this token may not see it)' : '');
        record.textContent = shown;
        record.hidden = false;
      });
    }, function (error) { status.textContent = 'The API did not answer: ' + error; });
  }
  input.value = stored();
  document.getElementById('token-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var token = input.value.trim().replace(/^Bearer\\s+/i, '');
    try { localStorage.setItem(KEY, token); } catch (e) { /* storage disabled */ }
    load(token);
  });
  load(stored());
})();
</script>
</body></html>
`;
}
