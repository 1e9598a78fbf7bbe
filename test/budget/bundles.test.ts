/**
 * Bundle budget: every feature bundle, built with the options CDK ships (lib/bundling.ts),
 * stays within 250 KB minified. Cold start grows with bundle size (≈ 25 ms per extra 150 KB),
 * so this is the number that keeps first requests fast. Sizes are printed on every run, with
 * the size the bundle would have if the AWS SDK were bundled too, for comparison.
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES, FEATURE_NAMES, type FeatureName } from '../../functions/api/features';
import { ESBUILD_OPTIONS } from '../../lib/bundling';
import { REPO_ROOT } from '../../lib/paths';

const BUDGET_KB = 250;

interface Measured { shipped: number | Error; withSdk: number | Error }

const outRoot = mkdtempSync(path.join(tmpdir(), 'crm-bundles-'));
const sizes = new Map<FeatureName, Measured>();

async function bundleSize(name: string, entry: string, external: string[]): Promise<number> {
  const outdir = path.join(outRoot, name);
  const result = await build({
    ...ESBUILD_OPTIONS,
    external,
    entryPoints: [path.join(REPO_ROOT, entry)],
    outdir,
    absWorkingDir: REPO_ROOT,
    logLevel: 'silent',
    metafile: true,
  });
  const code = Object.keys(result.metafile.outputs).filter((file) => /\.m?js$/.test(file));
  expect(code).toHaveLength(1);
  return statSync(path.resolve(REPO_ROOT, code[0]!)).size;
}

const kb = (bytes: number | Error): string => (bytes instanceof Error ? 'build failed' : `${(bytes / 1024).toFixed(1)} KB`);

beforeAll(async () => {
  await Promise.all(FEATURE_NAMES.map(async (name) => {
    const entry = FEATURES[name].entry;
    const [shipped, withSdk] = await Promise.all([
      bundleSize(name, entry, [...ESBUILD_OPTIONS.external]).catch((error: Error) => error),
      bundleSize(`${name}-with-sdk`, entry, []).catch((error: Error) => error),
    ]);
    sizes.set(name, { shipped, withSdk });
  }));
  const rows = FEATURE_NAMES.map((name) => {
    const { shipped, withSdk } = sizes.get(name)!;
    return `  ${name.padEnd(20)} ${kb(shipped).padStart(14)} ${kb(withSdk).padStart(18)}`;
  });
  console.log([
    `Feature bundles (minified ESM, ${ESBUILD_OPTIONS.target}; budget ${BUDGET_KB} KB, AWS SDK external as deployed):`,
    `  ${'feature'.padEnd(20)} ${'shipped'.padStart(14)} ${'with SDK (info)'.padStart(18)}`,
    ...rows,
  ].join('\n'));
}, 120_000);

afterAll(() => rmSync(outRoot, { recursive: true, force: true }));

describe('bundle budget', () => {
  it.each(FEATURE_NAMES)(`%s bundles within ${BUDGET_KB} KB`, (name) => {
    const { shipped } = sizes.get(name)!;
    if (shipped instanceof Error) throw shipped;
    expect(shipped / 1024).toBeLessThanOrEqual(BUDGET_KB);
  });
});
