/**
 * Calibrates the write-cost model (functions/data/capacity.ts) against DynamoDB Local where Local
 * is right — single PutItem/UpdateItem/DeleteItem/BatchWriteItem of various sizes and index
 * footprints — and checks that a transaction counted through the project's client reports the
 * model's figure (every item ×2, condition checks as writes), not the engine's.
 */
import { randomBytes } from 'node:crypto';
import {
  BatchWriteItemCommand, DeleteItemCommand, DeleteTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand,
  UpdateItemCommand, type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineEndpoint } from '../support/engine';
import { actionCost, engineWriteUnitsOf, requestCost, type ModelledAction, type WireItem } from '../../functions/data/capacity';
import { ddb, resetDbClientForTests, withDbUsage } from '../../functions/data/client';
import { ensureTable } from '../../local/engines/dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/env';

let raw: DynamoDBClient;
const table = `crm-capacity-${process.pid}-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  const endpoint = engineEndpoint()!;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  });
  resetDbClientForTests();
  raw = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await ensureTable(raw, table);
});

afterAll(async () => {
  await raw?.send(new DeleteTableCommand({ TableName: table })).catch(() => {});
  raw?.destroy();
});

const w = (o: Record<string, unknown>) => marshall(o, { removeUndefinedValues: true });
const key = (id: string) => w({ pk: `CAL#${id}`, sk: '#A' });
const pad = (n: number) => 'x'.repeat(n);
/** An item of about `bytes` bytes carrying the keys of the first `indexes` GSIs. */
function item(id: string, bytes: number, indexes: number, extra: Record<string, unknown> = {}): WireItem {
  const keys: Record<string, string> = {};
  for (let i = 1; i <= indexes; i++) Object.assign(keys, { [`gsi${i}pk`]: `G${i}`, [`gsi${i}sk`]: id });
  return { ...key(id), ...w({ ...keys, ...extra, body: pad(bytes) }) };
}
const image = async (k: WireItem) => (await raw.send(new GetItemCommand({ TableName: table, Key: k, ConsistentRead: true }))).Item;
const reported = (out: { ConsumedCapacity?: { CapacityUnits?: number } }) => out.ConsumedCapacity?.CapacityUnits;

type Case = { label: string; kind: ModelledAction['kind']; id: string; write: () => Promise<{ ConsumedCapacity?: { CapacityUnits?: number } }> };

const cases: Case[] = [];
for (const bytes of [10, 900, 1_100, 3_000]) {
  for (const indexes of [0, 1, 4]) {
    const id = `put-${bytes}-${indexes}`;
    cases.push({ label: `put ${bytes} B, ${indexes} GSI`, kind: 'put', id, write: () => raw.send(new PutItemCommand({ TableName: table, Item: item(id, bytes, indexes), ReturnConsumedCapacity: 'TOTAL' })) });
  }
}
// Overwrite a larger item with a smaller one: billed on the larger; both index arms priced.
cases.push({ label: 'put 3000 B over 900 B, 2 GSI', kind: 'put', id: 'put-900-1', write: () => raw.send(new PutItemCommand({ TableName: table, Item: item('put-900-1', 3_000, 2), ReturnConsumedCapacity: 'TOTAL' })) });
const update = (id: string, expression: string, values?: Record<string, unknown>, names?: Record<string, string>) => () => raw.send(new UpdateItemCommand({
  TableName: table, Key: key(id), UpdateExpression: expression, ReturnConsumedCapacity: 'TOTAL',
  ...(values ? { ExpressionAttributeValues: w(values) as Record<string, AttributeValue> } : {}), ...(names ? { ExpressionAttributeNames: names } : {}),
}));
cases.push(
  { label: 'update a non-key attribute, 4 GSI (ALL)', kind: 'update', id: 'put-1100-4', write: update('put-1100-4', 'SET note = :n', { ':n': 'changed' }) },
  { label: 'update moves one GSI key', kind: 'update', id: 'put-900-1', write: update('put-900-1', 'SET gsi1sk = :k', { ':k': 'moved' }) },
  { label: 'update adds a GSI key (enters the index)', kind: 'update', id: 'put-10-0', write: update('put-10-0', 'SET gsi3pk = :p, gsi3sk = :s', { ':p': 'G3', ':s': 'x' }) },
  { label: 'update removes a GSI key (leaves the index)', kind: 'update', id: 'put-3000-1', write: update('put-3000-1', 'REMOVE gsi1sk') },
  { label: 'update grows the item past 1 KB', kind: 'update', id: 'put-900-0', write: update('put-900-0', 'SET #b = :b', { ':b': pad(2_500) }, { '#b': 'body' }) },
  { label: 'update creates a missing item', kind: 'update', id: 'upsert', write: update('upsert', 'SET n = :n', { ':n': 1 }) },
  { label: 'delete an item in 4 GSI', kind: 'delete', id: 'put-3000-4', write: () => raw.send(new DeleteItemCommand({ TableName: table, Key: key('put-3000-4'), ReturnConsumedCapacity: 'TOTAL' })) },
  { label: 'delete a missing item', kind: 'delete', id: 'missing', write: () => raw.send(new DeleteItemCommand({ TableName: table, Key: key('missing'), ReturnConsumedCapacity: 'TOTAL' })) },
);

describe('the model agrees with DynamoDB Local on single-item writes', () => {
  const rows: string[] = [];
  afterAll(() => {
    // The calibration table (also in docs/access-patterns.md's method note).
    console.log(['| write | Local WCU | model WCU |', '|---|---:|---:|', ...rows].join('\n'));
  });

  for (const c of cases) {
    it(c.label, async () => {
      const before = await image(key(c.id));
      const out = await c.write();
      const after = c.kind === 'delete' ? undefined : await image(key(c.id));
      const modelled = actionCost({ kind: c.kind, before, after }, false).total;
      rows.push(`| ${c.label} | ${reported(out)} | ${modelled} |`);
      expect(modelled).toBe(reported(out));
    });
  }

  it('a BatchWriteItem costs the sum of its puts and deletes', async () => {
    const puts = [item('batch-1', 10, 2), item('batch-2', 1_500, 1)];
    const before = await image(key('put-1100-1'));
    const out = await raw.send(new BatchWriteItemCommand({
      RequestItems: { [table]: [...puts.map((Item) => ({ PutRequest: { Item } })), { DeleteRequest: { Key: key('put-1100-1') } }] },
      ReturnConsumedCapacity: 'TOTAL',
    }));
    const modelled = requestCost([...puts.map((after) => ({ kind: 'put' as const, after })), { kind: 'delete', before }], false).total;
    expect(modelled).toBe(out.ConsumedCapacity?.[0]?.CapacityUnits);
  });
});

describe('transactions are counted by the model, not by DynamoDB Local', () => {
  it('every item ×2, a condition check as a doubled write, index arms once; the engine figure kept apart', async () => {
    await raw.send(new PutItemCommand({ TableName: table, Item: item('tx-checked', 100, 0) }));
    await raw.send(new PutItemCommand({ TableName: table, Item: item('tx-updated', 100, 0) }));
    const { usage } = await withDbUsage(() => ddb().send(new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: table, Item: { pk: 'CAL#tx-a', sk: '#A', body: pad(100) }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: table, Item: { pk: 'CAL#tx-b', sk: '#A', gsi1pk: 'G1', gsi1sk: 'tx-b', body: pad(100) } } },
        { ConditionCheck: { TableName: table, Key: { pk: 'CAL#tx-checked', sk: '#A' }, ConditionExpression: 'attribute_exists(pk)' } },
        { Update: { TableName: table, Key: { pk: 'CAL#tx-updated', sk: '#A' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 1 } } },
      ],
    })));
    // By hand: four sub-1 KB items × 2 (prepare + commit) = 8, plus one gsi1 entry = 9.
    expect(usage.writeUnits).toBe(9);
    // DynamoDB Local's own figure for the same request (2 × the distinct per-item costs) stays available.
    expect(engineWriteUnitsOf(usage)).toBeDefined();
    expect(engineWriteUnitsOf(usage)).not.toBe(9);
    expect(usage.requests).toBe(1); // the model's image reads are not counted as the handler's requests
  });

  it('a cancelled transaction costs nothing in the model', async () => {
    const { usage } = await withDbUsage(async () => {
      await ddb().send(new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { pk: 'CAL#tx-c', sk: '#A' } } },
          { ConditionCheck: { TableName: table, Key: { pk: 'CAL#nobody', sk: '#A' }, ConditionExpression: 'attribute_exists(pk)' } },
        ],
      })).catch((error: Error) => expect(error.name).toBe('TransactionCanceledException'));
    });
    expect(usage.writeUnits).toBe(0);
    expect((await image(w({ pk: 'CAL#tx-c', sk: '#A' })))).toBeUndefined();
  });
});
