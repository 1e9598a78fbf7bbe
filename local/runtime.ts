/**
 * What a running `npm start` publishes about itself in `<data dir>/runtime.json`: its pid and
 * where each engine listens. `npm run job` uses it to talk to the running CRM instead of opening
 * the same database files a second time; the smoke test uses the pids to prove a clean shutdown.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RuntimeInfo {
  pid: number;
  javaPid?: number;
  startedAt: string;
  tableName: string;
  api: string;
  dynamodb: string;
  ses?: string;
  s3?: string;
  events?: string;
  sms?: string;
}

export const runtimeFile = (dataDir: string) => join(dataDir, 'runtime.json');

export function writeRuntime(dataDir: string, info: RuntimeInfo): void {
  writeFileSync(runtimeFile(dataDir), `${JSON.stringify(info, null, 2)}\n`);
}

export function removeRuntime(dataDir: string, pid = process.pid): void {
  const current = readRuntime(dataDir);
  if (current?.pid === pid) rmSync(runtimeFile(dataDir), { force: true });
}

/** The runtime info of a CRM that is still running, or undefined (stale files are ignored). */
export function runningCrm(dataDir: string): RuntimeInfo | undefined {
  const info = readRuntime(dataDir);
  return info && isAlive(info.pid) ? info : undefined;
}

function readRuntime(dataDir: string): RuntimeInfo | undefined {
  try {
    return JSON.parse(readFileSync(runtimeFile(dataDir), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A random secret kept in the data directory (e.g. the cursor-signing secret), created once. */
export function persistentSecret(dataDir: string, name: string): string {
  const file = join(dataDir, name);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(32).toString('hex');
    try {
      writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      return readFileSync(file, 'utf8').trim(); // another process won the race
    }
  }
}
