/**
 * What a read handler costs on top of the DynamoDB requests it sends. Each GET route of the route
 * table is called once through the local gateway (which hands over the exact payload-v2.0 event it
 * built, and the requests the handler sent are recorded); then, one after the other and
 * alternating so machine load hits both alike:
 *
 *   handler  — the feature's handler module invoked in-process with that event (no HTTP, no JWT);
 *   requests — the same DynamoDB requests sent directly to the engine, in the same order.
 *
 * The ratio of the two medians is the handler's overhead budget (issue 14: ≤ 1.2×). Data: the demo
 * seed (local/seed.ts) through the API, so lists hold real pages.
 *
 *   npm run bench:overhead [-- --samples 300 --customers 20 --role manager --route /v1/customers/{id}]
 *
 * `--profile FILE` writes a CPU profile (open in Chrome DevTools) of the measured loops only: the
 * seed and the first call of each route are left out, so the profile shows per-request work.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { arg, fmtMs, fmtRatio, recordDbCommands, replayer, startLocalCrm, type Latency } from './harness';

const SAMPLES = Number(arg('samples', '300'));
const CUSTOMERS = Number(arg('customers', '20'));
const ROLE = arg('role', 'manager');
/** Only routes whose path contains this (e.g. `--route /v1/customers/{id}`). */
const ONLY = arg('route', '');
const TARGET = 1.2;
const PROFILE = arg('profile', '');
const out = (line = '') => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const crm = await startLocalCrm();
  const { ROUTES } = await import('../functions/api/routes');
  const { createGateway } = await import('../local/gateway');
  const { localIssuer } = await import('../local/jwt');
  const { lambdaContext, loadHandler } = await import('../local/lambda');
  const { resolveUser } = await import('../local/demo-users');
  const { seed } = await import('../local/seed');
  const { FEATURES } = await import('../functions/api/features');
  const { pathToFileURL } = await import('node:url');
  const { resolve } = await import('node:path');
  /** The module's own handler export, as Lambda calls it (loadHandler adds the local IAM check and log capture). */
  const bareHandler = async (feature: keyof typeof FEATURES) =>
    (await import(pathToFileURL(resolve(FEATURES[feature].entry)).href)).handler as (event: unknown, context: unknown) => Promise<unknown>;
  type Captured = { feature: Parameters<typeof loadHandler>[0]; event: unknown };
  let captured: Captured | undefined;
  const issuer = await localIssuer();
  const gateway = await createGateway({
    verifier: issuer.verifier, throttle: false,
    handlerFor: async (feature) => {
      const real = await loadHandler(feature);
      return async (event, context) => { captured = { feature, event: structuredClone(event) }; return real(event, context); };
    },
  });
  try {
    const tokenOf = (role: string, id?: string) => {
      const user = resolveUser(role as never, id);
      return issuer.signToken({ sub: user.id, email: user.email, groups: [role], username: user.username });
    };
    out(`Seeding ${CUSTOMERS} demo customers through the API …`);
    await seed({ baseUrl: gateway.url, adminToken: await tokenOf('admin'), tokenFor: (u) => tokenOf(u.role, u.id), ddb: crm.doc, tableName: crm.tableName, count: CUSTOMERS, concurrency: 2, anchor: new Date() });
    const token = await tokenOf(ROLE);
    const get = async (path: string) => {
      const res = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: await res.json().catch(() => undefined) as any };
    };

    // Fill `{param}`s from the first item of the collection route above them (/v1/deals → {id};
    // `{listId}` from an item's `listId`, else its `id`). A collection listed only under a parent
    // (/v1/contacts/{id}: /v1/customers/{id}/contacts) or empty for the role is looked up in the
    // other list routes of the same name.
    const firstIds = new Map<string, string>();
    const idIn = (body: any, param: string): string => {
      const item = Array.isArray(body?.items) ? body.items[0] : undefined;
      const id = item?.[param] ?? item?.id;
      return typeof id === 'string' && id ? id : '';
    };
    async function firstId(collection: string, param: string, template: string): Promise<string> {
      const key = `${collection} ${param}`;
      if (!firstIds.has(key)) {
        firstIds.set(key, ''); // a cycle through the fallbacks ends here
        let id = idIn((await get(collection)).body, param);
        const name = template.split('/').pop()!;
        for (const other of ROUTES) {
          if (id) break;
          if (other.method !== 'GET' || other.path === template || !other.path.includes('{') || !other.path.endsWith(`/${name}`)) continue;
          const nested = await resolvePath(other.path);
          if (nested) id = idIn((await get(nested)).body, param);
        }
        firstIds.set(key, id);
      }
      return firstIds.get(key)!;
    }
    async function resolvePath(path: string): Promise<string | undefined> {
      let resolved = '';
      let template = '';
      for (const segment of path.split('/').slice(1)) {
        if (!segment.startsWith('{')) { resolved += `/${segment}`; template += `/${segment}`; continue; }
        const id = await firstId(resolved, segment.slice(1, -1), template);
        if (!id) return undefined;
        resolved += `/${encodeURIComponent(id)}`;
        template += `/${segment}`;
      }
      return resolved;
    }

    /** Mean Node CPU per call, µs. */
    type Row = { route: string; requests: string; handler: Latency; raw: Latency; local?: Latency; cpu?: { handler: number; raw: number }; note?: string };
    const profiler = PROFILE ? new Session() : undefined;
    if (profiler) {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 100 });
    }
    const rows: Row[] = [];
    for (const route of ROUTES.filter((r) => r.method === 'GET' && r.permission !== 'public' && (!ONLY || r.path === ONLY))) {
      const path = await resolvePath(route.path);
      const label = `GET ${route.path}`;
      if (!path) { rows.push({ route: label, requests: '', handler: nan(), raw: nan(), note: 'no item to address' }); continue; }
      captured = undefined;
      let status = 0;
      const recorded = await recordDbCommands(async () => { status = (await get(path)).status; });
      if (status !== 200 || !captured) { rows.push({ route: label, requests: '', handler: nan(), raw: nan(), note: `status ${status} as ${ROLE}` }); continue; }
      if (recorded.length === 0) { rows.push({ route: label, requests: '(none)', handler: nan(), raw: nan(), note: 'sends no DynamoDB request' }); continue; }
      const { feature, event } = captured as Captured;
      const handler = await bareHandler(feature);
      const local = await loadHandler(feature);
      let replay: ReturnType<typeof replayer>;
      try {
        replay = replayer(crm.doc, recorded);
      } catch (error) {
        rows.push({ route: label, requests: recorded.map((r) => r.command).join('+'), handler: nan(), raw: nan(), note: (error as Error).message });
        continue;
      }
      // Alternate handler and raw samples so a busy moment on the machine hits both. Each side's
      // inputs (a fresh copy of the event and a Lambda context; the replayed commands) are built
      // before its clock starts: Lambda hands a handler a parsed event, and the handler builds its
      // own commands, so neither copy is the handler's work.
      const h: number[] = [];
      const r: number[] = [];
      const l: number[] = [];
      // Node CPU of each side (user + system, µs): unlike the p50s, hardly moved by other
      // processes on the machine, so it shows the handler's own work even on a loaded machine.
      const cpu = { handler: 0, raw: 0 };
      if (profiler) await profiler.post('Profiler.start');
      for (let i = 0; i < SAMPLES + 20; i++) {
        const handlerArgs = [structuredClone(event), lambdaContext(feature)] as const;
        const localArgs = [structuredClone(event), lambdaContext(feature)] as const;
        const send = replay.prepare();
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await handler(...handlerArgs);
        const t1 = performance.now();
        const c1 = process.cpuUsage();
        await send();
        const t2 = performance.now();
        const c2 = process.cpuUsage();
        await local(...localArgs);
        const t3 = performance.now();
        if (i >= 20) {
          h.push(t1 - t0); r.push(t2 - t1); l.push(t3 - t2);
          cpu.handler += c1.user + c1.system - c0.user - c0.system;
          cpu.raw += c2.user + c2.system - c1.user - c1.system;
        }
      }
      if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        // One profile per route: the given file with --route, else FILE.<n>.cpuprofile in table order.
        writeFileSync(ONLY ? PROFILE : PROFILE.replace(/(\.cpuprofile)?$/, `.${rows.length}.cpuprofile`), JSON.stringify(profile));
      }
      rows.push({ route: label, requests: recorded.map((c) => c.command.replace(/Command$/, '')).join('+') || '(none)', handler: stats(h), raw: stats(r), local: stats(l), cpu: { handler: cpu.handler / SAMPLES, raw: cpu.raw / SAMPLES } });
    }

    out(`\nHandler overhead, ${SAMPLES} alternating samples per route as ${ROLE} (load average ${loadavg().map((n) => n.toFixed(1)).join(' ')})\n`);
    out('"handler" = the module\'s handler export as Lambda calls it; "+ local runtime" = through local/lambda.ts (local IAM check, log capture).\n');
    out('"Node CPU" = mean CPU of this process per call (µs; DynamoDB Local\'s own CPU is not in it): the handler\'s own work is the difference.\n');
    out('| route | DynamoDB requests | handler p50 (ms) | requests alone p50 (ms) | ratio | handler p99 | requests p99 | + local runtime p50 (ratio) | Node CPU handler / requests (µs) |');
    out('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      const ratio = row.handler.p50 / row.raw.p50;
      out(`| ${row.route} | ${row.requests} | ${fmtMs(row.handler.p50)} | ${fmtMs(row.raw.p50)} | ${row.note ?? `${fmtRatio(ratio)}${ratio > TARGET ? ' ✗' : ''}`} | ${fmtMs(row.handler.p99)} | ${fmtMs(row.raw.p99)} | ${row.local ? `${fmtMs(row.local.p50)} (${fmtRatio(row.local.p50 / row.raw.p50)})` : '–'} | ${row.cpu ? `${row.cpu.handler.toFixed(0)} / ${row.cpu.raw.toFixed(0)} (+${(row.cpu.handler - row.cpu.raw).toFixed(0)})` : '–'} |`);
    }
    const measured = rows.filter((row) => !row.note && row.raw.p50 > 0);
    const ratios = measured.map((row) => row.handler.p50 / row.raw.p50).sort((a, b) => a - b);
    const extraCpu = measured.filter((row) => row.cpu).map((row) => row.cpu!.handler - row.cpu!.raw).sort((a, b) => a - b);
    out(`\nHandler's own Node CPU per call (handler − requests): median ${extraCpu[Math.floor(extraCpu.length / 2)]?.toFixed(0) ?? '–'} µs.`);
    out(`${measured.length} routes; median ratio ${fmtRatio(ratios[Math.floor(ratios.length / 2)] ?? NaN)}, worst ${fmtRatio(ratios[ratios.length - 1] ?? NaN)}; target ≤ ${TARGET}×, `
      + `${ratios.filter((x) => x <= TARGET).length} of ${measured.length} within.`);
  } finally {
    await gateway.close();
    await crm.stop();
  }
}

function nan(): Latency { return { p50: NaN, p99: NaN, n: 0 }; }
function stats(ms: number[]): Latency {
  const s = [...ms].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
  return { p50: at(50), p99: at(99), n: s.length };
}

await main();
