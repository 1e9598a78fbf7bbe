/**
 * The README's walk-throughs run verbatim: `npm start` in a fresh data directory on free ports
 * (without demo data, to keep this quick), then every ```bash block of README.md runs twice in a
 * row with `bash -euo pipefail` — the second run proves a block creates what it needs instead of
 * relying on the first. The blocks find this CRM through the variables they document (API, INBOX,
 * DATA_DIR, whose defaults are a plain `npm start`'s). Blocks that are not walk-throughs
 * (installing, deploying) are marked ```bash noexec and skipped.
 *
 * The blocks call `npm run --silent <script> -- …` dozens of times, and each such call costs
 * three Node processes (npm, the tsx CLI, and the tsx child that runs the script, which resolves
 * and loads hundreds of TypeScript modules through tsx's hooks) — most of this file's time. An
 * `npm` first on the blocks' PATH (npmShim) runs exactly what npm would for the package.json
 * scripts that are `tsx <file>`: that program in one Node process, from the package root, with
 * the same arguments, stdout, stderr and exit status. The scripts the blocks call run as bundles
 * of the same sources built once before the blocks (test/support/script-bundles.ts); any other
 * runs under tsx's loader. Any other use of npm (another script, without --silent, which prints
 * npm's banner) goes to the real npm.
 */
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../local/paths';
import { freePort } from '../../local/ports';
import { buildScriptBundles } from '../support/script-bundles';
import { quickJvm, waitForStart } from '../support/start';

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

/** package.json scripts that are exactly `tsx <file>`: the ones the npm shim runs itself. */
function tsxScripts(): Record<string, string> {
  const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const files: Record<string, string> = {};
  for (const [name, command] of Object.entries(scripts)) {
    const file = /^tsx ([\w./-]+\.ts)$/.exec(command)?.[1];
    if (file && /^[\w:.-]+$/.test(name)) files[name] = file;
  }
  return files;
}

/** The `tsx <file>` scripts that the walk-throughs call (`npm run --silent <script>`). */
function scriptsCalledBy(blocks: { code: string }[]): Record<string, string> {
  const called = new Set(blocks.flatMap((b) => [...b.code.matchAll(/npm run --silent ([\w:.-]+)/g)].map((m) => m[1]!)));
  return Object.fromEntries(Object.entries(tsxScripts()).filter(([name]) => called.has(name)));
}

/**
 * A directory holding an `npm` for the blocks' PATH: `npm run --silent <script> [-- args…]` of a
 * `tsx <file>` script becomes `node <its bundle> args…` (`bundles`: script name → module), or
 * for a script without one `node --import tsx <file> args…`, in the package root (what the tsx
 * CLI runs, minus its extra process; npm adds nothing to a --silent run's output); everything
 * else is handed to the real npm unchanged.
 */
function npmShim(dir: string, realNpm: string, bundles: Record<string, string>): string {
  const cases = Object.entries(tsxScripts())
    .map(([name, file]) => `    '${name}') ${bundles[name] ? `run=(node '${bundles[name]}')` : `run=(node --import tsx '${file}')`} ;;`)
    .join('\n');
  const script = `#!/usr/bin/env bash
if [ "$#" -ge 3 ] && [ "$1" = run ] && [ "$2" = --silent ] && { [ "$#" -eq 3 ] || [ "$4" = -- ]; }; then
  run=()
  case "$3" in
${cases}
  esac
  if [ "\${#run[@]}" -gt 0 ]; then
    shift 3
    [ "$#" -gt 0 ] && shift
    cd '${REPO_ROOT}' && exec "\${run[@]}" "$@"
  fi
fi
exec '${realNpm}' "$@"
`;
  writeFileSync(join(dir, 'npm'), script);
  chmodSync(join(dir, 'npm'), 0o755);
  return dir;
}

/** The npm that a plain PATH lookup finds (the shim hands everything else to it). */
function whichNpm(path: string): string {
  for (const dir of path.split(delimiter)) {
    const candidate = join(dir, 'npm');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* not here */ }
  }
  throw new Error(`no npm on PATH ${path}`);
}

/**
 * What the shim must answer exactly as npm does: an unknown role (exit 1, a message on stderr), a
 * job's usage (exit 0, also on stderr), and a portal token for a contact the running CRM lacks: the
 * portal pool's trigger, loaded as the local runtime loads every handler, reads the CRM's table and
 * finds none (exit 1).
 */
const SHIM_CALLS = ['npm run --silent token -- no-such-role', 'npm run --silent job -- --help', 'npm run --silent token -- customer con_00000000000000000000000000'];

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const walkThroughs = fencedBlocks(readme).filter((b) => b.info === 'bash');

describe('README walk-throughs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'crm-readme-'));
  const shimDir = mkdtempSync(join(tmpdir(), 'crm-readme-npm-'));
  const bundleDir = mkdtempSync(join(tmpdir(), 'crm-readme-scripts-'));
  let env: NodeJS.ProcessEnv;
  let bundles: Record<string, string> = {};
  let child: ReturnType<typeof spawn> | undefined;
  let output = '';
  /** The real npm's answers to SHIM_CALLS, for the last test. */
  let viaNpm: Promise<Awaited<ReturnType<typeof runBash>>[]> = Promise.resolve([]);

  beforeAll(async () => {
    const [api, dynamodb, ses, s3, events, sms] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(base)) if (name.startsWith('AWS_') || name === 'TABLE_NAME') delete base[name];
    env = {
      ...base, DATA_DIR: dataDir, PORT: String(api), DYNAMODB_PORT: String(dynamodb), SES_PORT: String(ses), S3_PORT: String(s3),
      EVENTS_PORT: String(events), SMS_PORT: String(sms), SEED_CUSTOMERS: '0',
    };
    // Built while the CRM starts (esbuild works in its own process).
    const building = buildScriptBundles(scriptsCalledBy(walkThroughs), bundleDir);
    building.catch(() => { /* reported below, once the CRM has started */ });
    child = spawn('npm', ['start'], { cwd: REPO_ROOT, env: { ...env, JAVA_TOOL_OPTIONS: quickJvm(base.JAVA_TOOL_OPTIONS) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const health = await waitForStart(child, api, () => output, 180_000);
    expect(health, output).toBe(200);
    // What a reader of the README sets to reach a CRM that is not on the default ports.
    env.API = `http://localhost:${api}`;
    env.INBOX = `http://localhost:${ses}`;
    bundles = await building;
    env.PATH = `${npmShim(shimDir, whichNpm(base.PATH ?? ''), bundles)}${delimiter}${base.PATH ?? ''}`;
    viaNpm = Promise.all(SHIM_CALLS.map((c) => runBash(c, { ...env, PATH: base.PATH })));
  }, 200_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child!.once('exit', done));
      try { process.kill(-child.pid!, 'SIGINT'); } catch { /* gone */ }
      const stopped = await Promise.race([exited.then(() => true), new Promise((done) => setTimeout(() => done(false), 60_000))]);
      if (!stopped) { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(shimDir, { recursive: true, force: true });
    rmSync(bundleDir, { recursive: true, force: true });
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

  // Last, so that the real npm's runs (started by beforeAll, several seconds of CPU under tsx) overlap
  // the walk-throughs instead of adding to this file's time; they only read (no such role, a job's
  // usage, a contact that does not exist), so neither side can change what the other sees.
  it('runs npm scripts through the shim exactly as npm does (same output and exit status)', async () => {
    expect((await runBash('command -v npm', env)).stdout.trim()).toBe(join(shimDir, 'npm'));
    // The shim runs these two from their bundles, not under tsx.
    expect(Object.keys(bundles)).toEqual(expect.arrayContaining(['token', 'job']));
    const shimmed = await Promise.all(SHIM_CALLS.map((c) => runBash(c, env)));
    expect(shimmed).toEqual(await viaNpm);
    expect(shimmed.map((r) => r.code)).toEqual([1, 0, 1]);
    expect(shimmed[2]!.stderr).toContain('No contact con_00000000000000000000000000 in the running CRM');
  }, 120_000);
});
