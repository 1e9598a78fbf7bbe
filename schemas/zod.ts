/**
 * zod/mini (tree-shakeable: ~40 KB in a bundle instead of ~450 KB for the classic API) with the
 * English messages loaded once, so validation errors read "Invalid email address" rather than
 * "Invalid input". Every schema in the project imports `z` from here.
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';

z.config(en());

export { z };
