import path from 'node:path';
import { FEATURES, FEATURE_NAMES } from './functions/api/features';
import { BASELINE_ENTRY, buildBundle, compareToBaseline, kb, quantile, summarize } from './test/budget/cold-start';
const rounds = Number(process.argv[2] ?? 4);
const only = process.argv.slice(3);
const names = only.length ? only : [...FEATURE_NAMES];
const out = `/tmp/cs/cmp-${process.pid}`;
const baseline = await buildBundle('baseline', BASELINE_ENTRY, out);
const baseOne = await buildBundle('baseline-one', BASELINE_ENTRY, out, { splitting: false });
const split = await Promise.all(names.map((n) => buildBundle(n, FEATURES[n as keyof typeof FEATURES].entry, out)));
const one = await Promise.all(names.map((n) => buildBundle(`${n}-one`, FEATURES[n as keyof typeof FEATURES].entry, out, { splitting: false })));
const subjects = [{ name: 'baseline-one', file: baseOne.file }, ...names.flatMap((n, i) => [{ name: n, file: split[i]!.file }, { name: `${n}-one`, file: one[i]!.file }])];
const t = Date.now();
const res = await compareToBaseline(baseline.file, subjects, rounds);
console.log(`${rounds} rounds ${((Date.now() - t) / 1000).toFixed(0)} s; baseline(split) ${kb(baseline.bytes)}, baseline(one file) ${kb(baseOne.bytes)}`);
const s0 = summarize(res.get('baseline-one')!);
console.log(`baseline-one ratio ${s0.ratio.toFixed(2)} gate ${s0.gateRatio.toFixed(2)} base cpu ${s0.baselineStartupCpuMs.toFixed(1)}`);
console.log(`${'function'.padEnd(22)} ${'one-file'.padStart(10)} ratio  gate | ${'split init'.padStart(10)} ${'lazy'.padStart(9)} ratio  gate  static-chunks`);
for (const [i, n] of names.entries()) {
  const a = summarize(res.get(`${n}-one`)!), b = summarize(res.get(n)!);
  console.log(`${n.padEnd(22)} ${kb(one[i]!.bytes).padStart(10)} ${a.ratio.toFixed(2)}  ${a.gateRatio.toFixed(2)} | ${kb(split[i]!.bytes).padStart(10)} ${kb(split[i]!.lazyChunks.reduce((x, c) => x + c.bytes, 0)).padStart(9)} ${b.ratio.toFixed(2)}  ${b.gateRatio.toFixed(2)}`);
}
