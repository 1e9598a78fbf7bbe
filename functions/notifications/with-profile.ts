import type { Operation } from '../http/chain';
import { ensureProfile } from './profiles';

/**
 * Wraps a feature's operations so every authenticated call keeps the caller's profile (email,
 * role) current for reminder emails. Costs one conditional write per user per container at most.
 */
export function withProfile<Operations extends Record<string, Operation<any>>>(operations: Operations): Operations {
  const wrapped: Record<string, Operation<any>> = {};
  for (const [name, op] of Object.entries(operations)) {
    wrapped[name] = async (ctx) => {
      if (ctx.principal) await ensureProfile(ctx.principal, ctx.now);
      return op(ctx);
    };
  }
  // The same names, each wrapping the operation of that name with the same context type.
  return wrapped as Operations;
}
