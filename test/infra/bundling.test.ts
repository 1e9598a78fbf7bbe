/**
 * A function's asset as CDK really builds it (NodejsFunction with lib/bundling.ts, esbuild run
 * locally): the bundle plus the files its feature declares (FeatureDef.files). The system function
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

describe('system function asset', () => {
  it('ships the rendered OpenAPI document next to the bundle, byte for byte', () => {
    expect(readdirSync(assetDir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'openapi.json']);
    expect(readFileSync(path.join(assetDir, 'openapi.json'), 'utf8') === readFileSync('functions/system/openapi.json', 'utf8')).toBe(true);
  });

  it('does not carry the OpenAPI builder or any feature schema', () => {
    const code = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    // Text that only the builder (functions/api/openapi.ts) and the schema modules contain.
    expect(code).not.toContain('components/schemas');
    expect(code).not.toContain('Personal data: masked');
  });
});
