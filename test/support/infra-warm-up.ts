/**
 * Setup file of the infra project (vitest.config.ts): synthesizes the default app before the first
 * infra file's hooks start. The worker's first synthesis costs several times a later one (loading
 * aws-cdk-lib, a cold JIT), and whichever file came first used to pay it inside a beforeAll with a
 * 60 s limit. A setup file has no time limit; later files find the app memoized (synth.ts).
 */
import { warmUp } from '../infra/synth';

await warmUp();
