/**
 * A customer's contact ids and their revision live on the contacts summary beside the profile
 * (`CUS#<id>` / `#CONTACTS`), not on the profile, so the profile — copied into four indexes and
 * checked by other features' writes — stays under 1 KB. Profiles written before that kept the ids
 * themselves; both shapes must keep working: an owner change still moves every contact's owner
 * copy, a deleted contact leaves both sets, and a contact added after the read still stops an
 * owner change.
 */
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keys } from '../../functions/data/keys';
import { ConditionsFailed } from '../../functions/data/transaction';
import * as repo from '../../functions/customers/repository';
import { auditItem } from '../../functions/audit/audit';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

vi.setConfig({ testTimeout: 120_000 });

let crm: TestStack;
const [rep1, rep2] = [SALES_REPS[0]!.id, SALES_REPS[1]!.id];

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

async function newCustomer(): Promise<string> {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Summary ${Math.random().toString(36).slice(2)}`, ownerId: rep1, tags: ['summary-test'] } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function addContact(customerId: string, lastName: string): Promise<string> {
  const res = await crm.request('POST', `/v1/customers/${customerId}/contacts`, { role: 'admin', body: { lastName } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

const item = async (key: Record<string, string>) => (await crm.ddb.send(new GetCommand({ TableName: crm.tableName, Key: key, ConsistentRead: true }))).Item;
const ownerOf = async (contactId: string) => (await item(keys.contact.primary(contactId)))?.ownerId;

async function reassign(customerId: string, ownerId: string): Promise<void> {
  const res = await crm.request('PATCH', `/v1/customers/${customerId}`, { role: 'admin', body: { ownerId } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

describe('contacts summary', () => {
  it('keeps contact ids off the profile and moves every contact with an owner change', async () => {
    const id = await newCustomer();
    const [a, b] = [await addContact(id, 'Alpha'), await addContact(id, 'Beta')];
    const profile = await item(keys.customer.primary(id));
    expect(profile?.contactIds).toBeUndefined();
    expect(profile?.contactsRev).toBeUndefined();
    expect(profile?.contactCount).toBe(2);
    const summary = await item(keys.customer.contacts(id));
    expect(summary).toMatchObject({ kind: 'customer-contacts', contactsRev: 2, contactIds: new Set([a, b]) });

    await reassign(id, rep2);
    expect([await ownerOf(a), await ownerOf(b)]).toEqual([rep2, rep2]);
    const tagged = await crm.request('GET', '/v1/customers?tag=summary-test&limit=100', { role: 'admin' });
    expect(tagged.body.items.find((c: { id: string }) => c.id === id)).toMatchObject({ ownerId: rep2, contactCount: 2 });
  });

  it('reads and writes a profile of the old shape (ids on the profile) without a migration', async () => {
    const id = await newCustomer();
    const [a, b] = [await addContact(id, 'Old1'), await addContact(id, 'Old2')];
    // Make it look as written before the summary existed: ids and revision on the profile only.
    await crm.ddb.send(new UpdateCommand({
      TableName: crm.tableName, Key: keys.customer.primary(id),
      UpdateExpression: 'SET contactIds = :ids, contactsRev = :rev', ExpressionAttributeValues: { ':ids': new Set([a, b]), ':rev': 2 },
    }));
    await crm.ddb.send(new DeleteCommand({ TableName: crm.tableName, Key: keys.customer.contacts(id) }));

    const c = await addContact(id, 'New3');
    expect((await item(keys.customer.contacts(id)))?.contactIds).toEqual(new Set([c]));
    await reassign(id, rep2);
    expect([await ownerOf(a), await ownerOf(b), await ownerOf(c)]).toEqual([rep2, rep2, rep2]);

    // Deleting a contact named only by the old profile set takes it out of that set.
    expect((await crm.request('DELETE', `/v1/contacts/${a}`, { role: 'admin' })).status).toBe(204);
    expect((await item(keys.customer.primary(id)))?.contactIds).toEqual(new Set([b]));
    await reassign(id, rep1);
    expect([await ownerOf(b), await ownerOf(c)]).toEqual([rep1, rep1]);
    const got = await crm.request('GET', `/v1/customers/${id}`, { role: 'admin' });
    expect(got.body).toMatchObject({ ownerId: rep1, contactCount: 2 });
  });

  it('refuses an owner change written against a read that missed a contact added since', async () => {
    const id = await newCustomer();
    await addContact(id, 'First');
    const read = (await repo.getCustomer(id))!;
    const late = await addContact(id, 'Late');
    const next = { ...read, ownerId: rep2, version: read.version + 1 };
    const audit = auditItem({ customerId: id, entityType: 'customer', entityId: id, action: 'updated', actor: { userId: rep1 } as never, at: new Date(), version: next.version, changes: [] });
    const error = await repo.saveCustomer(read, next, audit).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionsFailed);
    expect((error as ConditionsFailed).labels).toContain('customer');
    expect(await ownerOf(late)).toBe(rep1);
    // Through the API the change re-reads and moves both.
    await reassign(id, rep2);
    expect(await ownerOf(late)).toBe(rep2);
  });
});
