import { defineConfig } from 'vitest/config';

/**
 * The cold-start budget measures CPU time of fresh Node processes as a ratio to a baseline; with
 * another test file running beside it, that ratio moves by ±0.1 and functions near the budget fail
 * by noise alone. So it is a project of its own that runs after every other file has finished
 * (`sequence.groupOrder`), alone on the machine. Every project inherits the options below (`extends`).
 */
const BUDGET_FILES = ['test/budget/**/*.test.ts'];

/**
 * The infrastructure tests synthesize the CDK app. In a fresh process the first synthesis costs
 * about 25 s of CPU (loading aws-cdk-lib and warming the JIT) and each later one about 5 s, so
 * these files run one after another in one long-lived worker that keeps its modules between files
 * (isolate: false), and test/infra/synth.ts's templatesOf synthesizes each distinct context once
 * (the default one in a setup file, before any hook's time limit runs).
 * Isolation between files is a process-wide pool setting in vitest, so they get the threads pool
 * (one thread, not isolated) while every other file keeps its own fresh fork. That thread runs
 * beside the two forks.
 */
const INFRA_FILES = ['test/infra/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: run two files at a time, each fork on its own DynamoDB Local (global-setup.ts), tables per file.
    poolOptions: { forks: { maxForks: 2, minForks: 1 }, threads: { maxThreads: 1, minThreads: 1, isolate: false } },
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: [...BUDGET_FILES, ...INFRA_FILES],
          globalSetup: ['test/support/global-setup.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // No DynamoDB Local here either: synthesis talks to no engine.
        extends: true,
        test: {
          name: 'infra',
          include: INFRA_FILES,
          pool: 'threads',
          isolate: false,
          setupFiles: ['test/support/infra-warm-up.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // No DynamoDB Local: the budget starts no engine, and idle JVMs would only add noise.
        extends: true,
        test: {
          name: 'cold-start budget',
          include: BUDGET_FILES,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
