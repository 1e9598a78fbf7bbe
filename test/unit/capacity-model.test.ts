/**
 * The write-cost model (functions/data/capacity.ts) on hand-computed cases: item sizes, KB rounding,
 * transactions doubling the table arm but not the index arms, condition checks billed as writes,
 * GSI key moves as delete + put, projections, and the minimum the issue-14 table compares against.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  actionCost, indexWriteUnits, itemSize, minimumCost, plannedActions, requestCost, tableIndexes, writeUnits, type IndexModel,
} from '../../functions/data/capacity';
import { createTableInput, TABLE_SPEC } from '../../functions/data/table';

const w = (o: Record<string, unknown>) => marshall(o, { removeUndefinedValues: true });

describe('item size', () => {
  it('counts attribute names and values as DynamoDB does', () => {
    expect(itemSize(w({ pk: 'ab', sk: 'c' }))).toBe(2 + 2 + 2 + 1);
    // Numbers: one byte per two significant digits plus one; leading/trailing zeros trimmed.
    expect(itemSize(w({ n: 12345 }))).toBe(1 + 4);
    expect(itemSize(w({ n: 1000 }))).toBe(1 + 2);
    expect(itemSize(w({ b: true, z: null }))).toBe(2 + 2);
    // Maps and lists: 3 bytes plus 1 per element (map keys count like names).
    expect(itemSize(w({ m: { k: 'v' } }))).toBe(1 + 3 + 1 + 1 + 1);
    expect(itemSize(w({ l: ['ab', 'c'] }))).toBe(1 + 3 + (1 + 2) + (1 + 1));
    expect(itemSize(w({ s: 'é' }))).toBe(1 + 2); // UTF-8 bytes, not characters
  });

  it('rounds each write up to whole kilobytes, at least one unit', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
  });
});

const gsi = (name: string, projection: IndexModel['projection'] = 'ALL', nonKeyAttributes: string[] = []): IndexModel =>
  ({ name, partitionKey: `${name}pk`, sortKey: `${name}sk`, projection, nonKeyAttributes });
const INDEXES = [gsi('gsi1'), gsi('gsi2', 'KEYS_ONLY'), gsi('gsi3', 'INCLUDE', ['name'])];
const pad = (n: number) => 'x'.repeat(n);

describe('write cost', () => {
  const small = w({ pk: 'A', sk: '1', name: 'n' });
  const big = w({ pk: 'A', sk: '1', name: 'n', body: pad(1500) }); // 2 KB started
  const indexed = w({ pk: 'A', sk: '1', gsi1pk: 'g', gsi1sk: 'h', gsi2pk: 'g', gsi2sk: 'h', gsi3pk: 'g', gsi3sk: 'h', name: 'n', body: pad(1500) });

  it('a single put, update and delete cost the larger image, plus each index entry written', () => {
    expect(actionCost({ kind: 'put', after: small }, false, INDEXES).total).toBe(1);
    expect(actionCost({ kind: 'put', before: big, after: small }, false, INDEXES).total).toBe(2);
    expect(actionCost({ kind: 'delete' }, false, INDEXES).total).toBe(1); // a missing item still costs one unit
    // Entering three indexes: ALL copies 2 KB, KEYS_ONLY and INCLUDE copies fit in 1 KB.
    expect(actionCost({ kind: 'put', after: indexed }, false, INDEXES)).toEqual({ table: 2, indexes: { gsi1: 2, gsi2: 1, gsi3: 1 }, total: 6 });
  });

  it('an unchanged index key costs only where projected attributes changed', () => {
    const changedBody = { ...indexed, body: { S: pad(1400) } };
    expect(indexWriteUnits(indexed, changedBody, INDEXES[0]!)).toBe(2); // ALL: rewritten
    expect(indexWriteUnits(indexed, changedBody, INDEXES[1]!)).toBe(0); // KEYS_ONLY: untouched
    expect(indexWriteUnits(indexed, changedBody, INDEXES[2]!)).toBe(0); // INCLUDE(name): untouched
    expect(indexWriteUnits(indexed, { ...indexed, name: { S: 'm' } }, INDEXES[2]!)).toBe(1);
    expect(indexWriteUnits(indexed, indexed, INDEXES[0]!)).toBe(0);
  });

  it('a changed index key is a delete plus a put in that index', () => {
    const moved = { ...indexed, gsi1sk: { S: 'z' } };
    expect(indexWriteUnits(indexed, moved, INDEXES[0]!)).toBe(2 + 2);
    expect(actionCost({ kind: 'update', before: indexed, after: moved }, false, INDEXES).indexes).toEqual({ gsi1: 4 });
  });

  it('a transaction doubles every item (condition checks included) but not the index arms', () => {
    const tx = requestCost([
      { kind: 'put', after: small },
      { kind: 'put', after: indexed },
      { kind: 'check', before: big },
    ], true, INDEXES);
    expect(tx.table).toBe(2 * 1 + 2 * 2 + 2 * 2);
    expect(tx.indexes).toEqual({ gsi1: 2, gsi2: 1, gsi3: 1 });
    expect(tx.total).toBe(14);
    // A condition check on a missing item is still a (doubled) one-unit write.
    expect(actionCost({ kind: 'check' }, true, INDEXES).total).toBe(2);
  });

  it('the minimum: 1 WCU per KB per item, ×2 only when several items change together, 1 per GSI carried before or after', () => {
    expect(minimumCost([{ kind: 'put', after: indexed }], false, INDEXES)).toBe(2 + 3);
    expect(minimumCost([{ kind: 'put', after: indexed }], true, INDEXES)).toBe(2 + 3); // one item: nothing to coordinate
    expect(minimumCost([{ kind: 'put', after: indexed }, { kind: 'put', after: small }, { kind: 'check', before: big }], true, INDEXES)).toBe(4 + 3 + 2);
    // Leaving an index is an effect in it too; a delete removes every entry the item had.
    expect(minimumCost([{ kind: 'update', before: indexed, after: small }], false, INDEXES)).toBe(1 + 3);
    expect(minimumCost([{ kind: 'delete', before: indexed }], false, INDEXES)).toBe(2 + 3);
  });
});

describe('commands', () => {
  it('turns each write command into its actions, condition checks and batch entries included', () => {
    const item = w({ pk: 'A', sk: '1', x: 1 });
    const key = w({ pk: 'A', sk: '2' });
    const tx = plannedActions('TransactWriteItemsCommand', {
      TransactItems: [{ Put: { TableName: 't', Item: item } }, { Update: { TableName: 't', Key: key } }, { Delete: { TableName: 't', Key: key } }, { ConditionCheck: { TableName: 't', Key: key } }],
    });
    expect(tx.transaction).toBe(true);
    expect(tx.actions.map((a) => a.kind)).toEqual(['put', 'update', 'delete', 'check']);
    expect(tx.actions[0]!.key).toEqual(w({ pk: 'A', sk: '1' }));
    const batch = plannedActions('BatchWriteItem', { RequestItems: { t: [{ PutRequest: { Item: item } }, { DeleteRequest: { Key: key } }] } });
    expect(batch).toMatchObject({ transaction: false, actions: [{ kind: 'put', table: 't' }, { kind: 'delete', table: 't' }] });
  });
});

describe('the model prices the table as it is defined', () => {
  it('reads every GSI and its projection from the table definition', () => {
    const defined = createTableInput('x').GlobalSecondaryIndexes;
    expect(tableIndexes().map((i) => i.name)).toEqual(TABLE_SPEC.globalIndexes.map((i) => i.name));
    expect(tableIndexes().map((i) => i.projection)).toEqual(defined.map((g) => g.Projection.ProjectionType));
    expect(tableIndexes().map((i) => [i.partitionKey, i.sortKey])).toEqual(TABLE_SPEC.globalIndexes.map((i) => [i.partitionKey, i.sortKey]));
  });
});
