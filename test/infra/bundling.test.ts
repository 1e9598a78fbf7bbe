/**
 * A function's asset as CDK really builds it (lib/bundling.ts featureCode, esbuild run locally):
 * the entry, the chunks it loads (code splitting) and the files its feature declares (FeatureDef.files). The system function
 * serves the OpenAPI document from such a file, so a missing copy would break /v1/openapi.json
 * only after deployment.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES } from '../../functions/api/features';
import { FEATURE_FLAGS } from '../../lib/app';
import { DataTable } from '../../lib/constructs/data-table';
import { FeatureFunction } from '../../lib/constructs/feature-function';
import { settleWorker } from './synth';

const outdir = mkdtempSync(path.join(tmpdir(), 'crm-bundling-'));
let assetDir: string;

beforeAll(async () => {
  await settleWorker(); // bundling blocks the worker (synth.ts)
  const app = new App({ outdir, context: { ...FEATURE_FLAGS } });
  const stack = new Stack(app, 'BundlingTest');
  new FeatureFunction(stack, 'System', {
    name: 'system',
    feature: FEATURES.system,
    resources: { table: new DataTable(stack, 'Data', { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY }) },
    stage: 'test',
    settings: { businessTimeZone: 'Europe/Berlin', appBaseUrl: 'https://crm.example.com' },
    logLevel: 'INFO',
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  app.synth();
  const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.') && existsSync(path.join(outdir, name, 'index.mjs')));
  expect(assets).toHaveLength(1);
  assetDir = path.join(outdir, assets[0]!);
}, 120_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Every code file of the asset (the entry and its chunks, lib/bundling.ts), relative to it. */
const codeFiles = (): string[] => readdirSync(assetDir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.mjs')).sort();

describe('system function asset', () => {
  it('ships the rendered OpenAPI document next to the bundle, byte for byte', () => {
    expect(readdirSync(assetDir).sort()).toEqual(['chunks', 'index.mjs', 'index.mjs.map', 'openapi.json']);
    expect(readFileSync(path.join(assetDir, 'openapi.json'), 'utf8') === readFileSync('functions/system/openapi.json', 'utf8')).toBe(true);
  });

  it('ships every chunk the bundle imports, statically or on first use', () => {
    // Code split by esbuild refers to its chunks by relative specifiers (`from"./chunks/…"`,
    // `import("./chunk-….mjs")`): a chunk left out of the asset fails only when that path runs.
    const files = codeFiles();
    expect(files.length).toBeGreaterThan(1);
    const missing = files.flatMap((file) => {
      const code = readFileSync(path.join(assetDir, file), 'utf8');
      const specifiers = [...code.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
      return specifiers.map((s) => path.join(path.dirname(file), s)).filter((target) => !files.includes(target));
    });
    expect(missing).toEqual([]);
  });

  it('does not carry the OpenAPI builder or any feature schema', () => {
    for (const file of codeFiles()) {
      const code = readFileSync(path.join(assetDir, file), 'utf8');
      // Text that only the builder (functions/api/openapi.ts) and the schema modules contain.
      expect(code, file).not.toContain('components/schemas');
      expect(code, file).not.toContain('Personal data: masked');
    }
  });
});
