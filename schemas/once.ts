/**
 * Schemas are built on first use, not when their module loads (docs/performance.md, "Cold start").
 * Every schema module exports its schemas as `once(() => …)` factories: a route row references the
 * factories of its own params, query, body and response, and the request chain calls them when the
 * route is first served — so a cold start constructs no schema at all, and a warm container only
 * those of the routes it has served. Inside a factory, other schemas are referenced by calling them.
 *
 * The first factory to run also installs zod's English messages ("Invalid email address" rather than
 * "Invalid input"), so a function that never validates never loads the locale either.
 */
import { config, type output, type ZodMiniType } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

let configured = false;

export function once<T>(build: () => T): () => T {
  let built: { value: T } | undefined;
  return () => {
    if (!built) {
      if (!configured) {
        config(en());
        configured = true;
      }
      built = { value: build() };
    }
    return built.value;
  };
}

/**
 * What a schema factory's schema validates to: `Infer<typeof CustomerCreate>` is the body a
 * customer-create operation receives. Services take these types, never `Record<string, unknown>`.
 */
export type Infer<Factory extends () => unknown> = Factory extends () => infer Schema ? (Schema extends ZodMiniType ? output<Schema> : never) : never;
