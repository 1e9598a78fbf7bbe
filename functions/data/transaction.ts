/**
 * A small builder for TransactWriteItems where every item carries a label, so a cancelled
 * transaction can say which condition failed (a duplicate email, a stale version, …) and what the
 * conflicting item held, without string-matching error messages.
 */
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { config } from '../config';
import { ddb } from './client';

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

export const MAX_TRANSACTION_ITEMS = 100;

export class Transaction {
  private readonly items: Record<string, unknown>[] = [];
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
      ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
      ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
    };
  }

  async commit(clientRequestToken?: string): Promise<void> {
    if (this.items.length === 0) return;
    if (this.items.length > MAX_TRANSACTION_ITEMS) throw new Error(`Transaction too large: ${this.items.length} items`);
    try {
      await ddb().send(
        new TransactWriteCommand({
          TransactItems: this.items as never,
          ...(clientRequestToken ? { ClientRequestToken: clientRequestToken } : {}),
        }),
      );
    } catch (err) {
      const reasons = (err as { CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[] }).CancellationReasons;
      if ((err as Error).name === 'TransactionCanceledException' && reasons) {
        const failed: string[] = [];
        const items: Record<string, Values | undefined> = {};
        reasons.forEach((reason, i) => {
          if (reason.Code === 'ConditionalCheckFailed') {
            const label = this.labels[i]!;
            failed.push(label);
            items[label] = reason.Item ? toPlain(reason.Item) : undefined;
          }
        });
        if (failed.length > 0) throw new ConditionsFailed(failed, items);
      }
      throw err;
    }
  }
}

/** Cancellation reasons carry raw attribute values; unmarshall them when they look raw. */
function toPlain(item: Record<string, unknown>): Values {
  const looksRaw = Object.values(item).every((v) => v && typeof v === 'object' && Object.keys(v as object).length === 1 && /^(S|N|B|SS|NS|BS|M|L|NULL|BOOL)$/.test(Object.keys(v as object)[0]!));
  return looksRaw ? unmarshall(item as never) : item;
}
