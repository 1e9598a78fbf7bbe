/**
 * The measurements behind docs/performance.md, run by hand (minutes on a busy machine; not part of
 * `npm test`):
 *
 *   npx tsx test/budget/compare-cold-start.ts [rounds=7] [function …]
 *
 * For each function, median module init time and its ratio to the baseline for: the shipped
 * bundle; the same with `--enable-source-maps`; the bundle with the AWS SDK left external (what
 * Lambda loads from its own runtime when `@aws-sdk/*` is not bundled — here resolved from
 * node_modules); the bundle as one file, without code splitting (lib/bundling.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FEATURES, FEATURE_NAMES } from '../../functions/api/features';
import { BASELINE_ENTRY, buildBundle, compareToBaseline, kb, summarize } from './cold-start';

const [roundsArg, ...only] = process.argv.slice(2);
const rounds = Number(roundsArg ?? 7);
const names = only.length ? only : [...FEATURE_NAMES];
const outRoot = mkdtempSync(path.join(tmpdir(), 'crm-cold-start-'));

try {
  const baseline = await buildBundle('baseline', BASELINE_ENTRY, outRoot);
  const shipped = await Promise.all(names.map((name) => buildBundle(name, FEATURES[name as keyof typeof FEATURES].entry, outRoot)));
  const oneFile = await Promise.all(names.map((name) => buildBundle(`${name}-one-file`, FEATURES[name as keyof typeof FEATURES].entry, outRoot, { splitting: false })));
  // Built in the repository so the external SDK resolves from its node_modules.
  const externalRoot = mkdtempSync(path.join(process.cwd(), '.cold-start-external-'));
  try {
    const external = await Promise.all(names.map((name) => buildBundle(name, FEATURES[name as keyof typeof FEATURES].entry, externalRoot, { external: ['@aws-sdk/*'] })));
    const started = Date.now();
    const subjects = names.flatMap((name, i) => [
      { name: `${name}`, file: shipped[i]!.file },
      { name: `${name} +source-maps`, file: shipped[i]!.file, nodeFlags: ['--enable-source-maps'] },
      { name: `${name} external-sdk`, file: external[i]!.file },
      { name: `${name} one-file`, file: oneFile[i]!.file },
    ]);
    const results = await compareToBaseline(baseline.file, subjects, rounds);
    console.log(`${rounds} rounds in ${((Date.now() - started) / 1000).toFixed(0)} s; baseline ${kb(baseline.bytes)} (map ${kb(baseline.mapBytes)})`);
    console.log(`${'function'.padEnd(34)} ${'size'.padStart(10)} ${'map'.padStart(10)} ${'start cpu'.padStart(10)} ${'ratio'.padStart(6)} ${'import cpu'.padStart(11)} ${'ratio'.padStart(6)} ${'wall ms'.padStart(8)} ${'wall×'.padStart(6)}`);
    for (const [i, name] of names.entries()) {
      for (const [suffix, bundle] of [['', shipped[i]!], [' +source-maps', shipped[i]!], [' external-sdk', external[i]!], [' one-file', oneFile[i]!]] as const) {
        const s = summarize(results.get(`${name}${suffix}`)!);
        console.log(`${(name + suffix).padEnd(34)} ${kb(bundle.bytes).padStart(10)} ${kb(bundle.mapBytes).padStart(10)} ${s.startupCpuMs.toFixed(1).padStart(10)} ${s.ratio.toFixed(2).padStart(6)} ${s.cpuMs.toFixed(1).padStart(11)} ${s.importRatio.toFixed(2).padStart(6)} ${s.importMs.toFixed(1).padStart(8)} ${s.wallRatio.toFixed(2).padStart(6)}`);
      }
    }
    const base = summarize(results.get(`${names[0]}`)!);
    console.log(`baseline: start cpu ${base.baselineStartupCpuMs.toFixed(1)} ms, import cpu ${base.baselineCpuMs.toFixed(1)} ms`);
  } finally {
    rmSync(externalRoot, { recursive: true, force: true });
  }
} finally {
  rmSync(outRoot, { recursive: true, force: true });
}
