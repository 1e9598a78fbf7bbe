/**
 * The DynamoDB Local engine of this test fork (test/support/global-setup.ts starts one per fork).
 * Undefined when the file runs without the global setup (a custom config).
 */
import { inject } from 'vitest';

export function engineEndpoint(): string | undefined {
  let endpoints: string[] | undefined;
  try {
    endpoints = inject('dynamodbEndpoints');
  } catch {
    return undefined;
  }
  if (!endpoints || endpoints.length === 0) return undefined;
  const pool = Number(process.env.VITEST_POOL_ID ?? '1');
  const index = Number.isInteger(pool) && pool > 0 ? (pool - 1) % endpoints.length : 0;
  return endpoints[index];
}

/** The run's signing key directory (test/support/global-setup.ts); undefined without that setup. */
export function signingKeyDir(): string | undefined {
  try {
    return inject('signingKeyDir') || undefined;
  } catch {
    return undefined;
  }
}
