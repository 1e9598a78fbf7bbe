/**
 * `npm start` end to end: spawned like a newcomer runs it (own data directory and free ports),
 * ready when /v1/health answers 200, then Ctrl-C (SIGINT to the process group, as a terminal
 * sends it) must leave no process behind — in particular no orphaned Java. On the way: the banner
 * comes before the demo seed ends (it seeds in the background), the terminal shows readable
 * one-line request logs and none of the seed's own requests, and no Node-version warning.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../local/paths';
import { freePort } from '../../local/ports';
import { isAlive, runtimeFile, type RuntimeInfo } from '../../local/runtime';
import { quickJvm, waitForStart } from '../support/start';

const dataDir = mkdtempSync(join(tmpdir(), 'crm-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('starts, prints its banner before the seed ends, logs readably, seeds, and stops every child on Ctrl-C', async () => {
  const [api, dynamodb, ses, s3, events, sms] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATA_DIR: dataDir, PORT: String(api), DYNAMODB_PORT: String(dynamodb), SES_PORT: String(ses), S3_PORT: String(s3),
    EVENTS_PORT: String(events), SMS_PORT: String(sms), SEED_CUSTOMERS: '3',
  };
  for (const name of ['TABLE_NAME', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_EVENTBRIDGE', 'AWS_ENDPOINT_URL_SESV2', 'AWS_ENDPOINT_URL_S3']) delete env[name];
  // DynamoDB Local's JVM on its quick compiler tier: the same engine, half its start-up CPU (test/support/start.ts).
  env.JAVA_TOOL_OPTIONS = quickJvm(process.env.JAVA_TOOL_OPTIONS);
  const child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));

  try {
    const health = await waitForStart(child, api, () => output, 150_000);
    expect(health, output).toBe(200);
    expect(output).toContain(`http://localhost:${api}/docs`);
    expect(output).toContain('npm run --silent token -- admin');

    // The seed runs in the background, after the banner, and ends with one summary line.
    const seededDeadline = Date.now() + 200_000;
    while (Date.now() < seededDeadline && child.exitCode === null && !/Seeded 3 demo customers|could not be created/.test(output)) {
      await new Promise((done) => setTimeout(done, 500));
    }
    expect(output).toMatch(/Seeded 3 demo customers with \d+ contacts, \d+ products, \d+ deals/);
    expect(output.indexOf('Press Ctrl-C')).toBeLessThan(output.indexOf('Seeded 3 demo customers'));

    // Readable one-liners: time, method, path, status, ms, DynamoDB requests, request id.
    await fetch(`http://127.0.0.1:${api}/v1/health`);
    await expect.poll(() => output, { timeout: 30_000 }).toMatch(/^\d\d:\d\d:\d\d GET \/v1\/health 200 \d+ms db=\d+ req=\S+$/m);
    // The seed's hundreds of requests print nothing (this test itself sends only GETs), and no
    // function's raw Powertools JSON reaches the terminal.
    expect(output).not.toMatch(/^\d\d:\d\d:\d\d (POST|PUT|PATCH|DELETE) /m);
    expect(output).not.toMatch(/^\{.*"level"/m);
    expect(output).not.toContain('NodeVersionSupportWarning');
    expect(output.split('\n').filter((line) => line.length > 300), 'no overlong lines').toEqual([]);

    const runtime = JSON.parse(readFileSync(runtimeFile(dataDir), 'utf8')) as RuntimeInfo;
    expect(isAlive(runtime.pid)).toBe(true);
    expect(isAlive(runtime.javaPid!)).toBe(true);

    process.kill(-child.pid!, 'SIGINT');
    const code = await Promise.race([exited, new Promise((done) => setTimeout(() => done('timeout'), 60_000))]);
    expect(code, output).not.toBe('timeout');
    await expect.poll(() => isAlive(runtime.javaPid!), { timeout: 30_000 }).toBe(false);
    expect(isAlive(runtime.pid)).toBe(false);
    expect(existsSync(runtimeFile(dataDir)), output).toBe(false);
    expect(output).toContain('Stopped.');
  } finally {
    if (child.exitCode === null) {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}, 480_000);
