import { defineConfig } from 'vitest/config';

/**
 * The cold-start budget measures CPU time of fresh Node processes as a ratio to a baseline; with
 * another test file running beside it, that ratio moves by ±0.1 and functions near the budget fail
 * by noise alone. So it is a project of its own that runs after every other file has finished
 * (`sequence.groupOrder`), alone on the machine. Both projects inherit the options below (`extends`).
 */
const BUDGET_FILES = ['test/budget/**/*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['test/support/fast-check-seed.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: run two files at a time, each fork on its own DynamoDB Local (global-setup.ts), tables per file.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: BUDGET_FILES,
          globalSetup: ['test/support/global-setup.ts'],
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
