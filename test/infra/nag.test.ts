/**
 * The stacks are clean under cdk-nag's AwsSolutions rules, every acknowledgement is narrow and
 * explained, the rules really run on every synth, and cfn-lint finds no errors.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../support/run';
import { buildTestApp, type Synthesized } from './synth';

interface Acknowledgement { path: string; id: string; reason: string }

function acknowledgementsIn(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) => construct.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>)
      .map(([id, reason]) => ({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason }))));
}

let synthesized: Synthesized;

beforeAll(async () => {
  // Bundling is skipped: bundle contents do not change the template's properties, and
  // test/budget/bundles.test.ts builds every bundle with the same options.
  synthesized = await buildTestApp();
  synthesized.app.synth();
}, 120_000);

describe('cdk-nag AwsSolutions', () => {
  it('reports zero unacknowledged findings', () => {
    const report = new AwsSolutionsChecks().validateScope(synthesized.app);
    const findings = report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description}`));
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledgement names a rule, sits on a resource-level construct and carries a real reason', () => {
    const acknowledgements = acknowledgementsIn(synthesized.app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    const stackPaths = [synthesized.data, synthesized.stack, synthesized.routes, synthesized.machineApi, synthesized.monitoring, synthesized.analytics].filter((s) => s !== undefined).map((s) => s.node.path);
    console.log(`cdk-nag acknowledgements (${acknowledgements.length}):\n${acknowledgements
      .map((a) => `  ${a.id} @ ${a.path}\n      ${a.reason}`).join('\n')}`);
    for (const acknowledgement of acknowledgements) {
      expect(acknowledgement.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(acknowledgement.reason.trim().length, acknowledgement.id).toBeGreaterThanOrEqual(40);
      // Narrow: never on the app or the whole stack.
      expect(stackPaths.some((stackPath) => acknowledgement.path.startsWith(`${stackPath}/`)), `${acknowledgement.id} @ ${acknowledgement.path}`).toBe(true);
    }
  });

  it('synthesizes without warnings (e.g. an unpinned cross-stack reference strength)', () => {
    const assembly = synthesized.app.synth();
    const warnings = assembly.stacks.flatMap((stack) => stack.messages
      .filter((message) => message.level !== 'info')
      .map((message) => `${stack.stackName} ${message.level}: ${String(message.entry.data).slice(0, 200)}`));
    expect(warnings).toEqual([]);
  });

  it('runs on every synth: an unacknowledged finding fails synthesis', async () => {
    const { app, stack } = await buildTestApp();
    new Bucket(stack, 'NonCompliantBucket');
    expect(() => (app as App).synth()).toThrow(/AwsSolutions-S1/);
  }, 120_000);
});

describe('cfn-lint', () => {
  const available = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!available) console.warn('cfn-lint is not on PATH: skipping the template lint (install with `pip install cfn-lint`).');

  it.skipIf(!available)('finds no errors in the synthesized templates (warnings allowed)', async () => {
    const templates = readdirSync(synthesized.outdir).filter((file) => file.endsWith('.template.json'));
    expect(templates.length).toBeGreaterThan(0);
    // One cfn-lint run over every template, asynchronously: a synchronous child would block this
    // worker's event loop for as long as the lint takes (over a minute on a loaded machine), and
    // vitest's worker RPC times out after 60 s of a blocked loop.
    const result = await run('cfn-lint', templates.map((file) => path.join(synthesized.outdir, file)));
    expect(result.status, 'cfn-lint did not run').not.toBeNull();
    // Exit status is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    expect(result.status! & 2, result.stdout + result.stderr).toBe(0);
  }, 240_000);
});
