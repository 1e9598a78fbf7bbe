/**
 * The README's walk-throughs run verbatim: `npm start` in a fresh data directory on free ports
 * (without demo data, to keep this quick), then every ```bash block of README.md runs twice in a
 * row with `bash -euo pipefail` — the second run proves a block creates what it needs instead of
 * relying on the first. The blocks find this CRM through the variables they document (API, INBOX,
 * DATA_DIR, whose defaults are a plain `npm start`'s). Blocks that are not walk-throughs
 * (installing, deploying) are marked ```bash noexec and skipped.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../local/paths';
import { freePort } from '../../local/ports';
import { waitForStart } from '../support/start';

/** Every fenced block of the markdown with its info string. */
function fencedBlocks(markdown: string): { info: string; code: string; line: number; heading: string }[] {
  const blocks: { info: string; code: string; line: number; heading: string }[] = [];
  const lines = markdown.split('\n');
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    if (/^#{1,6} /.test(lines[i]!)) heading = lines[i]!.replace(/^#+ /, '');
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open || !open[1]) continue;
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({ info: `${open[1]} ${open[2]}`.trim(), code: body.join('\n'), line: start + 1, heading });
  }
  return blocks;
}

/** Runs a block as a reader pasting it would (with the shell options of a careful script); never hangs. */
function runBash(code: string, env: NodeJS.ProcessEnv): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', code], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.once('close', (status, signal) => { clearTimeout(timer); resolve({ code: status ?? signal ?? 'unknown', stdout, stderr }); });
  });
}

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const walkThroughs = fencedBlocks(readme).filter((b) => b.info === 'bash');

describe('README walk-throughs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'crm-readme-'));
  let env: NodeJS.ProcessEnv;
  let child: ReturnType<typeof spawn> | undefined;
  let output = '';

  beforeAll(async () => {
    const [api, dynamodb, ses, s3, events, sms] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(base)) if (name.startsWith('AWS_') || name === 'TABLE_NAME') delete base[name];
    env = {
      ...base, DATA_DIR: dataDir, PORT: String(api), DYNAMODB_PORT: String(dynamodb), SES_PORT: String(ses), S3_PORT: String(s3),
      EVENTS_PORT: String(events), SMS_PORT: String(sms), SEED_CUSTOMERS: '0',
    };
    child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const health = await waitForStart(child, api, () => output, 180_000);
    expect(health, output).toBe(200);
    // What a reader of the README sets to reach a CRM that is not on the default ports.
    env.API = `http://localhost:${api}`;
    env.INBOX = `http://localhost:${ses}`;
  }, 200_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child!.once('exit', done));
      try { process.kill(-child.pid!, 'SIGINT'); } catch { /* gone */ }
      const stopped = await Promise.race([exited.then(() => true), new Promise((done) => setTimeout(() => done(false), 60_000))]);
      if (!stopped) { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }
    }
    rmSync(dataDir, { recursive: true, force: true });
  }, 90_000);

  it('finds the walk-throughs, and every other bash block is marked noexec', () => {
    expect(walkThroughs.length).toBeGreaterThanOrEqual(3);
    const unknown = fencedBlocks(readme).filter((b) => b.info.startsWith('bash') && b.info !== 'bash' && b.info !== 'bash noexec');
    expect(unknown.map((b) => `line ${b.line}: ${b.info}`)).toEqual([]);
    for (const block of walkThroughs) expect(block.code, `README line ${block.line}`).toContain('API=${API:-http://localhost:3000}');
  });

  for (const block of walkThroughs) {
    it(`"${block.heading}" (README line ${block.line}) runs twice in a row`, async () => {
      for (const round of [1, 2]) {
        const crmBefore = output.length;
        const result = await runBash(block.code, env);
        const report = `round ${round} of the block at README line ${block.line} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}\n--- CRM output meanwhile\n${output.slice(crmBefore).slice(-6000)}`;
        expect(result.code, report).toBe(0);
      }
    }, 500_000);
  }
});
