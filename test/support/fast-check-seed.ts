/**
 * Property tests explore new random inputs on every local run; in CI they replay one fixed seed,
 * so a landing never depends on luck. A counterexample found locally becomes a regular test.
 * FC_SEED=<n> replays any seed.
 *
 * Property tests import fast-check from here (`import fc from '../support/fast-check-seed'`), so
 * the seed is set before any property runs, and the other test files do not load fast-check at all
 * (it was a setup file of every file: ≈ 50 ms of CPU each).
 */
import fc from 'fast-check';

const seed = process.env.FC_SEED ?? (process.env.CI ? '20261123' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });

export default fc;
