/**
 * Counters maintained on write: a write computes what it changes in a few small counter items
 * (deltas) and appends one update per item to its own transaction — SET the item's descriptive
 * attributes (which month, owner, queue… it counts, so readers need no key parsing), ADD the
 * counts. The sales aggregates and dashboard counters (functions/forecast/aggregates.ts,
 * functions/dashboard/counters.ts), the service report (functions/service-desk/report-counters.ts)
 * and its backfill (scripts/) all build their updates here, so they cannot drift.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from './client';
import type { Transaction } from './transaction';

export interface CounterDelta {
  key: { pk: string; sk: string };
  /** Attributes stored for readers (which queue, priority, month…). */
  set: Record<string, string>;
  add: Record<string, number>;
}
/** `pk|sk → delta`: one entry per counter item. */
export type CounterDeltas = Map<string, CounterDelta>;

export interface CounterUpdate {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** Adds `value` to `field` of the counter item `key` (created with `set` on first use); 0 is a no-op. */
export function bump(deltas: CounterDeltas, key: { pk: string; sk: string }, set: Record<string, string>, field: string, value: number): void {
  if (value === 0) return;
  const id = `${key.pk}|${key.sk}`;
  let entry = deltas.get(id);
  if (!entry) deltas.set(id, (entry = { key, set, add: {} }));
  entry.add[field] = (entry.add[field] ?? 0) + value;
}

/**
 * One counter item's update: SET `kind` and the descriptive attributes, ADD the non-zero counts;
 * none when every count nets to zero (a write that moved nothing touches no counter item).
 */
export function counterUpdate(entry: CounterDelta, kind: string): CounterUpdate | undefined {
  const adds = Object.entries(entry.add).filter(([, v]) => v !== 0);
  if (adds.length === 0) return undefined;
  const names: Record<string, string> = { '#kind': 'kind' };
  const values: Record<string, unknown> = { ':kind': kind };
  const sets = ['#kind = :kind'];
  Object.entries(entry.set).forEach(([field, value], i) => {
    names[`#s${i}`] = field;
    values[`:s${i}`] = value;
    sets.push(`#s${i} = :s${i}`);
  });
  const addParts = adds.map(([field, value], i) => {
    names[`#a${i}`] = field;
    values[`:a${i}`] = value;
    return `#a${i} :a${i}`;
  });
  return { expression: `SET ${sets.join(', ')} ADD ${addParts.join(', ')}`, names, values };
}

/** Appends every non-zero counter update to `tx`, labelled `<labelPrefix>:<pk|sk>`. */
export function addCounterUpdates(tx: Transaction, deltas: CounterDeltas, labelPrefix: string, kindOf: (key: { pk: string; sk: string }) => string): void {
  for (const [id, entry] of deltas) {
    const update = counterUpdate(entry, kindOf(entry.key));
    if (update) tx.update(`${labelPrefix}:${id}`, entry.key, update);
  }
}

/**
 * Every counter item of one partition (the dashboard's and the service report's reads), all pages:
 * counter partitions are small (one item per month × dimension), so this is one Query unless they
 * pass 1 MB. `between`: only sort keys from `between[0]` to `between[1]` and anything under it
 * (`~` sorts after every key character); `ownerId`: only that owner's items (a filter).
 */
export async function queryCounterItems(partition: string, between?: [string, string], ownerId?: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(new QueryCommand({
      TableName: config().tableName,
      KeyConditionExpression: between ? 'pk = :pk AND sk BETWEEN :from AND :to' : 'pk = :pk',
      ...(ownerId ? { FilterExpression: '#owner = :owner', ExpressionAttributeNames: { '#owner': 'ownerId' } } : {}),
      ExpressionAttributeValues: { ':pk': partition, ...(between ? { ':from': between[0], ':to': `${between[1]}~` } : {}), ...(ownerId ? { ':owner': ownerId } : {}) },
      ExclusiveStartKey: startKey,
    }));
    items.push(...(out.Items ?? []));
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return items;
}
