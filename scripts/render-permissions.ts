/** Rewrites the permission matrix in README.md from functions/security/permissions.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withPermissionTable } from '../functions/security/permission-table';

const path = new URL('../README.md', import.meta.url);
writeFileSync(path, withPermissionTable(readFileSync(path, 'utf8')));
console.log('README.md permission matrix updated');
