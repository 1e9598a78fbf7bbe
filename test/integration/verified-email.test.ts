/**
 * Reminder emails with tokens shaped exactly like Cognito's access tokens. A real access token
 * carries no `email` claim; only the pre-token-generation trigger adds one, and only for a
 * verified address. This file proves the whole path — token → principal → USER# profile →
 * reminder job → local SES — for the three cases a deployed pool produces:
 *
 *   1. a Cognito access token built by hand, claim for claim, without `email`: no reminder email;
 *   2. the same user's token after the trigger (email_verified "true"): the reminder email arrives;
 *   3. email_verified "false": no `email` claim, no email, even though the attribute is set.
 *
 * The test stack's gateway trusts only its own issuer, so this file runs a second local gateway
 * (same handlers, same table) that trusts an issuer whose key the test holds, which lets it sign
 * a hand-built claim set.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../local/gateway';
import { COGNITO_ACCESS_TOKEN_CLAIMS, LOCAL_CLIENT_ID, LOCAL_ISSUER, localIssuer, type LocalIssuer } from '../../local/jwt';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
let issuer: LocalIssuer;
let gateway: Gateway;
let keys: typeof import('../../functions/data/keys')['keys'];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Far enough ahead that reminders created now are pending, in lanes days apart per test. */
const base = Math.ceil((Date.now() + 400 * DAY) / HOUR) * HOUR;
const lane = (k: number) => base + k * 10 * DAY;
const iso = (t: number) => new Date(t).toISOString();

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
  issuer = await localIssuer();
  gateway = await createGateway({ verifier: issuer.verifier, throttle: false });
  keys = (await import('../../functions/data/keys')).keys;
});
afterAll(async () => {
  await gateway?.close();
  await crm?.stop();
});

interface User { sub: string; username: string; email: string }
const newUser = (): User => {
  const sub = randomUUID();
  return { sub, username: sub, email: `verified-${sub.slice(0, 8)}@example.com` };
};

/** Claim for claim what Cognito issues after USER_SRP_AUTH for a user in the sales group. */
function handBuiltCognitoAccessToken(user: User): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return issuer.signClaims({
    sub: user.sub,
    'cognito:groups': ['sales'],
    iss: LOCAL_ISSUER,
    version: 2,
    client_id: LOCAL_CLIENT_ID,
    origin_jti: randomUUID(),
    event_id: randomUUID(),
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: randomUUID(),
    username: user.username,
  });
}

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function remindAt(token: string, title: string, at: number) {
  const created = await call('POST', '/v1/tasks', token, { title, reminders: [{ at: iso(at) }] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}

const emailsTo = async (address: string) => (await crm.sentEmails()).filter((e) => e.destination.to.includes(address));
const profileOf = async (user: User) =>
  (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: keys.user.profile(user.sub) }))).Item;

describe('reminder emails with Cognito-shaped access tokens', () => {
  it('a plain Cognito access token (no email claim) leaves the profile without address: in-app only', async () => {
    const user = newUser();
    const token = await handBuiltCognitoAccessToken(user);
    expect(Object.keys(decodeJwt(token))).toEqual([...COGNITO_ACCESS_TOKEN_CLAIMS]);

    const t0 = lane(0);
    await remindAt(token, 'Without address', t0);
    expect(await profileOf(user)).not.toHaveProperty('email');
    await crm.runJob('reminders', iso(t0));
    expect(await emailsTo(user.email)).toHaveLength(0);
    const notes = await call('GET', '/v1/notifications?limit=10', token);
    expect(notes.body.items.map((n: { title: string }) => n.title)).toEqual(['Reminder: Without address']);
  });

  it('the same user\'s token after the trigger (email verified) stores the address, and the reminder email arrives', async () => {
    const user = newUser();
    const plain = await handBuiltCognitoAccessToken(user);
    await remindAt(plain, 'Before sign-in with the trigger', lane(1));
    await crm.runJob('reminders', iso(lane(1)));
    expect(await emailsTo(user.email)).toHaveLength(0);

    const token = await issuer.signToken({ sub: user.sub, username: user.username, email: user.email, emailVerified: true, groups: ['sales'] });
    const claims = decodeJwt(token);
    // Exactly Cognito's claims plus the one the trigger adds.
    expect(Object.keys(claims)).toEqual([...COGNITO_ACCESS_TOKEN_CLAIMS, 'email']);
    expect(claims.email).toBe(user.email);

    const t1 = lane(2);
    await remindAt(token, 'With verified address', t1);
    expect(await profileOf(user)).toMatchObject({ email: user.email, role: 'sales' });
    await crm.runJob('reminders', iso(t1));
    const sent = await emailsTo(user.email);
    expect(sent.map((e) => e.subject)).toEqual(['Reminder: With verified address']);
  });

  it('an unverified address never reaches the token, the profile or the outbox', async () => {
    const user = newUser();
    const token = await issuer.signToken({ sub: user.sub, username: user.username, email: user.email, emailVerified: false, groups: ['sales'] });
    expect(decodeJwt(token)).not.toHaveProperty('email');

    const t0 = lane(3);
    await remindAt(token, 'Unverified', t0);
    expect(await profileOf(user)).not.toHaveProperty('email');
    await crm.runJob('reminders', iso(t0));
    expect(await emailsTo(user.email)).toHaveLength(0);
    const notes = await call('GET', '/v1/notifications?limit=10', token);
    expect(notes.body.items).toHaveLength(1);
  });
});
