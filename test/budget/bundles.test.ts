/**
 * Cold-start budget. Every function's bundle, built exactly as CDK ships it (lib/bundling.ts: AWS
 * SDK bundled, minified ESM), is loaded by a fresh Node process up to its `handler` export, and
 * the CPU time from process start to that point — what Lambda reports as Init Duration, minus its
 * runtime client — must stay within BUDGET × that of a baseline bundle holding only the DynamoDB
 * document client (test/budget/baseline-handler.ts); TARGET is where issue 7 wants it.
 *
 * A ratio rather than milliseconds or kilobytes, so the budget means the same on a laptop, a CI
 * runner and a loaded machine; CPU time rather than wall time, because it hardly moves when other
 * processes compete for the cores; baseline and function runs interleaved so load hits both; and a
 * function fails only when it is over budget in three rounds out of four (test/budget/cold-start.ts).
 * A copy of the baseline is measured too, as a control that the harness sees no difference where
 * there is none.
 *
 * Prints a table per function: shipped size, source-map size, median startup CPU and ratio, the
 * import's own CPU ratio, and the largest contributors. Figures and background: docs/performance.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES, FEATURE_NAMES, type FeatureName } from '../../functions/api/features';
import { ESBUILD_OPTIONS } from '../../lib/bundling';
import { BASELINE_ENTRY, type Bundle, buildBundle, compareToBaseline, kb, type Summary, summarize } from './cold-start';

/**
 * Issue 7's budget for startup CPU of a function ÷ that of the baseline, enforced on the lower
 * quartile of the rounds (a function fails when it is over in three rounds out of four). Functions
 * are split (lib/bundling.ts): what only some paths need — the S3, SES and SMS clients, handlebars,
 * markdown-it, the Parquet writer, csv-parse, postal-mime, the SDK's credential providers — is in
 * chunks loaded on first use, and schemas are built on first use (schemas/once.ts). Any function
 * that grows by ≈ 0.1 — a library imported statically, a feature's schemas built at load again,
 * an SDK client imported outside functions/aws/sdk.ts — fails. The test runs alone, after every
 * other test file (vitest.config.ts): beside another file the ratios move by ±0.1.
 */
const BUDGET = 1.25;
const TARGET = BUDGET;
const ROUNDS = 7;
/** Rounds added for a function whose gate came out over its limit (judged on all ROUNDS + AGAIN). */
const AGAIN = 3 * ROUNDS;

/**
 * Functions allowed over BUDGET for now, each with the reason and the fix (docs/performance.md).
 * The table says when one comes within budget: then remove it here.
 */
const ALLOWANCES: Partial<Record<FeatureName, { ratio: number; why: string }>> = {
  // A recorded miss of the 1.25× budget, not an accepted figure. Code splitting (1 December 2026)
  // brought exports, exports-worker, imports, imports-worker, inbound-mail, jobs, kb, service-desk,
  // signup and tickets within budget: gates 1.17–1.25 in this test at load 27 on two cores (control
  // 0.95), and 1.03–1.26 against 1.38–1.63 built as one file, both builds in one interleaved run at
  // load 30 (docs/performance.md). portal was the one still at the edge in both runs:
  //
  // AT THE EDGE, measured alone on an idle machine on 1 December 2026 (four runs: the clean-clone
  // CI run and three runs of this file; median ratios 1.20–1.39 and gates up to 1.29): these
  // functions' lower quartile crossed 1.25 in at least one run, and their medians sit at or above
  // it. Common to all: zod (30–37 KB), the Powertools logger (≈ 23 KB with commons), our data and
  // http layers (≈ 42 KB) and the Secrets Manager client for cursors (13 KB) evaluated at init.
  // The next lever is shared by every function: a smaller logger or lazy schemas (docs/performance.md).
  imports: { ratio: 1.4, why: 'AT THE EDGE: gates 1.04–1.29 in four runs (medians 1.23–1.39); the import API\'s services and schemas at init' },
  'imports-worker': { ratio: 1.4, why: 'AT THE EDGE: gates 1.09–1.27 (medians 1.32); customers, leads, products and list services with their schemas at init' },
  merge: { ratio: 1.4, why: 'AT THE EDGE: gates 1.23–1.25 (medians 1.25–1.26); the customers, activities and custom-field services at init' },
  pipelines: { ratio: 1.4, why: 'AT THE EDGE: gates 1.16–1.28 (medians 1.20–1.33); the shared layers above on a small feature' },
  signup: { ratio: 1.4, why: 'AT THE EDGE: gates 1.09–1.23 (medians 1.25–1.37); the leads service and consent code at init' },
  leads: { ratio: 1.4, why: 'AT THE EDGE: gates 1.07–1.25 (medians 1.23–1.32); 419 KB at init, the leads and conversion services' },
  tasks: { ratio: 1.4, why: 'AT THE EDGE: gates 1.16–1.22 (medians 1.20–1.32)' },
  webhooks: { ratio: 1.4, why: 'AT THE EDGE: gates 1.16–1.24 (medians 1.24–1.34)' },
  marketing: { ratio: 1.4, why: 'AT THE EDGE: gates 1.03–1.26 (medians 1.16–1.39); 443 KB at init, the campaign, segment and consent services' },
  portal: { ratio: 1.45, why: 'AT THE EDGE (gates 1.23 and 1.32 at load 27–30, 1.81 before code splitting): 445 KB at init — the ticket, service-desk, KB and task services with their repositories come in with every portal route; load the rarely used routes\' services on first use (an import() no longer wraps the DynamoDB package index with splitting) and measure on an idle machine' },
};

const CONTROL = 'baseline (copy)';
const outRoot = mkdtempSync(path.join(tmpdir(), 'crm-bundles-'));
const bundles = new Map<FeatureName, Bundle | Error>();
const summaries = new Map<string, Summary>();

const limitOf = (name: FeatureName) => ALLOWANCES[name]?.ratio ?? BUDGET;

beforeAll(async () => {
  const baseline = await buildBundle('baseline', BASELINE_ENTRY, outRoot);
  const control = await buildBundle('baseline-copy', BASELINE_ENTRY, outRoot);
  await Promise.all(FEATURE_NAMES.map(async (name) => {
    bundles.set(name, await buildBundle(name, FEATURES[name].entry, outRoot).catch((error: Error) => error));
  }));
  const subjects = [
    { name: CONTROL, file: control.file },
    ...FEATURE_NAMES.flatMap((name) => {
      const bundle = bundles.get(name);
      return bundle instanceof Error ? [] : [{ name, file: bundle!.file }];
    }),
  ];
  const started = Date.now();
  const results = await compareToBaseline(baseline.file, subjects, ROUNDS);
  for (const [name, comparison] of results) summaries.set(name, summarize(comparison));
  // A gate over the limit is measured again with as many rounds more, and judged on all of them:
  // on two busy cores a function near the limit crosses it in one run of three by noise alone
  // (gates move by ±0.1 between clean-clone runs), while a real regression stays over it.
  const suspects = subjects.filter((s) => s.name !== CONTROL && summaries.get(s.name)!.gateRatio > limitOf(s.name as FeatureName));
  if (suspects.length > 0) {
    const again = await compareToBaseline(baseline.file, suspects, AGAIN);
    for (const [name, comparison] of again) {
      const all = { pairs: [...results.get(name)!.pairs, ...comparison.pairs] };
      summaries.set(name, summarize(all));
    }
    console.log(`Measured again (${AGAIN} more rounds, judged on all ${ROUNDS + AGAIN}): ${suspects.map((s) => s.name).join(', ')}`);
  }

  const top = (bundle: Bundle) => bundle.contributors.slice(0, 3).map((c) => `${c.name} ${kb(c.bytes)}`).join(', ');
  const lazy = (bundle: Bundle) => kb(bundle.lazyChunks.reduce((sum, c) => sum + c.bytes, 0));
  const row = (name: string, bundle: Bundle, s: Summary, note = '') =>
    `  ${name.padEnd(18)} ${kb(bundle.bytes).padStart(10)} ${lazy(bundle).padStart(10)} ${kb(bundle.mapBytes).padStart(10)} ${s.startupCpuMs.toFixed(1).padStart(8)} ${s.ratio.toFixed(2).padStart(6)} ${s.gateRatio.toFixed(2).padStart(6)} ${s.minRatio.toFixed(2).padStart(5)} ${s.importRatio.toFixed(2).padStart(7)}  ${note.padEnd(24)} ${top(bundle)}`;
  const rows = FEATURE_NAMES.map((name) => {
    const bundle = bundles.get(name)!;
    if (bundle instanceof Error) return `  ${name.padEnd(18)} build failed: ${bundle.message}`;
    const s = summaries.get(name)!;
    const allowance = ALLOWANCES[name];
    const note = s.gateRatio > limitOf(name) ? 'OVER BUDGET'
      : allowance && s.ratio <= TARGET ? 'within target: drop allowance'
      : allowance ? `allowance ${allowance.ratio}`
      : s.ratio > TARGET ? `over target ${TARGET}` : '';
    return row(name, bundle, s, note);
  });
  console.log([
    'Cold start: each bundle as shipped (minified ESM, AWS SDK bundled) loaded by a fresh Node process up to its handler,',
    `as a ratio to the baseline (DynamoDB document client only); ${ROUNDS} interleaved rounds in ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    `Budget: startup CPU (process start → handler ready) ≤ ${BUDGET}× the baseline, checked on the lower quartile ("gate"); target ${TARGET}×.`,
    `  ${'function'.padEnd(18)} ${'at init'.padStart(10)} ${'lazy'.padStart(10)} ${'map'.padStart(10)} ${'cpu ms'.padStart(8)} ${'ratio'.padStart(6)} ${'gate'.padStart(6)} ${'min'.padStart(5)} ${'import'.padStart(7)}  ${''.padEnd(24)} largest contributors`,
    `  ${'baseline'.padEnd(18)} ${kb(baseline.bytes).padStart(10)} ${lazy(baseline).padStart(10)} ${kb(baseline.mapBytes).padStart(10)} ${summaries.get(CONTROL)!.baselineStartupCpuMs.toFixed(1).padStart(8)} ${'1.00'.padStart(6)} ${''.padStart(6)} ${'1.00'.padStart(7)}  ${''.padEnd(24)} ${top(baseline)}`,
    row(CONTROL, control, summaries.get(CONTROL)!, 'control: should be ≈ 1'),
    ...rows,
    '  (at init: the entry file and the chunks it imports statically; lazy: chunks loaded by import() on first use;',
    '   cpu ms: median startup CPU; ratio: median ratio to the baseline; gate: lower quartile; import: median ratio of the import alone)',
    'Largest chunks loaded on first use:',
    ...FEATURE_NAMES.flatMap((name) => {
      const bundle = bundles.get(name);
      if (!bundle || bundle instanceof Error) return [];
      // The SDK's credential providers are split out of every function; name what is specific.
      const own = bundle.lazyChunks.filter((c) => c.bytes >= 20 * 1024 && !/^chunks\/(bowser|sts|sso-oidc|signin|loadSso|event-streams|dist-es|chunk)-/.test(c.file));
      return own.length > 0 ? [`  ${name.padEnd(18)} ${own.map((c) => `${c.file.replace(/^chunks\/|-[A-Z0-9]+\.mjs$/g, '')} ${kb(c.bytes)}`).join(', ')}`] : [];
    }),
  ].join('\n'));
}, 600_000);

afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe('cold-start budget', () => {
  it('measures no difference between two copies of the same bundle (the harness is sound)', () => {
    const control = summaries.get(CONTROL)!;
    expect(control.ratio).toBeGreaterThan(0.85);
    expect(control.ratio).toBeLessThan(1.15);
  });

  it('bundles the AWS SDK (nothing external but Node built-ins)', () => {
    expect(ESBUILD_OPTIONS.external).toEqual([]);
    for (const name of FEATURE_NAMES) {
      const bundle = bundles.get(name);
      if (bundle instanceof Error) throw bundle;
      // A function that talks to DynamoDB carries the client in its own bundle.
      if ((FEATURES[name] as { table?: unknown }).table) expect(bundle!.contributors.map((c) => c.name), name).toContain('@aws-sdk/client-dynamodb');
    }
  });

  it.each(FEATURE_NAMES)(`%s initialises within its budget (${BUDGET}× the baseline unless allowed more)`, (name) => {
    const bundle = bundles.get(name);
    if (bundle instanceof Error) throw bundle;
    expect(summaries.get(name)!.gateRatio).toBeLessThanOrEqual(limitOf(name));
  });
});
