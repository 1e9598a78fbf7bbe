import { createServer } from 'node:net';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { engineEndpoint } from '../support/engine';
import { TABLE_SPEC } from '../../functions/data/table';
import { JavaMissingError, checkJava, ensureTable, parseJavaMajor, startDynamoDbLocal } from '../../local/engines/dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/env';
import { REPO_ROOT } from '../../local/paths';
import { run } from '../support/run';

describe('Java check', () => {
  it('reads the major version from `java -version` output', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('command not found')).toBeUndefined();
  });

  it('explains how to get Java when it is missing', () => {
    expect(() => checkJava('java-that-does-not-exist')).toThrow(JavaMissingError);
    expect(() => checkJava('java-that-does-not-exist')).toThrow(/needs Java 17 or newer/);
  });

  it('makes npm start stop with that explanation when java is not on the PATH', async () => {
    const result = await run(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      cwd: REPO_ROOT, env: { PATH: '/nonexistent', DATA_DIR: '/nonexistent/never-created' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Java was not found.*needs Java 17 or newer/s);
  });
});

describe('DynamoDB Local', () => {
  const client = new DynamoDBClient({ endpoint: engineEndpoint()!, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const tableName = `crm-ensure-${process.pid}`;
  afterAll(async () => {
    await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => {});
    client.destroy();
  });

  it('creates the table from the one specification, idempotently, with indexes and stream', async () => {
    await Promise.all([ensureTable(client, tableName), ensureTable(client, tableName)]);
    await ensureTable(client, tableName);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(TABLE_SPEC.globalIndexes.map((i) => i.name));
    expect(Table?.StreamSpecification).toMatchObject({ StreamEnabled: true, StreamViewType: TABLE_SPEC.stream });
  });

  it('fails clearly, before starting Java, when its port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', done));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startDynamoDbLocal({ port, startTimeoutMs: 20_000 })).rejects.toThrow(new RegExp(`Port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  });
});
