/**
 * Segments (saved rules) and static lists: CRUD, the segment preview and list membership.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ddb } from '../data/client';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { applyPatch, withoutKeys } from '../data/records';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { mapLimit } from '../jobs/concurrency';
import { BadRequest, Conflict, NotFound, PreconditionFailed } from '../http/problem';
import { maskFor } from '../security/masking';
import type { Principal } from '../security/principal';
import type { InputsOf } from '../api/route-def';
import type { routes } from './routes';
import { planOf, readSegmentPage, type AudienceState, type Member, type SegmentRules } from './audience';
import { listAudit, segmentAudit } from './audit';
import { getContacts, getItem, isConditionFailure, queryPage, table, type Stored } from './store';

type Inputs = InputsOf<typeof routes>;

interface Meta {
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export interface SegmentItem extends Meta {
  id: string;
  name: string;
  description?: string;
  rules: SegmentRules;
}

export interface ListItem extends Meta {
  id: string;
  name: string;
  description?: string;
}

const meta = (principal: Principal, now: Date): Meta => ({ version: 1, createdAt: now.toISOString(), updatedAt: now.toISOString(), createdBy: principal.userId, updatedBy: principal.userId });

/** Puts the item (new, or conditioned on the version read) with its audit entry, in one transaction. */
async function put(item: Record<string, unknown>, previousVersion: number | undefined, audit: Stored): Promise<void> {
  await new Transaction()
    .put('item', item, previousVersion === undefined ? { expression: 'attribute_not_exists(pk)' } : { expression: 'version = :v', values: { ':v': previousVersion } })
    .put('audit', audit)
    .commit();
}

function checkRules(rules: SegmentRules): void {
  const ltv = rules.lifetimeValue;
  if (ltv && ltv.min !== undefined && ltv.max !== undefined && ltv.min > ltv.max) throw BadRequest('Some body fields are not valid', [{ path: 'rules.lifetimeValue', message: 'min must not exceed max' }]);
}

export const toSegment = (s: SegmentItem) => ({ ...s, plan: planOf(s.rules).description });

// ---- segments --------------------------------------------------------------------------------

export async function createSegment(principal: Principal, body: Inputs['createSegment']['body'], now: Date) {
  checkRules(body.rules);
  const item: SegmentItem = { id: newId('seg'), ...body, ...meta(principal, now) };
  await put({ ...keys.segment.primary(item.id), ...keys.segment.list(item.id), kind: 'segment', ...item }, undefined, segmentAudit(undefined, item, principal, now));
  return toSegment(item);
}

export async function getSegment(id: string): Promise<SegmentItem> {
  const item = await getItem<SegmentItem>(keys.segment.primary(id));
  if (!item) throw NotFound('No such segment');
  return item;
}

export async function updateSegment(principal: Principal, id: string, patch: Record<string, unknown>, expectedVersion: number | undefined, now: Date) {
  const current = await getSegment(id);
  if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
  const next: SegmentItem = { ...applyPatch(current, patch), version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
  checkRules(next.rules);
  try {
    await put({ ...keys.segment.primary(id), ...keys.segment.list(id), kind: 'segment', ...next }, current.version, segmentAudit(current, next, principal, now));
  } catch (err) {
    if (!(err instanceof ConditionsFailed)) throw err;
    if (expectedVersion !== undefined) throw PreconditionFailed();
    throw Conflict('The segment was changed by someone else meanwhile; read it again and retry');
  }
  return toSegment(next);
}

export async function listSegments(query: { limit?: number; cursor?: string }) {
  const fingerprint = JSON.stringify(['segments']);
  const page = await queryPage({ index: 'gsi1', partition: keys.segment.listPartition, limit: query.limit ?? 25, startKey: await decodeCursor(query.cursor, fingerprint), descending: true });
  return { items: page.items.map((i) => toSegment(withoutKeys<SegmentItem>(i))), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** Customers one preview call reads at most (then it answers with a cursor to count on). */
export const PREVIEW_CUSTOMER_BUDGET = 1_000;
const PREVIEW_PAGE = 100;

const showMember = (principal: Principal, m: Member) => {
  const { ownerId, ...member } = m;
  return maskFor('contact', member, principal, ownerId);
};

/**
 * Counts the segment's contacts and returns the first `limit` of them, reading at most
 * PREVIEW_CUSTOMER_BUDGET customers per call: a segment over a large index answers
 * `complete: false` with a cursor that carries on counting where this call stopped.
 */
export async function previewSegment(principal: Principal, id: string, query: { limit?: number; cursor?: string }) {
  const segment = await getSegment(id);
  const fingerprint = JSON.stringify(['segment-preview', id, segment.version]);
  const saved = await decodeCursor(query.cursor, fingerprint) as { s: AudienceState; c: number } | undefined;
  let state: AudienceState | undefined = saved?.s ?? { source: 0 };
  let count = saved?.c ?? 0;
  let customersRead = 0;
  const items: ReturnType<typeof showMember>[] = [];
  const limit = query.limit ?? 25;
  while (state && customersRead < PREVIEW_CUSTOMER_BUDGET) {
    const page = await readSegmentPage(segment.rules, state, PREVIEW_PAGE);
    customersRead += page.customersRead;
    count += page.members.length;
    for (const m of page.members) if (items.length < limit) items.push(showMember(principal, m));
    state = page.next;
  }
  return { count, complete: state === undefined, customersRead, items, nextCursor: state ? await encodeCursor({ s: state, c: count }, fingerprint) : null };
}

// ---- static lists ----------------------------------------------------------------------------

export async function createList(principal: Principal, body: Inputs['createList']['body'], now: Date) {
  const item: ListItem = { id: newId('lst'), ...body, ...meta(principal, now) };
  await put({ ...keys.mailingList.primary(item.id), ...keys.mailingList.list(item.id), kind: 'mailing-list', ...item }, undefined, listAudit(item.id, item.version, { created: { name: item.name, description: item.description } }, principal, now));
  return item;
}

export async function getList(id: string): Promise<ListItem> {
  const item = await getItem<ListItem>(keys.mailingList.primary(id));
  if (!item) throw NotFound('No such list');
  return item;
}

export async function listLists(query: { limit?: number; cursor?: string }) {
  const fingerprint = JSON.stringify(['lists']);
  const page = await queryPage({ index: 'gsi1', partition: keys.mailingList.listPartition, limit: query.limit ?? 25, startKey: await decodeCursor(query.cursor, fingerprint), descending: true });
  return { items: page.items.map((i) => withoutKeys<ListItem>(i)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

const MEMBER_WRITES_IN_FLIGHT = 10;

/** Adds contacts (which must exist) to a list; adding a member twice changes nothing. */
export async function addMembers(principal: Principal, listId: string, contactIds: string[], now: Date) {
  await getList(listId);
  const found = await getContacts(contactIds, true);
  const missing = contactIds.map((id, i) => ({ id, i })).filter(({ id }) => !found.has(id));
  if (missing.length > 0) throw BadRequest('Some contacts do not exist', missing.slice(0, 20).map(({ i }) => ({ path: `contactIds.${i}`, message: 'No such contact' })));
  const outcomes = await mapLimit(contactIds, MEMBER_WRITES_IN_FLIGHT, async (contactId) => (await addMember(principal, listId, contactId, now)).added);
  await membersAudit(listId, { added: contactIds.filter((_, i) => outcomes[i]) }, principal, now);
  const changed = outcomes.filter(Boolean).length;
  return { listId, changed, unchanged: contactIds.length - changed };
}

/** A list member as stored (also what bench/campaign.ts bulk-loads). */
export const listMemberItem = (listId: string, contactId: string, now: Date, by: string, origin?: { importId: string; row: number }) => ({
  ...keys.mailingList.member(listId, contactId), kind: 'list-member', listId, contactId, addedAt: now.toISOString(), addedBy: by,
  ...(origin ? { importId: origin.importId, importRow: origin.row } : {}),
});

/**
 * The membership write itself (one conditional PutItem), also used by CSV imports of list members
 * (functions/imports/rows.ts), whose `origin` marks the import row that added the member. When the
 * contact is a member already: `added: false` with that member's origin, if an import added it.
 */
export async function addMember(principal: Principal, listId: string, contactId: string, now: Date, origin?: { importId: string; row: number }): Promise<{ added: boolean; origin?: { importId: string; row: number } }> {
  try {
    await ddb().send(new PutCommand({
      TableName: table(),
      Item: listMemberItem(listId, contactId, now, principal.userId, origin),
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }));
    return { added: true };
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
    const old = err instanceof ConditionalCheckFailedException && err.Item ? unmarshall(err.Item) : {};
    return { added: false, ...(typeof old.importId === 'string' && typeof old.importRow === 'number' ? { origin: { importId: old.importId, row: old.importRow } } : {}) };
  }
}

/**
 * The audit entry of a membership change (the contact ids added or removed), when it changed
 * anything. Members are written one conditional PutItem each (so a repeat changes nothing and says
 * which were new), so the entry follows them in its own PutItem: a crash in between loses the
 * entry, never a member.
 */
async function membersAudit(listId: string, change: { added: string[] } | { removed: string[] }, principal: Principal, now: Date): Promise<void> {
  const ids = 'added' in change ? change.added : change.removed;
  if (ids.length === 0) return;
  await ddb().send(new PutCommand({ TableName: table(), Item: listAudit(listId, 1, change, principal, now), ConditionExpression: 'attribute_not_exists(pk)' }));
}

export async function removeMembers(principal: Principal, listId: string, contactIds: string[], now: Date) {
  await getList(listId);
  const outcomes = await mapLimit(contactIds, MEMBER_WRITES_IN_FLIGHT, async (contactId) => {
    const out = await ddb().send(new DeleteCommand({ TableName: table(), Key: keys.mailingList.member(listId, contactId), ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  });
  await membersAudit(listId, { removed: contactIds.filter((_, i) => outcomes[i]) }, principal, now);
  const changed = outcomes.filter(Boolean).length;
  return { listId, changed, unchanged: contactIds.length - changed };
}

export async function listMembers(listId: string, query: { limit?: number; cursor?: string }) {
  await getList(listId);
  const fingerprint = JSON.stringify(['list-members', listId]);
  const page = await queryPage({ partition: keys.mailingList.partition(listId), prefix: keys.mailingList.memberPrefix, limit: query.limit ?? 25, startKey: await decodeCursor(query.cursor, fingerprint) });
  return {
    items: page.items.map((i) => ({ contactId: String(i.contactId), addedAt: String(i.addedAt), addedBy: String(i.addedBy) })),
    nextCursor: await encodeCursor(page.lastKey, fingerprint),
  };
}
