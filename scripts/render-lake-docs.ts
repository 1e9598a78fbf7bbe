/** Rewrites the lake column reference in docs/analytics.md from functions/analytics/lake.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withLakeColumns } from '../functions/analytics/lake';

const path = new URL('../docs/analytics.md', import.meta.url);
writeFileSync(path, withLakeColumns(readFileSync(path, 'utf8')));
console.log('docs/analytics.md lake columns updated');
