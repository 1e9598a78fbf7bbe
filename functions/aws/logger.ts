/**
 * A function's Powertools logger, constructed on first use rather than at load: constructing a
 * Logger builds its console on `process.stdout` (a stream Node creates on first access) and reads
 * its settings from the environment, ≈ 3–5 ms of CPU that a cold start would pay before the
 * handler is ready (docs/performance.md, "Cold start"). One per container, as before.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export function lazyLogger(defaultServiceName: string): () => Logger {
  let logger: Logger | undefined;
  return () => (logger ??= new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName }));
}
