/**
 * The `/dashboard` page: one self-contained HTML document (no CDN, no external file) that fetches
 * `GET /v1/reports/dashboard` with the user's own token and draws the figures as inline SVG bar
 * charts. The token is the one the docs page keeps for this tab (sessionStorage `crm.docs.token`:
 * sign in or paste it on /docs) or one pasted here; it never leaves the page except in the
 * Authorization header to the page's own origin. Every value is written with textContent or as an
 * SVG attribute, never as HTML. Script and style are static and pinned by hash in the CSP (computed
 * from the very text served, below). The service and campaign sections are drawn when the API
 * sends them (null for a caller who may not read them).
 */
import { createHash } from 'node:crypto';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
header { background: #1d2430; color: #fff; padding: 10px 16px; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 16px; margin: 0 12px 0 0; }
header input { padding: 4px 6px; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; padding: 16px; }
section { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
section h2 { font-size: 15px; margin: 0 0 8px; }
.muted { color: #667; } .error { color: #b00020; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2430; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eee; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var TOKEN_KEY = 'crm.docs.token';
  var SVG = 'http://www.w3.org/2000/svg';
  var $ = function (id) { return document.getElementById(id); };
  function token() { try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch (e) { return ''; } }
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
  function money(m) { return (m.amount / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 }) + ' ' + m.currency; }
  function pct(r) { return r === null || r === undefined ? '–' : (Math.round(r * 1000) / 10) + ' %'; }
  /** Horizontal bars: rows of { label, value, text }. */
  function bars(rows) {
    var max = rows.reduce(function (m, r) { return Math.max(m, r.value); }, 0) || 1;
    var h = 22, w = 560, lw = 180;
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + Math.max(h, rows.length * h));
    svg.setAttribute('width', '100%'); svg.setAttribute('role', 'img');
    rows.forEach(function (r, i) {
      var y = i * h;
      var label = document.createElementNS(SVG, 'text'); label.setAttribute('x', '0'); label.setAttribute('y', String(y + 15)); label.textContent = r.label; svg.appendChild(label);
      var rect = document.createElementNS(SVG, 'rect');
      rect.setAttribute('x', String(lw)); rect.setAttribute('y', String(y + 4)); rect.setAttribute('height', '14');
      rect.setAttribute('width', String(Math.max(1, (w - lw - 140) * r.value / max))); rect.setAttribute('fill', r.color || '#3b6fd8');
      svg.appendChild(rect);
      var t = document.createElementNS(SVG, 'text'); t.setAttribute('x', String(lw + (w - lw - 140) * r.value / max + 6)); t.setAttribute('y', String(y + 15)); t.textContent = r.text; svg.appendChild(t);
    });
    return rows.length ? svg : el('p', 'No data for this period.', 'muted');
  }
  function section(title, body) { var s = el('section'); s.appendChild(el('h2', title)); s.appendChild(body); return s; }
  function render(d) {
    var main = $('charts'); main.textContent = '';
    var pipe = [];
    d.pipeline.forEach(function (p) { p.stages.forEach(function (s) { pipe.push({ label: p.name + ' · ' + s.name, value: s.value.reduce(function (n, v) { return n + v.amount; }, 0), text: s.deals + ' deals, ' + (s.value.map(money).join(', ') || '0') }); }); });
    main.appendChild(section('Open pipeline by stage', bars(pipe)));
    var f = d.funnel;
    main.appendChild(section('Funnel: lead → deal → won (' + d.period + ')', bars([
      { label: 'Leads created', value: f.leadsCreated, text: String(f.leadsCreated) },
      { label: 'Leads converted', value: f.leadsConverted, text: f.leadsConverted + ' (' + pct(f.leadToDeal) + ')', color: '#5a8f3c' },
      { label: 'Deals created', value: f.dealsCreated, text: String(f.dealsCreated) },
      { label: 'Deals won', value: f.dealsWon, text: f.dealsWon + ' (win rate ' + pct(f.dealToWon) + ')', color: '#5a8f3c' },
      { label: 'Deals lost', value: f.dealsLost, text: String(f.dealsLost), color: '#b5533c' }
    ])));
    main.appendChild(section('Revenue by month', bars(d.revenue.byMonth.map(function (r) { return { label: r.month + ' ' + r.currency, value: r.amount, text: money(r) + ' · ' + r.deals + ' deals' }; }))));
    main.appendChild(section('Revenue by owner', bars(d.revenue.byOwner.map(function (r) { return { label: r.ownerId.slice(0, 24), value: r.amount, text: money(r) }; }))));
    var table = el('table'); var head = el('tr');
    ['Owner', 'Closed won', 'Commit', 'Weighted', 'Quota', 'Attainment'].forEach(function (c) { head.appendChild(el('th', c)); }); table.appendChild(head);
    d.forecast.forEach(function (r) {
      var tr = el('tr'); tr.appendChild(el('td', r.ownerId.slice(0, 24)));
      [money({ amount: r.closedWon, currency: r.currency }), money({ amount: r.commit, currency: r.currency }), money({ amount: r.weighted, currency: r.currency }), r.quota ? money(r.quota) : '–', pct(r.attainment)].forEach(function (v) { tr.appendChild(el('td', v, 'n')); });
      table.appendChild(tr);
    });
    main.appendChild(section('Forecast vs quota', d.forecast.length ? table : el('p', 'No forecast for this period.', 'muted')));
    main.appendChild(section('Customers by tier (' + d.customers.live + ' live, ' + d.customers.archived + ' archived)', bars(d.customers.byTier.map(function (t) { return { label: 'Tier ' + t.tier, value: t.customers, text: String(t.customers) }; }))));
    main.appendChild(section('Customers by lifecycle stage', bars(d.customers.byLifecycleStage.map(function (t) { return { label: t.lifecycleStage, value: t.customers, text: String(t.customers) }; }))));
    if (d.service) {
      var sla = d.service.sla, fr = d.service.firstResponse, cs = d.service.csat;
      main.appendChild(section('Service: SLA compliance (' + d.period + ')', bars([
        { label: 'Tickets resolved', value: sla.resolved, text: String(sla.resolved) },
        { label: 'Resolved within SLA', value: sla.compliant, text: sla.compliant + ' (' + pct(sla.compliance) + ')', color: '#5a8f3c' },
        { label: 'First responses in time', value: fr.withinTarget, text: fr.withinTarget + ' of ' + fr.count + ' (' + pct(fr.compliance) + ')', color: '#5a8f3c' },
        { label: 'SLA breaches', value: sla.breaches.total, text: sla.breaches.total + ' (first response ' + sla.breaches.firstResponse + ', resolution ' + sla.breaches.resolution + ')', color: '#b5533c' }
      ])));
      main.appendChild(section('Satisfaction: ' + cs.responses + ' of ' + cs.surveys + ' surveys answered, average ' + (cs.average === null ? '–' : cs.average) + ', ' + pct(cs.satisfaction) + ' rated 4–5',
        bars(cs.responses ? ['5', '4', '3', '2', '1'].map(function (r) { var n = cs.distribution[r] || 0; return { label: 'Rating ' + r, value: n, text: String(n), color: r > '3' ? '#5a8f3c' : r < '3' ? '#b5533c' : undefined }; }) : [])));
    }
    if (d.campaigns) {
      var ct = el('table'); var ch = el('tr');
      ['Campaign', 'Sent', 'Delivered', 'Opened', 'Clicked', 'Bounced', 'Unsubscribed'].forEach(function (c) { ch.appendChild(el('th', c)); }); ct.appendChild(ch);
      var row = function (name, r) {
        var tr = el('tr'); tr.appendChild(el('td', name));
        [String(r.sent), r.delivered + ' (' + pct(r.rates.delivery) + ')', r.opened + ' (' + pct(r.rates.open) + ')', r.clicked + ' (' + pct(r.rates.click) + ')', r.bounced + ' (' + pct(r.rates.bounce) + ')', r.unsubscribed + ' (' + pct(r.rates.unsubscribe) + ')'].forEach(function (v) { tr.appendChild(el('td', v, 'n')); });
        ct.appendChild(tr);
      };
      d.campaigns.items.forEach(function (c) { row(c.name.slice(0, 40), c); });
      if (d.campaigns.items.length > 1) row('All ' + d.campaigns.totals.campaigns, d.campaigns.totals);
      main.appendChild(section('Campaigns sent in ' + d.period + (d.campaigns.truncated ? ' (the most recent only)' : ''), d.campaigns.items.length ? ct : el('p', 'No campaign sent in this period.', 'muted')));
    }
  }
  function load() {
    var status = $('status'); var t = $('token').value.trim().replace(/^Bearer\\s+/i, '') || token();
    if (!t) { status.textContent = 'Paste a token (npm run --silent token -- manager) or sign in on /docs.'; status.className = 'error'; return; }
    try { sessionStorage.setItem(TOKEN_KEY, t); } catch (e) { /* storage disabled */ }
    status.textContent = 'Loading…'; status.className = 'muted';
    fetch('/v1/reports/dashboard?period=' + encodeURIComponent($('period').value.trim()), { headers: { authorization: 'Bearer ' + t } })
      .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
      .then(function (r) {
        if (!r.ok) { status.textContent = (r.body && (r.body.detail || r.body.title || r.body.message)) || 'Request failed'; status.className = 'error'; return; }
        status.textContent = r.body.ownerId ? 'Figures of ' + r.body.ownerId : 'Everyone\\'s figures'; status.className = 'muted';
        try { render(r.body); } catch (e) { status.textContent = 'The figures could not be drawn: ' + (e && e.message); status.className = 'error'; }
      })
      .catch(function () { status.textContent = 'The API did not answer.'; status.className = 'error'; });
  }
  var now = new Date();
  $('period').value = now.getUTCFullYear() + '-Q' + (Math.floor(now.getUTCMonth() / 3) + 1);
  $('load').addEventListener('click', load);
  if (token()) load();
})();
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

let csp: string | undefined;

/** Nothing loads but the page, its one script and stylesheet (by hash), and fetches to its own origin. */
export function dashboardPageCsp(): string {
  csp ??= [
    "default-src 'none'",
    `script-src ${sha256(SCRIPT)}`,
    `style-src ${sha256(STYLE)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return csp;
}

export function dashboardPageHeaders(): Record<string, string> {
  return {
    'content-security-policy': dashboardPageCsp(),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}

export function dashboardPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRM dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>CRM dashboard</h1>
<label>Period <input id="period" size="8" aria-label="Period (2026-Q4 or 2026-11)"></label>
<input id="token" type="password" placeholder="Bearer token (or sign in on /docs)" autocomplete="off" aria-label="Bearer token" size="36">
<button id="load" type="button">Show</button>
<span id="status" class="muted" role="status"></span>
</header>
<main id="charts"></main>
<script>${SCRIPT}</script>
</body>
</html>`;
}
