/**
 * The local stand-in for IAM (local/iam.ts) evaluating the statements lib/grants.ts derives from
 * FEATURES: what a request becomes for IAM (transactions per item, batches per table) and which
 * requests a feature's role allows. The same evaluator guards every integration test, so a wrong
 * answer here would let a missing grant through to AWS.
 */
import { describe, expect, it } from 'vitest';
import type { FeatureDef } from '../../functions/api/features';
import { authorizationRequests, authorizeCommand, isAllowed, localGrants, tableArn } from '../../local/iam';
import { stringLike, tableGrants } from '../../lib/grants';

const TABLE = 'crm-unit';
const table = tableArn(TABLE);
const allowed = (feature: Parameters<typeof localGrants>[0], command: string, input: Record<string, unknown>) =>
  authorizationRequests(command, { TableName: TABLE, ...input }).every((request) => isAllowed(localGrants(feature, TABLE), request));

describe('IAM StringLike', () => {
  it('matches * as any run (also none) and ? as one character, everything else literally', () => {
    expect(stringLike('CUS#cus_1', 'CUS#*')).toBe(true);
    expect(stringLike('CUS#', 'CUS#*')).toBe(true);
    expect(stringLike('CUSTOMERS', 'CUS#*')).toBe(false);
    expect(stringLike('SETTINGS#TERRITORIES', 'SETTINGS#TERRITORIES')).toBe(true);
    expect(stringLike('SETTINGS#TERRITORIES#X', 'SETTINGS#TERRITORIES')).toBe(false);
    expect(stringLike('a.b', 'a?b')).toBe(true);
    expect(stringLike('axb', 'a.b')).toBe(false);
    expect(stringLike('cus#1', 'CUS#*')).toBe(false);
  });
});

describe('requests as IAM sees them', () => {
  it('authorises a transaction per contained item, with that item\'s partition key', () => {
    const requests = authorizationRequests('TransactWriteItemsCommand', {
      TransactItems: [
        { Put: { TableName: TABLE, Item: { pk: 'ACT#act_1', sk: '#PROFILE' } } },
        { ConditionCheck: { TableName: TABLE, Key: { pk: 'CUS#cus_1', sk: '#PROFILE' }, ConditionExpression: 'attribute_exists(pk)' } },
        { Update: { TableName: TABLE, Key: { pk: { S: 'CUS#cus_1' }, sk: { S: '#ACTIVITY' } }, UpdateExpression: 'SET a = :a' } },
        { Delete: { TableName: TABLE, Key: { pk: 'IDEM#u#k', sk: 'IDEM' } } },
      ],
    });
    expect(requests).toEqual([
      { action: 'PutItem', resource: table, leadingKeys: ['ACT#act_1'] },
      { action: 'ConditionCheckItem', resource: table, leadingKeys: ['CUS#cus_1'] },
      { action: 'UpdateItem', resource: table, leadingKeys: ['CUS#cus_1'] },
      { action: 'DeleteItem', resource: table, leadingKeys: ['IDEM#u#k'] },
    ]);
  });

  it('names the index as the resource of an index Query, and the partition of a table Query', () => {
    expect(authorizationRequests('QueryCommand', { TableName: TABLE, IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :pk' }))
      .toEqual([{ action: 'Query', resource: `${table}/index/gsi2` }]);
    expect(authorizationRequests('QueryCommand', {
      TableName: TABLE, KeyConditionExpression: '#pk = :pk AND begins_with(sk, :p)', ExpressionAttributeNames: { '#pk': 'pk' }, ExpressionAttributeValues: { ':pk': 'TSK#1', ':p': '#' },
    })).toEqual([{ action: 'Query', resource: table, leadingKeys: ['TSK#1'] }]);
  });

  it('carries every key of a batch', () => {
    expect(authorizationRequests('BatchGetItemCommand', { RequestItems: { [TABLE]: { Keys: [{ pk: 'TSK#1', sk: '#TASK' }, { pk: 'USER#u1', sk: '#PROFILE' }] } } }))
      .toEqual([{ action: 'BatchGetItem', resource: table, leadingKeys: ['TSK#1', 'USER#u1'] }]);
  });
});

describe('what a feature\'s role allows', () => {
  it('lets a feature write the partitions it declares, with the actions it declares', () => {
    expect(allowed('customers', 'PutItemCommand', { Item: { pk: 'CUS#cus_1', sk: '#PROFILE' } })).toBe(true);
    expect(allowed('customers', 'DeleteItemCommand', { Key: { pk: 'UNQ#EMAIL#a@example.com', sk: 'UNQ' } })).toBe(true);
    // jobs may move a customer's dormancy tracker (UpdateItem), not replace customer items.
    expect(allowed('jobs', 'UpdateItemCommand', { Key: { pk: 'CUS#cus_1', sk: '#ACTIVITY' } })).toBe(true);
    expect(allowed('jobs', 'PutItemCommand', { Item: { pk: 'CUS#cus_1', sk: '#PROFILE' } })).toBe(false);
  });

  it('refuses user profiles, which decide where emails go, to every feature but those declaring them', () => {
    const put = { Item: { pk: 'USER#u1', sk: '#PROFILE', email: 'x@example.com' } };
    expect(allowed('tasks', 'PutItemCommand', put)).toBe(true);
    expect(allowed('notifications', 'PutItemCommand', put)).toBe(true);
    for (const feature of ['customers', 'leads', 'deals', 'jobs', 'system'] as const) expect(allowed(feature, 'PutItemCommand', put), feature).toBe(false);
  });

  it('refuses a transaction when one item lies outside the declared partitions', () => {
    const tx = (pk: string) => ({ TransactItems: [{ Put: { TableName: TABLE, Item: { pk: 'PRD#p1', sk: '#PRODUCT' } } }, { Put: { TableName: TABLE, Item: { pk, sk: 'AUD#1' } } }] });
    expect(allowed('products', 'TransactWriteItemsCommand', tx('PRD#p1'))).toBe(true);
    expect(allowed('products', 'TransactWriteItemsCommand', tx('CUS#c1'))).toBe(false);
  });

  it('allows a ConditionCheck only to features that read with it, on the table', () => {
    const check = { TransactItems: [{ ConditionCheck: { TableName: TABLE, Key: { pk: 'CUS#c1', sk: '#PROFILE' } } }] };
    expect(allowed('activities', 'TransactWriteItemsCommand', check)).toBe(true);
    expect(allowed('products', 'TransactWriteItemsCommand', check)).toBe(false);
  });

  it('allows Query only on declared indexes, and never Scan, BatchWriteItem or DescribeTable', () => {
    expect(allowed('tasks', 'QueryCommand', { IndexName: 'gsi2', KeyConditionExpression: 'gsi2pk = :p' })).toBe(true);
    expect(allowed('tasks', 'QueryCommand', { IndexName: 'gsi3', KeyConditionExpression: 'gsi3pk = :p' })).toBe(false);
    expect(allowed('customers', 'ScanCommand', {})).toBe(false);
    expect(allowed('customers', 'BatchWriteItemCommand', { RequestItems: { [TABLE]: [{ PutRequest: { Item: { pk: 'CUS#1', sk: '#PROFILE' } } }] } })).toBe(false);
    expect(allowed('jobs', 'DescribeTableCommand', {})).toBe(false);
  });

  it('allows a BatchGet across partitions (reads carry no partition condition) but not on another table', () => {
    const keys = { Keys: [{ pk: 'TSK#1', sk: '#TASK' }, { pk: 'USER#u1', sk: '#PROFILE' }] };
    expect(allowed('jobs', 'BatchGetItemCommand', { RequestItems: { [TABLE]: keys } })).toBe(true);
    expect(allowed('jobs', 'BatchGetItemCommand', { RequestItems: { 'other-table': keys } })).toBe(false);
  });

  it('grants nothing on the table to a feature without table access', () => {
    expect(localGrants('events-publisher', TABLE)).toEqual([]);
    expect(allowed('events-publisher', 'GetItemCommand', { Key: { pk: 'CUS#1', sk: '#PROFILE' } })).toBe(false);
  });

  it('applies ForAllValues: every partition of the request must be allowed, not just one', () => {
    const grants = tableGrants({ table: { read: [], write: { customer: ['PutItem'] } } } as Pick<FeatureDef, 'table'>, { table, indexes: {} });
    expect(isAllowed(grants, { action: 'PutItem', resource: table, leadingKeys: ['CUS#1', 'CUS#2'] })).toBe(true);
    expect(isAllowed(grants, { action: 'PutItem', resource: table, leadingKeys: ['CUS#1', 'USER#u1'] })).toBe(false);
  });
});

describe('a refusal', () => {
  it('is the SDK\'s AccessDeniedException, naming action and family but never the key\'s value', () => {
    let caught: unknown;
    try {
      authorizeCommand('customers', 'PutItemCommand', { TableName: TABLE, Item: { pk: 'USER#u1', sk: '#PROFILE' } }, TABLE);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: 'AccessDeniedException', $fault: 'client', denial: { feature: 'customers', action: 'PutItem', leadingKeys: ['USER#* (userProfile)'] } });
    expect((caught as Error).message).toMatch(/not authorized to perform: dynamodb:PutItem/);
    expect(() => authorizeCommand('customers', 'PutItemCommand', { TableName: TABLE, Item: { pk: 'LUNQ#EMAIL#ann@example.com', sk: 'UNQ' } }, TABLE))
      .toThrow(/LUNQ#EMAIL#\* \(leadEmail\)/);
    try {
      authorizeCommand('customers', 'PutItemCommand', { TableName: TABLE, Item: { pk: 'LUNQ#EMAIL#ann@example.com', sk: 'UNQ' } }, TABLE);
    } catch (error) {
      expect((error as Error).message).not.toContain('ann@example.com');
    }
  });
});
