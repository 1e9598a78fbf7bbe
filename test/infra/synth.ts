/**
 * Synthesizes the CRM app the way `cdk synth` does (lib/app.ts: same stacks, same cdk-nag
 * plugin), for infrastructure tests. Bundling is skipped unless asked for: the templates'
 * security properties do not depend on bundle contents, and test/budget builds the bundles
 * with the very same options.
 *
 * templatesOf synthesizes each distinct context once per worker (the infra project shares one
 * worker between its files, vitest.config.ts); buildTestApp always builds a fresh app.
 */
import { type App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp, type CrmApp } from '../../lib/app';
import type { AppStack } from '../../lib/app-stack';
import type { DataStack } from '../../lib/data-stack';

export interface Synthesized extends CrmApp {
  app: App;
  /** Directory of the cloud assembly (only written by `app.synth()`). */
  outdir: string;
}

/**
 * Lets the test worker's in-flight RPC calls to vitest finish before a long synchronous stretch.
 * Synthesis (and the bundling it may run) blocks the worker's event loop; a task update sent just
 * before it (vitest sends one as each hook or test starts) gets its answer only afterwards, and
 * vitest fails the whole run when an answer takes over 60 s. Awaiting here first makes the
 * blocked stretch start with nothing in flight. Call it at the start of the hook or test body,
 * right before synthesizing.
 */
export async function settleWorker(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

/** Builds the CRM app for a test (waits for the worker to settle first: settleWorker). */
export async function buildTestApp(context: Record<string, unknown> = {}, options: { bundle?: boolean } = {}): Promise<Synthesized> {
  await settleWorker();
  return buildTestAppNow(context, options);
}

function buildTestAppNow(context: Record<string, unknown>, options: { bundle?: boolean }): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'crm-cdk-'));
  const built = buildApp({
    outdir,
    context: {
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      // The monitoring stack is off by default on dev (its cost); the tests synthesize it so
      // that its template and cdk-nag report are checked. Pass `monitoring: undefined` for the default.
      monitoring: 'true',
      ...context,
    },
  });
  return { ...built, outdir };
}

export interface Templates {
  /** The stateless app stack (API, functions, schedules) and its template. */
  stack: AppStack;
  template: Template;
  /** The stateful data stack and its template. */
  data: DataStack;
  dataTemplate: Template;
  /** Every stack of the app with its template (data, app, monitoring). */
  all: { stack: Stack; template: Template }[];
  synthesized: Synthesized;
}

/**
 * Synthesized apps by context, shared by every templatesOf call in this process. Synthesis is
 * deterministic, and the infra project runs its files in one non-isolated worker
 * (vitest.config.ts), so six files asking for the default app get one synthesis instead of six.
 * Only apps that no caller can mutate live here: templatesOf hands out copies of the template
 * JSON, and buildTestApp, whose callers may add constructs (test/infra/nag.test.ts), always builds
 * a fresh app.
 */
const synthesizedApps = new Map<string, Promise<{ synthesized: Synthesized; stacks: Stack[]; templates: Record<string, unknown>[] }>>();

/** A memo key that tells `{ monitoring: undefined }` (the default) from `{}` (monitoring on). */
function contextKey(context: Record<string, unknown>): string {
  return JSON.stringify(Object.keys(context).sort().map((name) => [name, context[name] === undefined ? { undefined: true } : context[name]]));
}

function synthesizedApp(context: Record<string, unknown>) {
  const key = contextKey(context);
  let entry = synthesizedApps.get(key);
  if (!entry) {
    entry = buildTestApp(context).then((synthesized) => {
      const stacks = synthesized.app.node.children.filter((child): child is Stack => child instanceof Stack);
      return { synthesized, stacks, templates: stacks.map((stack) => Template.fromStack(stack).toJSON()) };
    });
    // A context the app rejects is not kept: each caller sees the rejection afresh.
    entry.catch(() => synthesizedApps.delete(key));
    synthesizedApps.set(key, entry);
  }
  return entry;
}

/**
 * Synthesizes the default app into the memo, ahead of the tests that ask for it
 * (test/support/infra-warm-up.ts). A failure is left for those tests to report.
 */
export async function warmUp(): Promise<void> {
  await synthesizedApp({}).catch(() => undefined);
}

/**
 * Templates of the app's stacks (synthesizing runs the cdk-nag plugin). Each call gets its own
 * copy of every template's JSON, so an assertion that sorts or edits an array in place cannot
 * change what another test (or another file sharing the synthesis) sees.
 */
export async function templatesOf(context: Record<string, unknown> = {}): Promise<Templates> {
  const { synthesized, stacks, templates } = await synthesizedApp(context);
  const all = stacks.map((stack, i) => ({ stack, template: Template.fromJSON(structuredClone(templates[i]!)) }));
  const find = (stack: Stack) => all.find((entry) => entry.stack === stack)!.template;
  return {
    stack: synthesized.stack,
    template: find(synthesized.stack),
    data: synthesized.data,
    dataTemplate: find(synthesized.data),
    all,
    synthesized,
  };
}
