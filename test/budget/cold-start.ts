/**
 * Building function bundles exactly as they ship (lib/bundling.ts) and measuring their module
 * init time: a fresh Node process imports the bundle up to its `handler` export. Shared by the
 * budget test (test/budget/cold-start.test.ts) and the comparison script
 * (test/budget/compare-cold-start.ts) whose figures are in docs/performance.md.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { ESBUILD_OPTIONS } from '../../lib/bundling';
import { REPO_ROOT } from '../../lib/paths';

export const BASELINE_ENTRY = 'test/budget/baseline-handler.ts';

export interface Bundle {
  name: string;
  /** The entry file, which the function's runtime imports. */
  file: string;
  /** Bytes read at init: the entry file and the chunks it imports statically. */
  bytes: number;
  /** Source-map bytes of those files. */
  mapBytes: number;
  /** Chunks loaded only through `import()` (on first use), largest first. */
  lazyChunks: { file: string; bytes: number }[];
  /** Packages (or source folders) by bytes in the files read at init, largest first. */
  contributors: { name: string; bytes: number }[];
}

/**
 * Builds `entry` (relative to the repository root) into `outRoot/name/`: the entry file plus, with
 * code splitting (lib/bundling.ts), the chunks it imports statically or by `import()`.
 */
export async function buildBundle(name: string, entry: string, outRoot: string, overrides: BuildOptions = {}): Promise<Bundle> {
  const outdir = path.join(outRoot, name);
  const result = await build({
    ...ESBUILD_OPTIONS,
    external: [...ESBUILD_OPTIONS.external],
    ...overrides,
    entryPoints: [path.join(REPO_ROOT, entry)],
    outdir,
    absWorkingDir: REPO_ROOT,
    logLevel: 'silent',
    metafile: true,
  });
  const outputs = new Map(Object.entries(result.metafile.outputs).filter(([file]) => /\.m?js$/.test(file)));
  // Modules reached by `import()` are entry points of their own chunks too: pick the real one.
  const entries = [...outputs].filter(([, output]) => output.entryPoint === path.normalize(entry));
  if (entries.length !== 1) throw new Error(`${name}: expected one entry file, got ${entries.length}`);
  // What Node evaluates at init: the entry and, transitively, every chunk it imports statically.
  const atInit = new Set<string>();
  const visit = (file: string) => {
    if (atInit.has(file)) return;
    atInit.add(file);
    for (const imported of outputs.get(file)?.imports ?? []) if (imported.kind === 'import-statement' && outputs.has(imported.path)) visit(imported.path);
  };
  visit(entries[0]![0]);
  const bySource = new Map<string, number>();
  let bytes = 0;
  let mapBytes = 0;
  const lazyChunks: Bundle['lazyChunks'] = [];
  for (const [relative, output] of outputs) {
    const file = path.resolve(REPO_ROOT, relative);
    if (!atInit.has(relative)) {
      lazyChunks.push({ file: path.relative(outdir, file), bytes: output.bytes });
      continue;
    }
    bytes += statSync(file).size;
    try { mapBytes += statSync(`${file}.map`).size; } catch { /* built without a map */ }
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
      const key = pkg ?? input.split('/').slice(0, 2).join('/');
      bySource.set(key, (bySource.get(key) ?? 0) + bytesInOutput);
    }
  }
  return {
    name,
    file: path.resolve(REPO_ROOT, entries[0]![0]),
    bytes,
    mapBytes,
    lazyChunks: lazyChunks.sort((a, b) => b.bytes - a.bytes),
    contributors: [...bySource].map(([source, bytes]) => ({ name: source, bytes })).sort((a, b) => b.bytes - a.bytes),
  };
}

export interface InitSample {
  /**
   * CPU time (user + system, all threads) from process start until the handler is ready: what
   * Lambda reports as Init Duration (runtime start and module load), minus the runtime client.
   * The budget is on this: init is CPU-bound, and unlike wall time, CPU time hardly moves when
   * other processes compete for the cores.
   */
  startupCpuMs: number;
  /** CPU time of the import alone. */
  cpuMs: number;
  /** Wall time from the start of the import to the handler export being available. */
  importMs: number;
  /** From process start (performance.timeOrigin) to the handler being available. */
  readyMs: number;
}

/** What a function sees at init in AWS, minus anything that would reach the network. */
const CHILD_ENV = {
  AWS_REGION: 'eu-west-1',
  TABLE_NAME: 'crm-cold-start',
  STAGE: 'cold-start',
  POWERTOOLS_SERVICE_NAME: 'crm-cold-start',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

const PROBE = [
  'const cpu = process.cpuUsage();',
  'const t = performance.now();',
  'const m = await import(process.argv[1]);',
  "if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(3); }",
  'const ready = performance.now();',
  'const used = process.cpuUsage(cpu);',
  'const total = process.cpuUsage();',
  'process.stdout.write(JSON.stringify({ startupCpuMs: (total.user + total.system) / 1000, cpuMs: (used.user + used.system) / 1000, importMs: ready - t, readyMs: ready }));',
].join(' ');

/** One fresh process importing `file`; `nodeFlags` e.g. ['--enable-source-maps']. */
export function measureInit(file: string, nodeFlags: string[] = []): Promise<InitSample> {
  return new Promise((resolve, reject) => {
    // No NODE_OPTIONS or test-runner state leaks in: only what a Lambda function would have.
    const child = spawn(process.execPath, [...nodeFlags, '--input-type=module', '-e', PROBE, pathToFileURL(file).href], {
      env: { PATH: process.env.PATH ?? '', ...CHILD_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`importing ${file} failed (${code}): ${err.trim()}`));
      try { resolve(JSON.parse(out) as InitSample); } catch (e) { reject(e as Error); }
    });
  });
}

export const median = (values: number[]): number => quantile(values, 0.5);

/** Linear-interpolated quantile (0 = minimum, 0.5 = median). */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo]! + (sorted[Math.ceil(at)]! - sorted[lo]!) * (at - lo);
}

export interface Comparison {
  /**
   * Per round: the subject's sample and the baseline it is compared with — the mean of the
   * baseline runs right before and right after it, so a load change mid-round hits both sides.
   */
  pairs: { subject: InitSample; baseline: InitSample }[];
}

const meanSample = (a: InitSample, b: InitSample): InitSample => ({
  startupCpuMs: (a.startupCpuMs + b.startupCpuMs) / 2,
  cpuMs: (a.cpuMs + b.cpuMs) / 2,
  importMs: (a.importMs + b.importMs) / 2,
  readyMs: (a.readyMs + b.readyMs) / 2,
});

/**
 * Measures every subject against the baseline, interleaved: each round runs the baseline, two
 * subjects, the baseline, two more subjects, … the baseline (subjects in a rotated order each
 * round), so every subject has a baseline run right before and right after it and load on the
 * machine hits both sides alike. One process at a time: parallel runs would measure each other.
 */
export async function compareToBaseline(
  baselineFile: string,
  subjects: { name: string; file: string; nodeFlags?: string[] }[],
  rounds: number,
  baselineFlags: string[] = [],
): Promise<Map<string, Comparison>> {
  const results = new Map(subjects.map((s) => [s.name, { pairs: [] } as Comparison]));
  for (let round = 0; round < rounds; round++) {
    // A fixed rotation rather than a random order, so a run is reproducible.
    const order = subjects.map((_, i) => subjects[(i + round * 5) % subjects.length]!);
    let before = await measureInit(baselineFile, baselineFlags);
    for (let i = 0; i < order.length; i += 2) {
      const group = order.slice(i, i + 2);
      const samples: InitSample[] = [];
      for (const subject of group) samples.push(await measureInit(subject.file, subject.nodeFlags ?? baselineFlags));
      const after = await measureInit(baselineFile, baselineFlags);
      group.forEach((subject, k) => results.get(subject.name)!.pairs.push({ subject: samples[k]!, baseline: meanSample(before, after) }));
      before = after;
    }
  }
  return results;
}

export interface Summary {
  startupCpuMs: number;
  baselineStartupCpuMs: number;
  cpuMs: number;
  baselineCpuMs: number;
  importMs: number;
  /** Median over rounds of subject ÷ its baseline (startup CPU time). */
  ratio: number;
  /**
   * Lower quartile of the same: the value the budget is checked against. On a busy machine one
   * pair's ratio moves by ±15 % even for two copies of the same bundle; a function fails only when
   * it is over budget in three rounds out of four, which a function within budget never is and a
   * function ~10 % over budget always is.
   */
  gateRatio: number;
  /**
   * Fastest start of the function ÷ fastest start of the baseline over all rounds. Interference
   * (another process, a busy host under the VM, a cold cache) only ever adds CPU time, so each
   * side's minimum is its least disturbed measurement; informational beside the gate.
   */
  minRatio: number;
  /** Median ratio of the import's CPU time alone (our code's share, without Node's own start). */
  importRatio: number;
  /** Median ratio of the import's wall time (noisy on a busy machine; informational). */
  wallRatio: number;
  /** Median ratio of process start → handler ready, wall time (informational). */
  readyRatio: number;
}

export function summarize(comparison: Comparison): Summary {
  const { pairs } = comparison;
  const ratios = (key: keyof InitSample) => pairs.map((p) => p.subject[key] / p.baseline[key]);
  return {
    startupCpuMs: median(pairs.map((p) => p.subject.startupCpuMs)),
    baselineStartupCpuMs: median(pairs.map((p) => p.baseline.startupCpuMs)),
    cpuMs: median(pairs.map((p) => p.subject.cpuMs)),
    baselineCpuMs: median(pairs.map((p) => p.baseline.cpuMs)),
    importMs: median(pairs.map((p) => p.subject.importMs)),
    ratio: median(ratios('startupCpuMs')),
    gateRatio: quantile(ratios('startupCpuMs'), 0.25),
    minRatio: Math.min(...pairs.map((p) => p.subject.startupCpuMs)) / Math.min(...pairs.map((p) => p.baseline.startupCpuMs)),
    importRatio: median(ratios('cpuMs')),
    wallRatio: median(ratios('importMs')),
    readyRatio: median(ratios('readyMs')),
  };
}

export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
