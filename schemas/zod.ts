/**
 * zod/mini (tree-shakeable: a few KB per bundle instead of ~450 KB for the classic API). Every
 * schema imports zod as `import * as z from './zod'` and is defined inside a `once(() => …)`
 * factory (schemas/once.ts), which also installs zod's English messages before the first schema is
 * built, so validation errors read "Invalid email address" rather than "Invalid input".
 *
 * Re-exporting with `export *` (not `export { z }` of a namespace object) is what lets esbuild
 * drop the unused parts of zod and all other locales.
 */
export * from 'zod/mini';
