/**
 * Synthesizes the CRM app the way `cdk synth` does (lib/app.ts: same stack, same cdk-nag
 * plugin), for infrastructure tests. Bundling is skipped unless asked for: the templates'
 * security properties do not depend on bundle contents, and test/budget builds the bundles
 * with the very same options.
 */
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../lib/app';
import type { CrmStack } from '../../lib/crm-stack';

export interface Synthesized {
  app: App;
  stack: CrmStack;
  /** Directory of the cloud assembly (only written by `app.synth()`). */
  outdir: string;
}

export function buildTestApp(context: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'crm-cdk-'));
  const { app, stack } = buildApp({
    outdir,
    context: {
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...context,
    },
  });
  return { app, stack, outdir };
}

/** Template of the stack (synthesizes the app, which also runs the cdk-nag plugin). */
export function templateOf(context: Record<string, unknown> = {}): { template: Template; stack: CrmStack } {
  const { stack } = buildTestApp(context);
  return { template: Template.fromStack(stack), stack };
}
