/**
 * Every table key the key module (functions/data/keys.ts) can build, found by walking its
 * builders rather than listing them, so a builder added later is covered without editing tests.
 * Each builder is called with placeholder strings and/or an object whose every field is a
 * placeholder (for builders taking a record); only results carrying a `pk` (table keys) are kept.
 */
import { keys } from '../../functions/data/keys';

export interface BuiltKey {
  /** Path of the builder in `keys`, e.g. `customer.primary`. */
  builder: string;
  pk: string;
  sk: string;
}

const placeholderRecord = new Proxy({}, { get: (_target, field) => (typeof field === 'string' ? `x-${field}` : undefined) });

function attempt(fn: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  try {
    return fn(...args);
  } catch {
    return undefined;
  }
}

export function builtKeys(): BuiltKey[] {
  const found: BuiltKey[] = [];
  const walk = (node: unknown, path: string[]) => {
    if (typeof node === 'function') {
      const fn = node as (...args: unknown[]) => unknown;
      const arity = Math.max(fn.length, 1);
      // Every mix of placeholder strings and records (builders take at most a few arguments).
      for (let mask = 0; mask < 2 ** arity; mask++) {
        const args = Array.from({ length: arity }, (_, i) => ((mask >> i) & 1 ? placeholderRecord : `x${i}`));
        const out = attempt(fn, args) as { pk?: unknown; sk?: unknown } | undefined;
        if (out && typeof out === 'object' && typeof out.pk === 'string') {
          found.push({ builder: path.join('.'), pk: out.pk, sk: String(out.sk) });
          return;
        }
      }
    } else if (node && typeof node === 'object') {
      for (const [name, child] of Object.entries(node)) walk(child, [...path, name]);
    }
  };
  walk(keys, []);
  return found;
}
