/**
 * For tests that spawn `npm start` (the start smoke test, the README walk-throughs).
 *
 * waitForStart waits for the child process: until /v1/health answers 200 and the banner's last
 * line ("Press Ctrl-C") is out, the process exits, or `limitMs` passes — generous, because on a
 * loaded 2-core machine `npm start` (tsx, Java) can take well over 30 s. Returns the last health status.
 */
import type { ChildProcess } from 'node:child_process';

export async function waitForStart(child: ChildProcess, api: number, output: () => string, limitMs: number): Promise<number> {
  const deadline = Date.now() + limitMs;
  let health = 0;
  while (Date.now() < deadline && child.exitCode === null) {
    health = await fetch(`http://127.0.0.1:${api}/v1/health`).then((r) => r.status, () => 0);
    if (health === 200 && output().includes('Press Ctrl-C')) break;
    await new Promise((done) => setTimeout(done, 250));
  }
  return health;
}

/**
 * JAVA_TOOL_OPTIONS for the DynamoDB Local of a test's `npm start`: the same engine (same jar,
 * same data files, same answers) compiled by the JVM's quick tier only (C1), with the
 * single-threaded collector. In a run of a few minutes the optimizing compiler (C2) never pays
 * for itself: measured with the README walk-throughs, DynamoDB Local took 11.4 s of CPU to start
 * and 5.6 s a minute idle (the stream pollers' reads), 48 s over that file; with these options
 * 6.1 s, 2.3 s a minute and 23 s. Options the caller's environment already has come first.
 */
export function quickJvm(inherited: string | undefined): string {
  return `${inherited ?? ''} -XX:TieredStopAtLevel=1 -XX:+UseSerialGC`.trim();
}
