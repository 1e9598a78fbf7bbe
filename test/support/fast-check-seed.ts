/**
 * Property tests explore new random inputs on every local run; in CI they replay one fixed seed,
 * so a landing never depends on luck. A counterexample found locally becomes a regular test.
 * FC_SEED=<n> replays any seed.
 */
import fc from 'fast-check';

const seed = process.env.FC_SEED ?? (process.env.CI ? '20261123' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
