/**
 * Customers archived before the per-owner archived key existed (gsi1 archived partition only, no
 * gsi2 key) are missing from their owner's `archived=true` list until
 * scripts/backfill-archived-owner-key.ts runs; after it they are listed, a second run changes
 * nothing, and live customers are untouched. Against DynamoDB Local.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keys } from '../../functions/data/keys';
import { SALES_REPS } from '../../local/demo-users';
import { backfillArchivedOwnerKey } from '../../scripts/backfill-archived-owner-key';
import { startTestStack, type TestStack } from '../support/stack';
import { createCustomer } from './sales-fixtures';

vi.setConfig({ testTimeout: 300_000 });

let crm: TestStack;
let dir: string;
const rep = SALES_REPS[0]!.id;

beforeAll(async () => {
  crm = await startTestStack();
  dir = mkdtempSync(join(tmpdir(), 'backfill-'));
});
afterAll(async () => {
  await crm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Archives through the API, then strips the per-owner key: the item as the old code wrote it. */
async function archivedOldShape(ownerId: string): Promise<string> {
  const id = await createCustomer(crm, ownerId);
  expect((await crm.request('DELETE', `/v1/customers/${id}`, { role: 'admin' })).status).toBe(200);
  await crm.ddb.send(new UpdateCommand({ TableName: crm.tableName, Key: keys.customer.primary(id), UpdateExpression: 'REMOVE gsi2pk, gsi2sk' }));
  return id;
}

const archivedListOf = async (userId: string) =>
  (await crm.request('GET', '/v1/customers?archived=true&limit=100', { role: 'sales', userId })).body.items.map((c: { id: string }) => c.id) as string[];

describe('backfill of the per-owner archived key', () => {
  it('lists old-shape archived customers for their owner after a run; a second run changes nothing', async () => {
    const old = [await archivedOldShape(rep), await archivedOldShape(rep), await archivedOldShape(rep)];
    const live = await createCustomer(crm, rep);
    const liveBefore = (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.customer.primary(live) }))).Item;
    const versionBefore = (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.customer.primary(old[0]!) }))).Item!.version;

    const before = await archivedListOf(rep);
    for (const id of old) expect(before).not.toContain(id);

    // Pages of one item with a progress file: the resumable path, read to the end.
    const progressFile = join(dir, 'progress.json');
    const first = await backfillArchivedOwnerKey({ ddb: crm.ddb, tableName: crm.tableName, rate: 1000, pageSize: 1, progressFile });
    expect(first.missing).toBeGreaterThanOrEqual(3);
    expect(first.updated).toBe(first.missing);
    expect(first.changed).toBe(0);
    expect(existsSync(progressFile)).toBe(false);

    const after = await archivedListOf(rep);
    for (const id of old) expect(after).toContain(id);
    // The index key is no change of the record: same version (ETag), and the live one is untouched.
    const stored = (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.customer.primary(old[0]!) }))).Item!;
    expect(stored.version).toBe(versionBefore);
    expect(stored.gsi2pk).toBe(keys.customer.archivedOwnerPartition(rep));
    expect(stored.gsi2sk).toBe(stored.gsi1sk);
    expect((await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.customer.primary(live) }))).Item).toEqual(liveBefore);

    const second = await backfillArchivedOwnerKey({ ddb: crm.ddb, tableName: crm.tableName, rate: 1000, progressFile });
    expect(second).toMatchObject({ missing: 0, updated: 0, changed: 0 });
    expect(second.read).toBeGreaterThanOrEqual(3);
    expect(await archivedListOf(rep)).toEqual(after);

    // A backfilled customer restores into the live lists and leaves the archived one.
    expect((await crm.request('POST', `/v1/customers/${old[0]}/restore`, { role: 'admin', body: {} })).status).toBe(200);
    expect(await archivedListOf(rep)).not.toContain(old[0]);
    const liveList = (await crm.request('GET', '/v1/customers?limit=100', { role: 'sales', userId: rep })).body.items.map((c: { id: string }) => c.id);
    expect(liveList).toContain(old[0]);
  });
});
