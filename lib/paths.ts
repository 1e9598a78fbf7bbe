import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root; handler entries in FEATURES are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
