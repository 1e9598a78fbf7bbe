/**
 * The integration-test stack wires every engine through the same environment variables the
 * handlers' SDK clients read, so this drives each client with nothing but that environment.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/data/keys';
import { EVENT_SOURCE } from '../../functions/events/outbox';
import { LOCAL_EXPORTS_BUCKET } from '../../local/env';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => { stack = await startTestStack({ ses: true, s3: true }); });
afterAll(async () => { await stack?.stop(); });

describe('test stack', () => {
  it('serves the route table through the gateway, with tokens for demo users', async () => {
    expect(stack.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await stack.request('GET', '/v1/nowhere')).status).toBe(404);
    const anonymous = await stack.request('GET', '/v1/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ status: 401 });
    const signedIn = await stack.request('GET', '/v1/me', { role: 'sales' });
    expect(signedIn.status).not.toBe(401);
    const explicitNull = await stack.request('GET', '/v1/me', { role: 'sales', token: null });
    expect(explicitNull.status).toBe(401);
  });

  it('gives a unique table and a document client on the same engine', async () => {
    expect(stack.tableName).toMatch(/^crm-test-/);
    expect(process.env.TABLE_NAME).toBe(stack.tableName);
    await stack.ddb.send(new PutCommand({ TableName: stack.tableName, Item: { pk: 'T#1', sk: 'T#1', v: 1 } }));
    const { Item } = await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: { pk: 'T#1', sk: 'T#1' } }));
    expect(Item).toMatchObject({ v: 1 });
  });

  it('points SDK clients built from the environment alone at the local SES, S3 and event bus', async () => {
    const ses = new SESv2Client({});
    await ses.send(new SendEmailCommand({
      FromEmailAddress: 'crm@example.com',
      Destination: { ToAddresses: ['someone@example.com'] },
      Content: { Simple: { Subject: { Data: 'Hello' }, Body: { Text: { Data: 'Hi' } } } },
    }));
    expect(await stack.sentEmails()).toHaveLength(1);

    const s3 = new S3Client({ forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true' });
    await s3.send(new PutObjectCommand({ Bucket: LOCAL_EXPORTS_BUCKET, Key: 'a/b.csv', Body: 'x,y\n' }));
    const object = await s3.send(new GetObjectCommand({ Bucket: LOCAL_EXPORTS_BUCKET, Key: 'a/b.csv' }));
    expect(await object.Body!.transformToString()).toBe('x,y\n');

    const events = new EventBridgeClient({});
    const result = await events.send(new PutEventsCommand({
      Entries: [
        { Source: EVENT_SOURCE, DetailType: 'customer.created', Detail: JSON.stringify({ id: 'cus_1' }), EventBusName: process.env.EVENT_BUS_NAME },
        { Source: EVENT_SOURCE, DetailType: 'broken', Detail: 'not json', EventBusName: process.env.EVENT_BUS_NAME },
      ],
    }));
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries![1]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(await stack.publishedEvents()).toEqual([
      expect.objectContaining({ source: 'crm', 'detail-type': 'customer.created', detail: { id: 'cus_1' }, eventBusName: 'crm-test' }),
    ]);
  });

  it('drains an empty outbox without hanging', async () => {
    await stack.drainOutbox();
  });

  it('runs a scheduled job as of a given time', async () => {
    await stack.runJob('heartbeat', '2030-01-01T00:00:00Z');
    const { Item } = await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.system.heartbeat() }));
    expect(Item?.lastRunAt).toBe('2030-01-01T00:00:00.000Z');
  });
});
