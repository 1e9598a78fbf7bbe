import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderPermissionTable } from '../../functions/security/permission-table';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the permission matrix the middleware enforces (run `npm run docs:permissions` after changing it)', () => {
    expect(readme).toContain(renderPermissionTable());
  });

  it('has exactly the two quick-start commands, and CI runs the test one', () => {
    const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('##', readme.indexOf('## Quick start') + 5));
    const commands = [...quickStart.matchAll(/```(?:bash|sh)(?: noexec)?\n([^`]+)```/g)].map((m) => m[1]!.trim());
    expect(commands).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    expect(ci).toContain('\nnpm ci && npm test\n');
  });
});
