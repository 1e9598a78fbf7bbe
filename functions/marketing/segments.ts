/**
 * Segments (saved rules) and static lists: CRUD, the segment preview and list membership.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../data/client';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { applyPatch, withoutKeys } from '../data/records';
import { mapLimit } from '../jobs/concurrency';
import { BadRequest, Conflict, NotFound, PreconditionFailed } from '../http/problem';
import { maskFor } from '../security/masking';
import type { Principal } from '../security/principal';
import { planOf, readSegmentPage, type AudienceState, type Member, type SegmentRules } from './audience';
import { getContacts, getItem, isConditionFailure, queryPage, table } from './store';

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

async function put(item: Record<string, unknown>, previousVersion: number | undefined): Promise<void> {
  await ddb().send(new PutCommand({
    TableName: table(),
    Item: item,
    ConditionExpression: previousVersion === undefined ? 'attribute_not_exists(pk)' : 'version = :v',
    ...(previousVersion === undefined ? {} : { ExpressionAttributeValues: { ':v': previousVersion } }),
  }));
}

function checkRules(rules: SegmentRules): void {
  const ltv = rules.lifetimeValue;
  if (ltv && ltv.min !== undefined && ltv.max !== undefined && ltv.min > ltv.max) throw BadRequest('Some body fields are not valid', [{ path: 'rules.lifetimeValue', message: 'min must not exceed max' }]);
}

export const toSegment = (s: SegmentItem) => ({ ...s, plan: planOf(s.rules).description });

// ---- segments --------------------------------------------------------------------------------

export async function createSegment(principal: Principal, body: { name: string; description?: string; rules: SegmentRules }, now: Date) {
  checkRules(body.rules);
  const item: SegmentItem = { id: newId('seg'), ...body, ...meta(principal, now) };
  await put({ ...keys.segment.primary(item.id), ...keys.segment.list(item.id), kind: 'segment', ...item }, undefined);
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
    await put({ ...keys.segment.primary(id), ...keys.segment.list(id), kind: 'segment', ...next }, current.version);
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
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

export async function createList(principal: Principal, body: { name: string; description?: string }, now: Date) {
  const item: ListItem = { id: newId('lst'), ...body, ...meta(principal, now) };
  await put({ ...keys.mailingList.primary(item.id), ...keys.mailingList.list(item.id), kind: 'mailing-list', ...item }, undefined);
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
  const outcomes = await mapLimit(contactIds, MEMBER_WRITES_IN_FLIGHT, async (contactId) => {
    try {
      await ddb().send(new PutCommand({
        TableName: table(),
        Item: { ...keys.mailingList.member(listId, contactId), kind: 'list-member', listId, contactId, addedAt: now.toISOString(), addedBy: principal.userId },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  });
  const changed = outcomes.filter(Boolean).length;
  return { listId, changed, unchanged: contactIds.length - changed };
}

export async function removeMembers(listId: string, contactIds: string[]) {
  await getList(listId);
  const outcomes = await mapLimit(contactIds, MEMBER_WRITES_IN_FLIGHT, async (contactId) => {
    const out = await ddb().send(new DeleteCommand({ TableName: table(), Key: keys.mailingList.member(listId, contactId), ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  });
  const changed = outcomes.filter(Boolean).length;
  return { listId, changed, unchanged: contactIds.length - changed };
}

export async function listMembers(listId: string, query: { limit?: number; cursor?: string }) {
  await getList(listId);
  const fingerprint = JSON.stringify(['list-members', listId]);
  const page = await queryPage({ partition: keys.mailingList.partition(listId), prefix: keys.mailingList.memberPrefix, limit: query.limit ?? 25, startKey: await decodeCursor(query.cursor, fingerprint) });
  return {
    items: page.items.map((i) => ({ contactId: i.contactId as string, addedAt: i.addedAt as string, addedBy: i.addedBy as string })),
    nextCursor: await encodeCursor(page.lastKey, fingerprint),
  };
}
