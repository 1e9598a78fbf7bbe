/**
 * The API docs page served at `GET /docs`: one self-contained HTML document (no CDN, no external
 * script, style or font — it works offline and on a locked-down network) that reads the OpenAPI
 * document and lets a developer try every operation with their own token.
 *
 * Sign-in: where the stage has a user pool domain and a docs client (functions/system/sign-in.ts),
 * a "Sign in" button runs the OAuth 2.0 authorization code flow with PKCE (S256) against the
 * document's `cognito` scheme: the verifier and `state` stay in this tab's sessionStorage, the
 * user pool redirects back to this page, the page exchanges the code at the token endpoint and
 * uses the access token for "Try it". Locally the gateway serves the same endpoints.
 *
 * Security: the page script never uses innerHTML — every value from the spec or a response is
 * inserted with text nodes — and the only server-side interpolations (the spec URL, the client id)
 * go through escapeHtml into attributes. Script and style are static, so the Content-Security-Policy in
 * docsPageHeaders() pins them by hash instead of allowing 'unsafe-inline'.
 */
import { createHash } from 'node:crypto';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const STYLE = String.raw`
:root { --bg:#f7f8fa; --panel:#fff; --text:#1d2330; --muted:#5d6778; --line:#dde2ea; --accent:#2457c5;
  --get:#1f7a4d; --post:#2457c5; --put:#8a5a00; --patch:#8a5a00; --delete:#b3261e; --code:#eef1f6; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --bg:#14171d; --panel:#1b1f27; --text:#e6e9ef; --muted:#9aa4b5; --line:#2c323d;
  --accent:#7aa2ff; --get:#5cc795; --post:#7aa2ff; --put:#e0b45c; --patch:#e0b45c; --delete:#ff8a80; --code:#232935; } }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--text); }
code, pre, textarea, input.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:13px; }
code { background:var(--code); padding:1px 4px; border-radius:4px; }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
header { display:flex; flex-wrap:wrap; gap:12px; align-items:center; justify-content:space-between; padding:10px 20px;
  background:var(--panel); border-bottom:1px solid var(--line); position:sticky; top:0; z-index:1; }
header h1 { font-size:18px; margin:0; } header h1 small { color:var(--muted); font-weight:normal; margin-left:6px; }
.token { display:flex; flex-wrap:wrap; gap:6px; align-items:center; } .token input { width:320px; max-width:50vw; }
.layout { display:grid; grid-template-columns: 340px 1fr; min-height: calc(100vh - 56px); }
nav { border-right:1px solid var(--line); padding:12px; overflow:auto; max-height: calc(100vh - 56px); position:sticky; top:56px; background:var(--panel); }
nav h3 { font-size:12px; text-transform:uppercase; letter-spacing:.06em; color:var(--muted); margin:16px 4px 6px; }
nav ul { list-style:none; margin:0; padding:0; }
nav li a { display:flex; gap:8px; align-items:baseline; padding:4px 6px; border-radius:6px; color:var(--text); }
nav li a:hover, nav li a.current { background:var(--code); text-decoration:none; }
nav .path { font-family: ui-monospace, Menlo, Consolas, monospace; font-size:12.5px; word-break:break-all; }
main { padding:20px 28px 60px; max-width:1100px; }
h2 { margin:0 0 6px; font-size:20px; display:flex; gap:10px; align-items:center; flex-wrap:wrap; }
h2 .path { font-family: ui-monospace, Menlo, Consolas, monospace; font-weight:600; }
.method { display:inline-block; min-width:56px; text-align:center; font:600 11px/1.8 ui-monospace, Menlo, monospace; border-radius:4px; color:#fff; padding:0 6px; }
.method.get { background:var(--get); } .method.post { background:var(--post); } .method.put { background:var(--put); }
.method.patch { background:var(--patch); } .method.delete { background:var(--delete); }
section { background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:14px 16px; margin:14px 0; }
section h4 { margin:0 0 10px; font-size:14px; }
.muted { color:var(--muted); }
.chips { display:flex; flex-wrap:wrap; gap:6px; margin-top:6px; }
.chip { border:1px solid var(--line); border-radius:999px; padding:1px 10px; font-size:13px; }
.chip.own { border-style:dashed; } .chip.none { opacity:.55; text-decoration:line-through; }
.field { display:grid; grid-template-columns: 200px 1fr; gap:8px; align-items:start; margin:6px 0; }
.field label { font-family: ui-monospace, Menlo, monospace; font-size:13px; padding-top:6px; word-break:break-all; }
.field .req { color:var(--delete); }
.field .hint { grid-column:2; font-size:12.5px; color:var(--muted); margin-top:-4px; }
.row { display:flex; gap:6px; }
input, select, textarea { width:100%; padding:6px 8px; border:1px solid var(--line); border-radius:6px; background:var(--bg); color:var(--text); }
textarea { min-height:180px; resize:vertical; }
button { padding:6px 12px; border:1px solid var(--line); border-radius:6px; background:var(--code); color:var(--text); cursor:pointer; white-space:nowrap; }
button.primary { background:var(--accent); border-color:var(--accent); color:#fff; font-weight:600; }
button:disabled { opacity:.6; cursor:wait; }
pre { background:var(--code); padding:10px 12px; border-radius:8px; overflow:auto; max-height:480px; margin:6px 0 0; white-space:pre-wrap; word-break:break-word; }
table { border-collapse:collapse; width:100%; font-size:13.5px; }
th, td { text-align:left; border-bottom:1px solid var(--line); padding:5px 8px; vertical-align:top; }
th { color:var(--muted); font-weight:600; }
td.name { font-family: ui-monospace, Menlo, monospace; white-space:nowrap; }
.status { font-weight:700; } .status.ok { color:var(--get); } .status.err { color:var(--delete); }
.error { color:var(--delete); }
@media (max-width: 860px) { .layout { grid-template-columns: 1fr; } nav { position:static; max-height:none; border-right:0; border-bottom:1px solid var(--line); } .field { grid-template-columns: 1fr; } .field .hint { grid-column:1; } }
`;

/*
 * Browser code, shipped verbatim. Plain JS (no backticks or `${`, so it can live in this template);
 * DOM built only with createElement/textContent; links only to in-page fragments or same-origin paths.
 */
const SCRIPT = String.raw`
(function () {
  'use strict';
  var specUrl = document.body.getAttribute('data-spec-url') || '/v1/openapi.json';
  var clientId = document.body.getAttribute('data-client-id') || '';
  var TOKEN_KEY = 'crm.docs.token', SIGNIN_KEY = 'crm.docs.signin';
  var METHODS = ['get', 'post', 'put', 'patch', 'delete'];
  var spec = null, apiBase = '', ops = [], lastEtag = null;
  var nav = document.getElementById('nav'), main = document.getElementById('main');

  function h(tag, props) {
    var el = document.createElement(tag);
    if (props) Object.keys(props).forEach(function (k) {
      var v = props[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'class') el.className = v;
      else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else el.setAttribute(k, v === true ? '' : String(v));
    });
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(el, c); }); return; }
    el.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  /* Minimal, safe markdown: paragraphs, "- " lists, code spans, bold, links to same-origin paths. */
  function inline(text) {
    var out = [], re = /(\x60[^\x60]+\x60|\*\*[^*]+\*\*|\[[^\]]+\]\([^)\s]+\))/g, last = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > last) out.push(text.slice(last, m.index));
      var t = m[0];
      if (t[0] === '\x60') out.push(h('code', null, t.slice(1, -1)));
      else if (t[0] === '*') out.push(h('strong', null, inline(t.slice(2, -2))));
      else {
        var label = t.slice(1, t.indexOf(']')), href = t.slice(t.indexOf('](') + 2, -1);
        out.push(/^\/(?!\/)|^#/.test(href) ? h('a', { href: href }, label) : label);
      }
      last = re.lastIndex;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }
  function markdown(text) {
    return String(text || '').split(/\n\s*\n/).map(function (block) {
      var lines = block.split('\n'), items = lines.filter(function (l) { return /^- /.test(l); });
      if (items.length && items.length === lines.length) return h('ul', null, items.map(function (l) { return h('li', null, inline(l.slice(2))); }));
      if (items.length) {
        var head = lines.filter(function (l) { return !/^- /.test(l); }).join(' ');
        return [h('p', null, inline(head)), h('ul', null, items.map(function (l) { return h('li', null, inline(l.slice(2))); }))];
      }
      return h('p', null, inline(lines.join(' ')));
    });
  }

  function pointer(ref) {
    if (typeof ref !== 'string' || ref.indexOf('#/') !== 0) return undefined;
    return ref.slice(2).split('/').reduce(function (node, part) {
      return node === undefined || node === null ? undefined : node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    }, spec);
  }
  function deref(node) {
    for (var i = 0; node && node.$ref && i < 20; i++) node = pointer(node.$ref);
    return node;
  }
  function refName(ref) { return String(ref).split('/').pop(); }

  /* A JSON value that satisfies the schema's shape: required properties (all when none is required). */
  function exampleFor(schema, depth) {
    schema = deref(schema);
    if (!schema || depth > 6) return null;
    if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
    if (schema.example !== undefined) return schema.example;
    if (schema.const !== undefined) return schema.const;
    if (schema.default !== undefined) return schema.default;
    if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
    var alts = schema.anyOf || schema.oneOf;
    if (alts && alts.length) {
      var alt = alts.filter(function (a) { var d = deref(a); return d && d.type !== 'null'; })[0] || alts[0];
      return exampleFor(alt, depth + 1);
    }
    if (schema.allOf && schema.allOf.length) return exampleFor(schema.allOf[0], depth + 1);
    var type = schema.type;
    if (Array.isArray(type)) type = type.filter(function (t) { return t !== 'null'; })[0] || 'null';
    if (!type && schema.properties) type = 'object';
    if (type === 'object') {
      var props = schema.properties || {}, required = schema.required || [], out = {};
      (required.length ? required : Object.keys(props)).forEach(function (name) {
        if (props[name]) out[name] = exampleFor(props[name], depth + 1);
      });
      return out;
    }
    if (type === 'array') return schema.minItems ? [exampleFor(schema.items, depth + 1)] : [];
    if (type === 'integer' || type === 'number') return typeof schema.minimum === 'number' ? schema.minimum : 0;
    if (type === 'boolean') return false;
    if (type === 'string') {
      if (schema.format === 'email') return 'name@example.com';
      if (schema.format === 'date-time') return new Date().toISOString();
      if (schema.format === 'uri' || schema.format === 'url') return 'https://example.com';
      return 'string';
    }
    return null;
  }

  function typeNode(schema) {
    if (!schema) return 'any';
    if (schema.$ref) { var name = refName(schema.$ref); return h('a', { href: '#schema/' + encodeURIComponent(name) }, name); }
    if (Array.isArray(schema.enum)) return schema.enum.map(function (v) { return JSON.stringify(v); }).join(' | ');
    var alts = schema.anyOf || schema.oneOf;
    if (alts) return alts.map(function (a, i) { return [i ? ' | ' : '', typeNode(a)]; });
    var type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
    if (type === 'array') return [typeNode(schema.items), '[]'];
    if (!type) return schema.properties ? 'object' : 'any';
    return schema.format ? type + ' (' + schema.format + ')' : type;
  }
  function constraints(schema) {
    var s = deref(schema) || {}, parts = [];
    if (s.description) parts.push(s.description);
    [['minLength', 'min length'], ['maxLength', 'max length'], ['minimum', 'min'], ['maximum', 'max'], ['minItems', 'min items'], ['maxItems', 'max items']].forEach(function (c) {
      if (s[c[0]] !== undefined) parts.push(c[1] + ' ' + s[c[0]]);
    });
    if (s.pattern) parts.push('pattern ' + s.pattern);
    return parts.join(' · ');
  }
  function propertiesTable(schema, depth) {
    var s = deref(schema) || {};
    var props = s.properties || {}, required = s.required || [];
    var rows = Object.keys(props).map(function (name) {
      var p = props[name], nested = !p.$ref && p.properties && depth < 3;
      return h('tr', null,
        h('td', { class: 'name' }, name, required.indexOf(name) >= 0 ? h('span', { class: 'req', title: 'required' }, ' *') : null),
        h('td', null, typeNode(p)),
        h('td', null, constraints(p), nested ? propertiesTable(p, depth + 1) : null));
    });
    if (!rows.length) return h('p', { class: 'muted' }, s.type === 'object' ? 'An object (no fixed properties).' : typeNode(s));
    return h('table', null, h('thead', null, h('tr', null, h('th', null, 'Field'), h('th', null, 'Type'), h('th', null, 'Notes'))), h('tbody', null, rows));
  }

  function getToken() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
  function setToken(value) { try { if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* storage disabled */ } }
  var tokenInput = h('input', { type: 'password', class: 'mono', placeholder: 'Bearer token (npm run --silent token -- admin)', autocomplete: 'off', 'aria-label': 'Bearer token', value: getToken() });
  var tokenState = h('span', { class: 'muted', role: 'status' });
  var signInSlot = h('span', { class: 'token' });
  function showToken(note) { tokenInput.value = getToken(); tokenState.textContent = note || (getToken() ? 'token set (this tab only)' : 'no token'); }
  function tokenBar() {
    showToken();
    return h('div', { class: 'token' }, signInSlot, tokenInput,
      h('button', { type: 'button', onclick: function () { setToken(tokenInput.value.trim().replace(/^Bearer\s+/i, '')); showToken(); } }, 'Use token'),
      h('button', { type: 'button', onclick: function () { setToken(''); showToken(); } }, 'Clear'),
      tokenState);
  }

  /* OAuth 2.0 authorization code flow with PKCE (RFC 6749 4.1, RFC 7636) against the document's oauth2 scheme. */
  function b64url(bytes) {
    var text = '';
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function randomText(size) { var bytes = new Uint8Array(size); crypto.getRandomValues(bytes); return b64url(bytes); }
  function redirectUri() { return location.origin + location.pathname; }
  function oauthFlow() {
    var schemes = (spec.components && spec.components.securitySchemes) || {};
    var names = Object.keys(schemes);
    for (var i = 0; i < names.length; i++) {
      var flows = schemes[names[i]] && schemes[names[i]].type === 'oauth2' && schemes[names[i]].flows;
      var flow = flows && flows.authorizationCode;
      if (flow && /^https?:\/\//.test(flow.authorizationUrl || '') && /^https?:\/\//.test(flow.tokenUrl || '')) {
        return { authorizationUrl: flow.authorizationUrl, tokenUrl: flow.tokenUrl, scopes: Object.keys(flow.scopes || {}) };
      }
    }
    return null;
  }
  function signIn(flow) {
    var verifier = randomText(32), state = randomText(16);
    crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)).then(function (digest) {
      sessionStorage.setItem(SIGNIN_KEY, JSON.stringify({ state: state, verifier: verifier, tokenUrl: flow.tokenUrl, redirectUri: redirectUri(), hash: location.hash }));
      var query = new URLSearchParams({
        response_type: 'code', client_id: clientId, redirect_uri: redirectUri(), scope: flow.scopes.join(' '),
        state: state, code_challenge: b64url(new Uint8Array(digest)), code_challenge_method: 'S256',
      });
      location.assign(flow.authorizationUrl + '?' + query.toString());
    }).catch(function (err) { showToken('Sign-in could not start: ' + (err && err.message ? err.message : String(err))); });
  }
  function signOut(flow) {
    setToken('');
    showToken();
    location.assign(new URL('/logout', flow.authorizationUrl).href + '?' + new URLSearchParams({ client_id: clientId, logout_uri: redirectUri() }).toString());
  }
  function signInButtons() {
    var flow = clientId && oauthFlow();
    if (!flow) return;
    add(signInSlot, [
      h('button', { type: 'button', class: 'primary', onclick: function () { signIn(flow); } }, 'Sign in'),
      h('button', { type: 'button', onclick: function () { signOut(flow); } }, 'Sign out'),
    ]);
  }
  /* Back from the authorize endpoint: ?code=&state= (or ?error=); exchange the code once, then drop it from the URL. */
  function finishSignIn() {
    var params = new URLSearchParams(location.search);
    if (!params.has('code') && !params.has('error')) return Promise.resolve();
    var pending = null;
    try { pending = JSON.parse(sessionStorage.getItem(SIGNIN_KEY) || 'null'); sessionStorage.removeItem(SIGNIN_KEY); } catch (e) { pending = null; }
    history.replaceState(null, '', location.pathname + ((pending && pending.hash) || location.hash));
    if (params.has('error')) { showToken('Sign-in failed: ' + params.get('error') + (params.get('error_description') ? ' (' + params.get('error_description') + ')' : '')); return Promise.resolve(); }
    if (!pending || pending.state !== params.get('state')) { showToken('Sign-in failed: the answer does not belong to a sign-in started in this tab.'); return Promise.resolve(); }
    var body = new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code: params.get('code'), redirect_uri: pending.redirectUri, code_verifier: pending.verifier });
    showToken('Signing in…');
    return fetch(pending.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() }).then(function (res) {
      return res.json().then(function (answer) {
        if (!res.ok || !answer.access_token) throw new Error(answer.error ? answer.error + (answer.error_description ? ' (' + answer.error_description + ')' : '') : 'HTTP ' + res.status);
        setToken(answer.access_token);
        showToken('signed in (this tab only)');
      });
    }).catch(function (err) { showToken('Sign-in failed: ' + (err && err.message ? err.message : String(err))); });
  }

  function randomKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16); crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  function collectOps() {
    ops = [];
    Object.keys(spec.paths || {}).forEach(function (path) {
      METHODS.forEach(function (method) {
        var op = spec.paths[path][method];
        if (op) ops.push({ path: path, method: method, op: op, pathParams: spec.paths[path].parameters || [] });
      });
    });
  }

  var navList = h('div');
  function renderNav(filter) {
    if (!navList.parentNode) {
      var search = h('input', { type: 'search', placeholder: 'Filter operations and schemas', 'aria-label': 'Filter operations and schemas' });
      search.addEventListener('input', function () { renderNav(search.value); });
      clear(nav);
      add(nav, [search, navList]);
    }
    clear(navList);
    var f = (filter || '').trim().toLowerCase();
    var tags = (spec.tags || []).map(function (t) { return t.name; });
    ops.forEach(function (o) { (o.op.tags || ['Other']).forEach(function (t) { if (tags.indexOf(t) < 0) tags.push(t); }); });
    tags.forEach(function (tag) {
      var items = ops.filter(function (o) {
        return (o.op.tags || ['Other']).indexOf(tag) >= 0 &&
          (!f || (o.method + ' ' + o.path + ' ' + (o.op.summary || '') + ' ' + (o.op.operationId || '')).toLowerCase().indexOf(f) >= 0);
      });
      if (!items.length) return;
      add(navList, h('h3', null, tag));
      add(navList, h('ul', null, items.map(function (o) {
        return h('li', null, h('a', { href: '#op/' + encodeURIComponent(o.op.operationId), title: o.op.summary || '' },
          h('span', { class: 'method ' + o.method }, o.method.toUpperCase()), h('span', { class: 'path' }, o.path)));
      })));
    });
    var names = Object.keys((spec.components && spec.components.schemas) || {}).filter(function (n) { return !f || n.toLowerCase().indexOf(f) >= 0; });
    if (names.length) {
      add(navList, h('h3', null, 'Schemas'));
      add(navList, h('ul', null, names.map(function (n) { return h('li', null, h('a', { href: '#schema/' + encodeURIComponent(n) }, n)); })));
    }
    markCurrent();
  }
  function markCurrent() {
    Array.prototype.forEach.call(nav.querySelectorAll('a'), function (a) {
      a.className = a.getAttribute('href') === location.hash ? 'current' : '';
    });
  }

  function renderIntro() {
    clear(main);
    add(main, h('h2', null, (spec.info && spec.info.title) || 'API'));
    add(main, h('section', null, markdown(spec.info && spec.info.description)));
    var schemes = (spec.components && spec.components.securitySchemes) || {};
    Object.keys(schemes).forEach(function (name) {
      add(main, h('section', null, h('h4', null, 'Authentication'), markdown(schemes[name].description)));
    });
  }

  function renderSchema(name) {
    clear(main);
    var schema = spec.components && spec.components.schemas && spec.components.schemas[name];
    if (!schema) { add(main, h('p', { class: 'error' }, 'No schema named ' + name)); return; }
    add(main, h('h2', null, name));
    if (schema.description) add(main, h('p', { class: 'muted' }, schema.description));
    add(main, h('section', null, propertiesTable(schema, 0)));
    add(main, h('section', null, h('h4', null, 'Example'), h('pre', null, JSON.stringify(exampleFor(schema, 0), null, 2))));
  }

  function permissionSection(op) {
    var perm = op['x-permission'];
    if (!perm || perm === 'public') return h('section', null, h('strong', null, 'Public'), ' — no token needed.');
    var roles = op['x-roles'] || {};
    return h('section', null, 'Permission ', h('code', null, perm),
      h('div', { class: 'chips' }, Object.keys(roles).map(function (r) { return h('span', { class: 'chip ' + roles[r] }, r + ' (' + roles[r] + ')'); })));
  }

  function field(label, required, control, hint) {
    return h('div', { class: 'field' }, h('label', null, label, required ? h('span', { class: 'req' }, ' *') : null), control, hint ? h('div', { class: 'hint' }, hint) : null);
  }
  function controlFor(schema) {
    var s = deref(schema) || {};
    if (Array.isArray(s.enum)) return h('select', null, h('option', { value: '' }, '—'), s.enum.map(function (v) { return h('option', { value: String(v) }, String(v)); }));
    return h('input', { type: 'text', class: 'mono', placeholder: s.pattern ? s.pattern : (s.type || '') });
  }

  function renderOperation(entry) {
    clear(main);
    var op = entry.op, inputs = { path: {}, query: {}, header: {} };
    add(main, h('h2', null, h('span', { class: 'method ' + entry.method }, entry.method.toUpperCase()), h('span', { class: 'path' }, entry.path)));
    add(main, h('p', null, op.summary || ''));
    add(main, permissionSection(op));
    add(main, h('section', null, markdown(op.description)));

    var params = entry.pathParams.concat(op.parameters || []).map(deref).filter(Boolean);
    var form = h('section', null, h('h4', null, 'Try it'));
    ['path', 'query', 'header'].forEach(function (where) {
      params.filter(function (p) { return p.in === where; }).forEach(function (p) {
        var control = controlFor(p.schema), extra = null;
        if (where === 'header' && /^idempotency-key$/i.test(p.name)) {
          extra = h('button', { type: 'button', onclick: function () { control.value = randomKey(); } }, 'Generate');
        }
        if (where === 'header' && /^if-match$/i.test(p.name)) {
          extra = h('button', { type: 'button', onclick: function () { if (lastEtag) control.value = lastEtag; } }, 'Use last ETag');
        }
        inputs[where][p.name] = control;
        add(form, field(p.name + (where === 'path' ? '' : ' (' + where + ')'), p.required, extra ? h('div', { class: 'row' }, control, extra) : control, [p.description, constraints(p.schema)].filter(Boolean).join(' — ')));
      });
    });

    var bodyBox = null, media = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
    if (media) {
      var bodySchema = media.schema;
      // The document's own example (valid against the schema) when it has one; else a skeleton.
      var example = function () { return JSON.stringify(media.example !== undefined ? media.example : exampleFor(bodySchema, 0), null, 2); };
      bodyBox = h('textarea', { spellcheck: 'false', 'aria-label': 'Request body' });
      bodyBox.value = example();
      add(form, field('body', op.requestBody.required, bodyBox, [
        bodySchema && bodySchema.$ref ? ['Schema ', typeNode(bodySchema), '. '] : null,
        h('button', { type: 'button', onclick: function () { bodyBox.value = example(); } }, 'Reset example'),
      ]));
    }

    var result = h('div');
    var sendButton = h('button', { type: 'button', class: 'primary' }, 'Send request');
    sendButton.addEventListener('click', function () { send(entry, inputs, bodyBox, result, sendButton); });
    add(form, h('div', { class: 'row' }, sendButton));
    add(form, result);
    add(main, form);

    var responses = op.responses || {};
    add(main, h('section', null, h('h4', null, 'Responses'), h('table', null, h('tbody', null, Object.keys(responses).map(function (status) {
      var r = deref(responses[status]) || {}, content = r.content || {}, types = Object.keys(content);
      return h('tr', null, h('td', { class: 'name' }, status), h('td', null, inline(r.description || '')),
        h('td', null, types.map(function (t) { return [h('div', { class: 'muted' }, t), content[t].schema ? typeNode(content[t].schema) : null]; })));
    })))));

    Object.keys(responses).filter(function (status) { return /^2/.test(status); }).forEach(function (status) {
      var content = (deref(responses[status]) || {}).content || {};
      Object.keys(content).filter(function (t) { return /json/.test(t) && content[t].example !== undefined; }).forEach(function (t) {
        add(main, h('section', null, h('h4', null, 'Example response ' + status), h('pre', null, JSON.stringify(content[t].example, null, 2))));
      });
    });
  }

  function send(entry, inputs, bodyBox, result, button) {
    var missing = [];
    var path = entry.path.replace(/\{([^}]+)\}/g, function (_, name) {
      var v = inputs.path[name] ? inputs.path[name].value.trim() : '';
      if (!v) missing.push(name);
      return encodeURIComponent(v);
    });
    clear(result);
    if (missing.length) { add(result, h('p', { class: 'error' }, 'Fill in: ' + missing.join(', '))); return; }
    var query = new URLSearchParams();
    Object.keys(inputs.query).forEach(function (k) { var v = inputs.query[k].value.trim(); if (v) query.append(k, v); });
    var headers = { accept: 'application/json, application/problem+json' };
    Object.keys(inputs.header).forEach(function (k) { var v = inputs.header[k].value.trim(); if (v) headers[k] = v; });
    var token = getToken();
    if (token && entry.op.security && entry.op.security.length) headers.authorization = 'Bearer ' + token;
    var init = { method: entry.method.toUpperCase(), headers: headers };
    if (bodyBox) { init.body = bodyBox.value; headers['content-type'] = 'application/json'; }
    var url = apiBase + path + (query.toString() ? '?' + query.toString() : '');
    var started = Date.now();
    button.disabled = true;
    add(result, h('p', { class: 'muted' }, init.method + ' ' + url + ' …'));
    fetch(url, init).then(function (res) {
      return res.text().then(function (text) {
        clear(result);
        var etag = res.headers.get('etag');
        if (etag) lastEtag = etag;
        add(result, h('p', null, h('span', { class: 'status ' + (res.ok ? 'ok' : 'err') }, res.status + ' ' + (res.statusText || '')),
          h('span', { class: 'muted' }, ' · ' + (Date.now() - started) + ' ms · ' + init.method + ' ' + url)));
        var rows = [];
        res.headers.forEach(function (v, k) { rows.push(h('tr', null, h('td', { class: 'name' }, k), h('td', null, v))); });
        if (rows.length) add(result, h('table', null, h('tbody', null, rows)));
        var shown = text;
        if (/json/i.test(res.headers.get('content-type') || '')) { try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* show as sent */ } }
        if (shown) add(result, h('pre', null, shown.length > 200000 ? shown.slice(0, 200000) + '\n… (truncated)' : shown));
      });
    }).catch(function (err) {
      clear(result);
      add(result, h('p', { class: 'error' }, 'Request failed: ' + (err && err.message ? err.message : String(err))));
    }).then(function () { button.disabled = false; });
  }

  function route() {
    if (!spec) return;
    var hash = location.hash;
    if (hash.indexOf('#op/') === 0) {
      var id = decodeURIComponent(hash.slice(4));
      var entry = ops.filter(function (o) { return o.op.operationId === id; })[0];
      if (entry) renderOperation(entry); else renderIntro();
    } else if (hash.indexOf('#schema/') === 0) renderSchema(decodeURIComponent(hash.slice(8)));
    else renderIntro();
    markCurrent();
    window.scrollTo(0, 0);
  }

  add(document.getElementById('auth'), tokenBar());
  finishSignIn().then(function () { return fetch(specUrl, { headers: { accept: 'application/json' } }); }).then(function (res) {
    if (!res.ok) throw new Error('HTTP ' + res.status);
    return res.json();
  }).then(function (doc) {
    spec = doc;
    var server = (spec.servers && spec.servers[0] && spec.servers[0].url) || '/';
    apiBase = new URL(server, new URL(specUrl, location.href)).href.replace(/\/+$/, '');
    document.title = ((spec.info && spec.info.title) || 'API') + ' — docs';
    var version = document.getElementById('version');
    version.textContent = spec.info && spec.info.version ? 'v' + spec.info.version : '';
    collectOps();
    signInButtons();
    renderNav('');
    route();
  }).catch(function (err) {
    clear(main);
    add(main, h('p', { class: 'error' }, 'Could not load the API description from ' + specUrl + ': ' + (err && err.message ? err.message : String(err))));
  });
  window.addEventListener('hashchange', route);
})();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const cspByOrigin = new Map<string, string>();

/**
 * The Content-Security-Policy that fits this page: nothing loads but the page itself, its one
 * script and one stylesheet (pinned by hash), and fetches to its own origin (the spec and the API)
 * and, with sign-in, to the user pool domain's token endpoint (`authOrigin`, an http(s) origin
 * validated by functions/system/sign-in.ts).
 */
export function docsPageCsp(opts: { authOrigin?: string } = {}): string {
  const key = opts.authOrigin ?? '';
  const cached = cspByOrigin.get(key);
  if (cached) return cached;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    `connect-src 'self'${opts.authOrigin ? ` ${opts.authOrigin}` : ''}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  cspByOrigin.set(key, csp);
  return csp;
}

/** Headers the `docs` operation should send with the page (`authOrigin`: see docsPageCsp). */
export function docsPageHeaders(opts: { authOrigin?: string } = {}): Record<string, string> {
  return {
    'content-security-policy': docsPageCsp(opts),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}

/**
 * The docs page. `specUrl` is where the page fetches the OpenAPI document (usually
 * `/v1/openapi.json`); relative URLs resolve against the page's own. `clientId`: the docs
 * client of the sign-in button (none: no button, tokens are pasted).
 */
export function docsPageHtml(opts: { specUrl: string; clientId?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRM API — docs</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body data-spec-url="${escapeHtml(opts.specUrl)}"${opts.clientId ? ` data-client-id="${escapeHtml(opts.clientId)}"` : ''}>
<header><h1>CRM API<small id="version"></small></h1><div id="auth"></div></header>
<div class="layout"><nav id="nav" aria-label="Operations"></nav><main id="main"><p class="muted">Loading the API description…</p></main></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
