/**
 * The portal's own reads. Everything else goes through the tickets and knowledge-base modules
 * (their repositories build the keys; functions/data/keys.ts holds them).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import type { MessageItem } from '../tickets/model';

const table = () => config().tableName;

/**
 * One page of a ticket's public messages, oldest first: one Query of the ticket's partition with
 * internal notes filtered out by the engine (a FilterExpression). So a page may hold fewer than
 * `limit` messages — even none, with a cursor to go on — when notes fell on it; a note never
 * leaves the table in an answer to a customer.
 */
export async function queryPublicMessages(ticketId: string, limit: number, startKey: Record<string, unknown> | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: '#visibility = :public',
    ExpressionAttributeNames: { '#visibility': 'visibility' },
    ExpressionAttributeValues: { ':pk': keys.ticket.partition(ticketId), ':prefix': keys.ticket.messagePrefix, ':public': 'public' },
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<MessageItem>(i)), lastKey: out.LastEvaluatedKey };
}
