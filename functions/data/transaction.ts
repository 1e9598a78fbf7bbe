/**
 * A small builder for TransactWriteItems where every item carries a label, so a cancelled
 * transaction can say which condition failed (a duplicate email, a stale version, …) and what the
 * conflicting item held, without string-matching error messages.
 *
 * Idempotency: when the request holds an Idempotency-Key lock (client.ts RequestScope), the first
 * transaction the request commits also moves the lock item from `in_progress` to `committed`,
 * conditioned on the lock token — in the same transaction, so the change and the marker commit
 * together or not at all, and a late duplicate under a lock someone else now holds cannot commit.
 * When the commit's answer is lost (timeout, reset connection), a conditional release of the lock
 * settles whether it committed: if it did, commit() returns as if the answer had arrived.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isUncertainOutcome } from '../aws/errors';
import { config } from '../config';
import { currentRequestScope, ddb, type IdempotencyGuard } from './client';

type Values = Record<string, unknown>;
type Names = Record<string, string>;

export interface Condition {
  expression: string;
  names?: Names;
  values?: Values;
}

/** Thrown when one or more labelled conditions failed; `items` holds the old items by label. */
export class ConditionsFailed extends Error {
  constructor(
    readonly labels: string[],
    readonly items: Record<string, Values | undefined>,
  ) {
    super(`Transaction conditions failed: ${labels.join(', ')}`);
    this.name = 'ConditionsFailed';
  }
}

/**
 * The request's idempotency lock was taken over (it had expired) before this transaction reached
 * DynamoDB: the marker's condition refused it, so nothing was written. The chain answers 409.
 */
export class IdempotencyLockLost extends Error {
  constructor() {
    super('The Idempotency-Key lock was taken over before the change committed; nothing was written');
    this.name = 'IdempotencyLockLost';
  }
}

export const MAX_TRANSACTION_ITEMS = 100;

/** Label of the idempotency marker the helper appends; never a label a service uses. */
export const IDEMPOTENCY_MARKER = '(idempotency)';
/** How long the release that settles a lost commit answer may take (its own signal: the request's may have fired). */
const RESOLVE_TIMEOUT_MS = 1_500;
/** Ids of the records a marked transaction puts, kept so a retry can rebuild the answer. */
const MAX_RESULT_IDS = 5;

export class Transaction {
  private readonly items: Record<string, unknown>[] = [];

  /** The items as planned so far, in order (what commit() would send; for bulk loaders and tests). */
  get planned(): readonly Record<string, unknown>[] {
    return this.items;
  }
  private readonly labels: string[] = [];

  get size(): number {
    return this.items.length;
  }

  put(label: string, item: Values, condition?: Condition): this {
    this.items.push({
      Put: {
        TableName: config().tableName,
        Item: item,
        ...this.cond(condition),
      },
    });
    this.labels.push(label);
    return this;
  }

  update(label: string, key: Values, update: { expression: string; names?: Names; values?: Values }, condition?: Condition): this {
    const names = { ...(update.names ?? {}), ...(condition?.names ?? {}) };
    const values = { ...(update.values ?? {}), ...(condition?.values ?? {}) };
    this.items.push({
      Update: {
        TableName: config().tableName,
        Key: key,
        UpdateExpression: update.expression,
        ...(condition ? { ConditionExpression: condition.expression, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {}),
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      },
    });
    this.labels.push(label);
    return this;
  }

  delete(label: string, key: Values, condition?: Condition): this {
    this.items.push({ Delete: { TableName: config().tableName, Key: key, ...this.cond(condition) } });
    this.labels.push(label);
    return this;
  }

  check(label: string, key: Values, condition: Condition): this {
    this.items.push({ ConditionCheck: { TableName: config().tableName, Key: key, ...this.cond(condition) } });
    this.labels.push(label);
    return this;
  }

  private cond(condition?: Condition) {
    if (!condition) return {};
    return {
      ConditionExpression: condition.expression,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      // DynamoDB refuses an empty map here (a condition such as attribute_not_exists has no values).
      ...(condition.names && Object.keys(condition.names).length > 0 ? { ExpressionAttributeNames: condition.names } : {}),
      ...(condition.values && Object.keys(condition.values).length > 0 ? { ExpressionAttributeValues: condition.values } : {}),
    };
  }

  /**
   * Commits all items in one TransactWriteItems. `clientRequestToken` (default: a fresh UUID, the
   * same for the SDK's own retries) makes a resent request idempotent in DynamoDB for 10 minutes.
   */
  async commit(clientRequestToken?: string): Promise<void> {
    if (this.items.length === 0) return;
    const token = clientRequestToken ?? randomUUID();
    const guard = currentRequestScope()?.idempotency;
    const marked = guard !== undefined && !guard.committed;
    const items = marked ? [...this.items, this.marker(guard, token)] : this.items;
    const labels = marked ? [...this.labels, IDEMPOTENCY_MARKER] : this.labels;
    if (items.length > MAX_TRANSACTION_ITEMS) throw new Error(`Transaction too large: ${items.length} items`);
    try {
      await ddb().send(new TransactWriteCommand({ TransactItems: items as never, ClientRequestToken: token }));
    } catch (err) {
      const failed = conditionsFailed(err, labels);
      if (marked && (await committedEarlier(guard, token, failed, err))) {
        guard.committed = true;
        return;
      }
      if (marked && failed?.labels.includes(IDEMPOTENCY_MARKER)) throw new IdempotencyLockLost();
      if (failed && failed.labels.length > 0) throw failed;
      throw err;
    }
    if (marked) guard.committed = true;
  }

  /** The lock item's move to `committed`, valid only while this request holds the lock. */
  private marker(guard: IdempotencyGuard, commitId: string): Record<string, unknown> {
    const resultIds: string[] = [];
    for (const entry of this.items as { Put?: { Item?: Values } }[]) {
      const id = entry.Put?.Item?.id;
      if (typeof id === 'string' && resultIds.length < MAX_RESULT_IDS && !resultIds.includes(id)) resultIds.push(id);
    }
    return {
      Update: {
        TableName: config().tableName,
        Key: guard.key,
        UpdateExpression: 'SET #state = :committed, commitId = :commit, committedAt = :at, resultIds = :ids',
        ConditionExpression: '#state = :progress AND lockToken = :token',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: {
          ':committed': 'committed',
          ':progress': 'in_progress',
          ':commit': commitId,
          ':at': new Date().toISOString(),
          ':ids': resultIds,
          ':token': guard.token,
        },
      },
    };
  }
}

/** The labelled failed conditions of a cancelled transaction, if that is what `err` is. */
function conditionsFailed(err: unknown, labels: readonly string[]): ConditionsFailed | undefined {
  const reasons = (err as { CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[] }).CancellationReasons;
  if ((err as Error).name !== 'TransactionCanceledException' || !reasons) return undefined;
  const failed: string[] = [];
  const items: Record<string, Values | undefined> = {};
  reasons.forEach((reason, i) => {
    if (reason.Code === 'ConditionalCheckFailed') {
      const label = labels[i]!;
      failed.push(label);
      items[label] = reason.Item ? toPlain(reason.Item) : undefined;
    }
  });
  return new ConditionsFailed(failed, items);
}

/**
 * Whether this very transaction (commit id `token`) committed although the call failed. An SDK
 * retry of a committed attempt finds the marker already `committed` by it. A lost answer
 * (timeout, reset) is settled by releasing the lock with a conditional delete on its token: if
 * the delete succeeds, the transaction can no longer commit (its marker condition needs the lock),
 * so the answer is "not applied"; if it fails because the marker says `committed` by this
 * transaction, it is "applied". The delete needs only the IDEM#* grant every idempotent feature
 * has, and costs a write only on this failure path. Any doubt left answers false: the caller
 * rethrows, and the chain tries the release again or keeps the key locked.
 */
async function committedEarlier(guard: IdempotencyGuard, token: string, failed: ConditionsFailed | undefined, err: unknown): Promise<boolean> {
  if (failed?.labels.includes(IDEMPOTENCY_MARKER)) return failed.items[IDEMPOTENCY_MARKER]?.commitId === token;
  if (!isUncertainOutcome(err)) return false;
  try {
    const released = await deleteHeldLock(guard);
    return !released.deleted && released.old?.commitId === token;
  } catch {
    return false;
  }
}

/**
 * Deletes an idempotency lock this request still holds (in progress, under its token): after
 * that, no transaction carrying the lock's marker can commit. When the condition fails, `old` is
 * the lock as it is now (committed by whom, or taken over). Other errors are thrown.
 */
export async function deleteHeldLock(guard: IdempotencyGuard): Promise<{ deleted: true } | { deleted: false; old: Values | undefined }> {
  try {
    await ddb().send(
      new DeleteCommand({
        TableName: config().tableName,
        Key: guard.key,
        ConditionExpression: '#state = :progress AND lockToken = :token',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':progress': 'in_progress', ':token': guard.token },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
      { abortSignal: AbortSignal.timeout(RESOLVE_TIMEOUT_MS) },
    );
    return { deleted: true };
  } catch (failure) {
    if ((failure as Error).name !== 'ConditionalCheckFailedException') throw failure;
    const old = (failure as { Item?: Record<string, unknown> }).Item;
    return { deleted: false, old: old ? toPlain(old) : undefined };
  }
}

/** Cancellation reasons carry raw attribute values; unmarshall them when they look raw. */
function toPlain(item: Record<string, unknown>): Values {
  const looksRaw = Object.values(item).every((v) => v && typeof v === 'object' && Object.keys(v as object).length === 1 && /^(S|N|B|SS|NS|BS|M|L|NULL|BOOL)$/.test(Object.keys(v as object)[0]!));
  return looksRaw ? unmarshall(item as never) : item;
}
