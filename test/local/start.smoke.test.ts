/**
 * `npm start` end to end: spawned like a newcomer runs it (own data directory and free ports),
 * ready when /v1/health answers 200, then Ctrl-C (SIGINT to the process group, as a terminal
 * sends it) must leave no process behind — in particular no orphaned Java.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../local/paths';
import { freePort } from '../../local/ports';
import { isAlive, runtimeFile, type RuntimeInfo } from '../../local/runtime';

const dataDir = mkdtempSync(join(tmpdir(), 'crm-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('starts, serves health, seeds, and stops every child on Ctrl-C', async () => {
  const [api, dynamodb, ses, s3, events] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATA_DIR: dataDir, PORT: String(api), DYNAMODB_PORT: String(dynamodb), SES_PORT: String(ses), S3_PORT: String(s3),
    EVENTS_PORT: String(events), SEED_CUSTOMERS: '3',
  };
  for (const name of ['TABLE_NAME', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_EVENTBRIDGE', 'AWS_ENDPOINT_URL_SESV2', 'AWS_ENDPOINT_URL_S3']) delete env[name];
  const child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  try {
    // Generous: on a loaded 2-core machine `npm start` (tsx, Java, seed) can take well over 30 s.
    const deadline = Date.now() + 150_000;
    let health = 0;
    while (Date.now() < deadline && child.exitCode === null) {
      health = await fetch(`http://127.0.0.1:${api}/v1/health`).then((r) => r.status, () => 0);
      if (health === 200 && output.includes('Press Ctrl-C')) break;
      await new Promise((done) => setTimeout(done, 250));
    }
    expect(health, output).toBe(200);
    expect(output).toContain(`http://localhost:${api}/docs`);
    expect(output).toContain('npm run --silent token -- admin');
    expect(output).toMatch(/Seeded 3 demo customers/);

    const runtime = JSON.parse(readFileSync(runtimeFile(dataDir), 'utf8')) as RuntimeInfo;
    expect(isAlive(runtime.pid)).toBe(true);
    expect(isAlive(runtime.javaPid!)).toBe(true);

    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise((done) => setTimeout(() => done('timeout'), 60_000))]);
    expect(code, output).not.toBe('timeout');
    await expect.poll(() => isAlive(runtime.javaPid!), { timeout: 30_000 }).toBe(false);
    expect(isAlive(runtime.pid)).toBe(false);
    expect(existsSync(runtimeFile(dataDir))).toBe(false);
    expect(output).toContain('Stopped.');
  } finally {
    if (child.exitCode === null) {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}, 260_000);
