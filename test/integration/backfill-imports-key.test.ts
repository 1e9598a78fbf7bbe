/**
 * Imports created before `GET /v1/imports` listed everyone's imports (the job item with its
 * creator's gsi1 key only, no gsi2 `IMPORTS` key) are missing from an admin's list until
 * scripts/backfill-imports-key.ts runs; after it they are listed, a second run changes nothing,
 * keyed imports are untouched, and an import deleted meanwhile is not recreated. Against DynamoDB Local.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keys } from '../../functions/data/keys';
import { backfillImportsKey, parseArgs } from '../../scripts/backfill-imports-key';
import { startTestStack, type TestStack } from '../support/stack';

vi.setConfig({ testTimeout: 300_000 });

let crm: TestStack;
let dir: string;
const run = Math.random().toString(36).slice(2, 8);

beforeAll(async () => {
  crm = await startTestStack();
  dir = mkdtempSync(join(tmpdir(), 'backfill-imports-'));
});
afterAll(async () => {
  await crm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function createImport(userId: string): Promise<string> {
  const res = await crm.request('POST', '/v1/imports', { role: 'manager', userId, body: { entity: 'leads', mapping: { Last: 'lastName' } } });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

/** Created through the API, then stripped of the gsi2 key: the item as the old code wrote it. */
async function oldShape(userId: string): Promise<string> {
  const id = await createImport(userId);
  await crm.ddb.send(new UpdateCommand({ TableName: crm.tableName, Key: keys.importJob.primary(id), UpdateExpression: 'REMOVE gsi2pk, gsi2sk' }));
  return id;
}

const stored = async (id: string) => (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.importJob.primary(id), ConsistentRead: true }))).Item;
const adminList = async () => (await crm.request('GET', '/v1/imports?limit=100', { role: 'admin' })).body.items.map((i: { id: string }) => i.id) as string[];

describe('backfill of the imports list key', () => {
  it('lists old-shape imports for an admin after a run; a second run changes nothing', async () => {
    const old = [await oldShape(`mgr-a-${run}`), await oldShape(`mgr-a-${run}`), await oldShape(`mgr-b-${run}`)];
    const keyed = await createImport(`mgr-a-${run}`);
    const keyedBefore = await stored(keyed);
    const before = await adminList();
    for (const id of old) expect(before).not.toContain(id);
    expect(before).toContain(keyed);

    // A dry run counts and writes nothing.
    const dry = await backfillImportsKey({ ddb: crm.ddb, tableName: crm.tableName, rate: 1000, dryRun: true });
    expect(dry).toMatchObject({ missing: 3, updated: 0 });
    expect((await stored(old[0]!))!.gsi2pk).toBeUndefined();

    // Small pages with a progress file: the resumable path, read to the end.
    const progressFile = join(dir, 'progress.json');
    const first = await backfillImportsKey({ ddb: crm.ddb, tableName: crm.tableName, rate: 1000, pageSize: 2, progressFile });
    expect(first).toMatchObject({ missing: 3, updated: 3, changed: 0, resumed: false });
    expect(first.pages).toBeGreaterThan(1);
    expect(existsSync(progressFile)).toBe(false);

    const after = await adminList();
    for (const id of old) expect(after).toContain(id);
    // Newest first, as the request path keys them; the job itself is unchanged apart from the key.
    expect(after).toEqual([...after].sort().reverse());
    const item = (await stored(old[0]!))!;
    expect(item).toMatchObject(keys.importJob.all(old[0]!));
    expect(await stored(keyed)).toEqual(keyedBefore);
    // The creator's own list is as before.
    const own = (await crm.request('GET', '/v1/imports', { role: 'manager', userId: `mgr-b-${run}` })).body.items.map((i: { id: string }) => i.id);
    expect(own).toEqual([old[2]]);

    const second = await backfillImportsKey({ ddb: crm.ddb, tableName: crm.tableName, rate: 1000, progressFile });
    expect(second).toMatchObject({ missing: 0, updated: 0, changed: 0 });
    expect(second.read).toBeGreaterThanOrEqual(first.read);
    expect(await adminList()).toEqual(after);
  });

  it('leaves an import deleted between the read and the update deleted (no stub item)', async () => {
    const gone = await oldShape(`mgr-c-${run}`);
    // Failure injection: the item expires (TTL) just before its update.
    const racing = {
      send: async (command: Parameters<typeof crm.ddb.send>[0]) => {
        if (command instanceof UpdateCommand) await crm.ddb.send(new DeleteCommand({ TableName: crm.tableName, Key: keys.importJob.primary(gone) }));
        return crm.ddb.send(command);
      },
    } as unknown as typeof crm.ddb;
    const counts = await backfillImportsKey({ ddb: racing, tableName: crm.tableName, rate: 1000 });
    expect(counts).toMatchObject({ missing: 1, updated: 0, changed: 1 });
    expect(await stored(gone)).toBeUndefined();
  });

  it('takes its page size from the command line and refuses a bad one', () => {
    expect(parseArgs(['--local', '--page-size', '50'])).toMatchObject({ local: true, pageSize: 50, rate: 25, progress: '.backfill-imports-key.json' });
    expect(() => parseArgs(['--page-size', '0'])).toThrow(/--page-size/);
  });
});
