import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

/** The repository root (handler entries in functions/api/features.ts are relative to it). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the local runtime keeps its state: `.data/` (git-ignored), or `DATA_DIR` if set. */
export function dataDir(): string {
  return process.env.DATA_DIR ? resolve(process.env.DATA_DIR) : join(REPO_ROOT, '.data');
}
