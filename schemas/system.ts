import * as z from './zod';
import { once } from './once';

export const Health = once(() => z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.record(z.string(), z.object({ status: z.enum(['ok', 'failing']), detail: z.optional(z.string()) })),
    stage: z.string(),
    time: z.string(),
  })
  .check(z.meta({ id: 'Health' })));

export const Me = once(() => z
  .object({
    userId: z.string(),
    email: z.optional(z.string()),
    role: z.string(),
    groups: z.array(z.string()),
    permissions: z.record(z.string(), z.enum(['all', 'own'])),
  })
  .check(z.meta({ id: 'Me' })));

/** `GET /problems/{type}`: a problem type's slug (functions/system/problem-types.ts), or `index`. */
export const ProblemTypeParam = once(() => ({
  type: z.string().check(
    z.regex(/^[a-z][a-z-]{0,39}$/),
    z.meta({ description: 'The last path segment of a problem `type` URI, e.g. `validation-failed`; `index` lists them all. Anything else answers 404.' }),
  ),
}));
