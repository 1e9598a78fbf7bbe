/**
 * Minimal user profiles (`USER#<sub>`: email and role). Users live in Cognito, not in our table,
 * yet the reminder job must know where to send an assignee's email without calling Cognito for
 * every reminder. So the tasks and notifications functions copy the caller's email and role from
 * the verified token into a profile item: a conditional put that writes only when the item is
 * missing or differs, and a per-container memo that skips even that after the first request.
 * Limitation: a user who never called those endpoints has no profile and gets in-app
 * notifications only (no email) until they do.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import type { Principal } from '../security/principal';

export interface UserProfile {
  userId: string;
  email?: string;
  role: string;
  updatedAt: string;
}

/** userId → "email|role" already known to be stored, per container. */
const known = new Map<string, string>();
const MAX_MEMO = 5_000;

/** Upserts the caller's profile when missing or changed; no DynamoDB request when memoised. */
export async function ensureProfile(principal: Pick<Principal, 'userId' | 'email' | 'role'>, now: Date): Promise<void> {
  const signature = `${principal.email ?? ''}|${principal.role}`;
  if (known.get(principal.userId) === signature) return;
  try {
    await ddb().send(
      new PutCommand({
        TableName: config().tableName,
        Item: {
          ...keys.user.profile(principal.userId),
          kind: 'user-profile',
          userId: principal.userId,
          ...(principal.email ? { email: principal.email } : {}),
          role: principal.role,
          updatedAt: now.toISOString(),
        },
        // Write only what differs: a missing item, another email (or one gained/lost), another role.
        ConditionExpression: principal.email
          ? 'attribute_not_exists(pk) OR attribute_not_exists(#email) OR #email <> :email OR #role <> :role'
          : 'attribute_not_exists(pk) OR attribute_exists(#email) OR #role <> :role',
        ExpressionAttributeNames: { '#email': 'email', '#role': 'role' },
        ExpressionAttributeValues: { ...(principal.email ? { ':email': principal.email } : {}), ':role': principal.role },
      }),
    );
  } catch (err) {
    if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
  }
  if (known.size >= MAX_MEMO) known.clear();
  known.set(principal.userId, signature);
}

export async function getProfile(userId: string): Promise<UserProfile | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: config().tableName, Key: keys.user.profile(userId) }));
  return out.Item as UserProfile | undefined;
}

/**
 * Registers known users up front (idempotent), e.g. the local demo users from the seed, so they
 * receive reminder emails before their first API call.
 */
export async function registerUsers(users: readonly { id: string; email: string; role: string }[], now = new Date()): Promise<void> {
  for (const user of users) {
    await ensureProfile({ userId: user.id, email: user.email, role: user.role as Principal['role'] }, now);
  }
}
