/**
 * The cold-start yardstick (test/budget/cold-start.test.ts): a handler holding only the DynamoDB
 * document client, created lazily as the real functions do. Every function's module init time is
 * budgeted as a multiple of this one's, built with the same options, so the budget does not
 * depend on how fast or busy the measuring machine is.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let client: DynamoDBDocumentClient | undefined;

export const handler = async (): Promise<{ statusCode: number }> => {
  client ??= DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return { statusCode: client ? 200 : 500 };
};
