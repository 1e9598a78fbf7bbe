/**
 * Vitest global setup: ONE in-memory DynamoDB Local for the whole run, on a free port. Test files
 * get its endpoint with `inject('dynamodbEndpoint')` (startTestStack does that) and each stack
 * creates its own uniquely named table in it, so files stay independent and start fast.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../local/engines/dynamodb';
import { freePort } from '../../local/ports';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A generous start limit: the JVM starts slowly on a loaded two-core machine.
  const engine = await startDynamoDbLocal({ port: await freePort(), startTimeoutMs: 180_000 });
  project.provide('dynamodbEndpoint', engine.endpoint);
  return () => engine.stop();
}
