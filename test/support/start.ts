/**
 * Waiting for a `npm start` child process: until /v1/health answers 200 and the banner's last
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
