import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_USERS } from '../../local/demo-users';
import { localIssuer } from '../../local/jwt';
import { REPO_ROOT } from '../../local/paths';
import { run } from '../support/run';

const dataDir = mkdtempSync(join(tmpdir(), 'crm-token-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function token(...args: string[]) {
  return run('npm', ['run', '--silent', 'token', '--', ...args], { cwd: REPO_ROOT, env: { ...process.env, DATA_DIR: dataDir } });
}

describe('npm run --silent token', () => {
  it('prints only a token the local gateway accepts, for the role\'s first demo user', async () => {
    const result = await token('manager');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/); // nothing else, not even a newline
    const claims = decodeJwt(result.stdout);
    const manager = DEMO_USERS.find((u) => u.role === 'manager')!;
    expect(claims).toMatchObject({ sub: manager.id, email: manager.email, 'cognito:groups': ['manager'] });
    const issuer = await localIssuer({ dataDir });
    await expect(issuer.verifier.verify(result.stdout)).resolves.toBeTruthy();
  });

  it('signs for a given user id', async () => {
    const result = await token('sales', 'rep-42');
    expect(result.status).toBe(0);
    expect(decodeJwt(result.stdout)).toMatchObject({ sub: 'rep-42', 'cognito:groups': ['sales'] });
  });

  it('rejects an unknown role on stderr with exit status 1', async () => {
    const result = await token('wizard');
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Unknown role "wizard"/);
    expect(result.stderr).toMatch(/admin, manager, sales/);
  });
});
