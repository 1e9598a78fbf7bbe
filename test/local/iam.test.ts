/**
 * The local IAM stand-in on the real run path: handlers loaded by the local runtime run as their
 * feature, and the shared DynamoDB client refuses what the feature's grants refuse — against
 * DynamoDB Local, so an allowed write lands and a refused one does not.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES } from '../../functions/api/features';
import { keys } from '../../functions/data/keys';
import { ensureProfile } from '../../functions/notifications/profiles';
import { currentFeature, enforceFeatureGrants, runAsFeature, takeAccessDenials } from '../../local/iam';
import { startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
  // The runtime registers the check when it loads the first handler; these first cases call
  // feature code directly, as a handler would, so register it up front.
  enforceFeatureGrants();
});
afterAll(async () => {
  await stack?.stop();
});

const profile = async (userId: string) =>
  (await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.user.profile(userId), ConsistentRead: true }))).Item;

describe('a feature\'s DynamoDB requests, locally', () => {
  it('pass when the feature declares them: the write lands', async () => {
    await runAsFeature('notifications', () => ensureProfile({ userId: 'iam-allowed', email: 'allowed@example.com', role: 'sales' }, new Date()));
    expect(await profile('iam-allowed')).toMatchObject({ email: 'allowed@example.com' });
    expect(takeAccessDenials()).toEqual([]);
  });

  it('fail with AccessDeniedException when it does not, and nothing is written', async () => {
    const write = runAsFeature('customers', () => ensureProfile({ userId: 'iam-denied', email: 'denied@example.com', role: 'sales' }, new Date()));
    await expect(write).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(await profile('iam-denied')).toBeUndefined();
    expect(takeAccessDenials()).toEqual([{ feature: 'customers', action: 'PutItem', resource: expect.stringContaining(stack.tableName), leadingKeys: ['USER#* (userProfile)'] }]);
  });

  it('are not checked outside an invocation (seed, tests calling repositories)', async () => {
    expect(currentFeature()).toBeUndefined();
    await ensureProfile({ userId: 'iam-outside', email: 'outside@example.com', role: 'sales' }, new Date());
    expect(await profile('iam-outside')).toBeDefined();
  });

  it('run through the gateway as the routed feature, with its grants from FEATURES', async () => {
    expect((await stack.request('GET', '/v1/health')).status).toBe(200);
    expect(takeAccessDenials()).toEqual([]);

    // Failure injection: the system feature without its one read. Health swallows the error
    // (503 "database not reachable"), which is why every refusal is also recorded.
    const declared = FEATURES.system.table;
    (FEATURES.system as { table: unknown }).table = { read: [] };
    try {
      expect((await stack.request('GET', '/v1/health')).status).toBe(503);
    } finally {
      (FEATURES.system as { table: unknown }).table = declared;
    }
    expect(takeAccessDenials()).toEqual([expect.objectContaining({ feature: 'system', action: 'GetItem' })]);
    expect((await stack.request('GET', '/v1/health')).status).toBe(200);
  });

  it('run scheduled jobs as the jobs feature, with its grants from FEATURES', async () => {
    const heartbeat = async () => (await stack.ddb.send(new GetCommand({ TableName: stack.tableName, Key: keys.system.heartbeat(), ConsistentRead: true }))).Item?.lastRunAt;
    await stack.runJob('heartbeat', '2030-01-01T00:00:00Z');
    expect(await heartbeat()).toBe('2030-01-01T00:00:00.000Z');

    // Failure injection: jobs without the heartbeat partition.
    const declared = FEATURES.jobs.table;
    const { heartbeat: _dropped, ...write } = declared.write;
    (FEATURES.jobs as { table: unknown }).table = { ...declared, write };
    try {
      await stack.runJob('heartbeat', '2030-01-02T00:00:00Z').catch(() => undefined);
    } finally {
      (FEATURES.jobs as { table: unknown }).table = declared;
    }
    expect(takeAccessDenials()).toEqual([expect.objectContaining({ feature: 'jobs', action: 'PutItem', leadingKeys: ['SYS#HEARTBEAT (heartbeat)'] })]);
    expect(await heartbeat()).toBe('2030-01-01T00:00:00.000Z');
  });
});
