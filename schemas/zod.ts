/**
 * zod/mini (tree-shakeable: a few KB per bundle instead of ~450 KB for the classic API) with the
 * English messages loaded once, so validation errors read "Invalid email address" rather than
 * "Invalid input". Every schema imports zod as `import * as z from './zod'`.
 *
 * Re-exporting with `export *` (not `export { z }` of a namespace object) is what lets esbuild
 * drop the unused parts of zod and all other locales.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
