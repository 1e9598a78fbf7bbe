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
