/**
 * Job-side reads of a page's items by key: one BatchGetItem per 100 distinct keys instead of one
 * GetItem per item, which is what keeps a job's cost near two requests per due item.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';

type Key = Record<string, unknown>;
type Item = Record<string, unknown>;

const MAX_KEYS = 100;
const MAX_ROUNDS = 8;

/**
 * The items found for `keys` (duplicates are read once: BatchGetItem rejects repeated keys).
 * Unprocessed keys (throttling) are retried with a short backoff; `consistent` for reads that
 * must see the writes a job or a user just made (the due indexes are eventually consistent copies).
 */
export async function batchGetItems(keys: readonly Key[], options: { consistent?: boolean } = {}): Promise<Item[]> {
  const table = config().tableName;
  const distinct = new Map<string, Key>();
  for (const key of keys) distinct.set(`${String(key.pk)}\u0000${String(key.sk)}`, key);
  const all = [...distinct.values()];
  const found: Item[] = [];
  for (let i = 0; i < all.length; i += MAX_KEYS) {
    let request: Key[] = all.slice(i, i + MAX_KEYS);
    for (let round = 0; request.length > 0; round++) {
      if (round >= MAX_ROUNDS) throw new Error(`BatchGetItem left ${request.length} keys unprocessed after ${MAX_ROUNDS} rounds`);
      if (round > 0) await new Promise((done) => setTimeout(done, Math.min(1000, 50 * 2 ** round)));
      const out = await ddb().send(new BatchGetCommand({ RequestItems: { [table]: { Keys: request, ConsistentRead: options.consistent } } }));
      found.push(...(out.Responses?.[table] ?? []));
      request = (out.UnprocessedKeys?.[table]?.Keys ?? []) as Key[];
    }
  }
  return found;
}
