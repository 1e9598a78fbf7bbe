/**
 * Asset rules: row level follows the customer, warranty not before purchase, the service
 * schedule computed from the service rules and the customer's tier, audit (an added asset is a
 * key event on the customer's timeline). DynamoDB access goes through repository.ts.
 */
import { auditItem, diff } from '../audit/audit';
import { localDateOf } from '../calendar/business-calendar';
import { config } from '../config';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { customerArchived, wasArchived } from '../customers/archived';
import { BadRequest, Conflict, NotFound, PreconditionFailed } from '../http/problem';
import { type Principal, assertAccess, NO_SUCH_ID, scopeFor } from '../security/principal';
import { ASSET_FIELDS, type AssetItem, applyPatch, freshSchedule, toAsset, warrantyPending } from './model';
import * as repo from './repository';
import type { Infer } from '../../schemas/once';
import type { AssetCreate, AssetListQuery, AssetPatch } from '../../schemas/assets';

export const DEFAULT_LIMIT = 25;
const MAX_ATTEMPTS = 3;

const today = (now: Date) => localDateOf(now, config().businessTimeZone);

function assertDates(a: Pick<AssetItem, 'purchaseDate' | 'warrantyEndsOn'>) {
  if (a.warrantyEndsOn && a.warrantyEndsOn < a.purchaseDate) {
    throw BadRequest('Some body fields are not valid', [{ path: 'warrantyEndsOn', message: 'warrantyEndsOn must be on or after purchaseDate' }]);
  }
}

const ownerCondition = (principal: Principal, ownerId: string) => (scopeFor(principal, 'assets:write') === 'own' ? ownerId : undefined);

export async function createAsset(principal: Principal, customerId: string, body: Infer<typeof AssetCreate>, now: Date) {
  const { customer, rules } = await repo.getCustomerAndRules(customerId);
  if (!customer) throw NotFound('No such customer');
  assertAccess(principal, 'assets:write', customer.ownerId, 'customer');
  if (customer.archivedAt) throw customerArchived(customerId);
  const at = now.toISOString();
  const fields = {
    productName: body.productName,
    category: body.category,
    serialNumber: body.serialNumber,
    purchaseDate: body.purchaseDate,
    warrantyEndsOn: body.warrantyEndsOn,
    notes: body.notes,
  };
  assertDates(fields);
  const item: AssetItem = {
    id: newId('ast'),
    customerId,
    ...fields,
    ...freshSchedule(fields, today(now), rules, customer.tier),
    rev: 1,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  const changes = diff(undefined, item, ASSET_FIELDS, []);
  const audit = auditItem({ customerId, entityType: 'asset', entityId: item.id, action: 'created', actor: principal, at: now, version: 1, changes, timeline: true });
  try {
    await repo.saveAsset(undefined, item, warrantyPending(item, today(now)), audit, { ownerId: ownerCondition(principal, customer.ownerId), requireLive: true });
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('customer')) {
      if (wasArchived(err.items.customer)) throw customerArchived(customerId);
      throw Conflict('The customer changed (owner or archive) while adding the asset; retry');
    }
    throw err;
  }
  return toAsset(item);
}

/** A missing asset costs the owner read too (NO_SUCH_ID), like another rep's: the 404s cannot be told apart by timing. */
async function loadVisible(principal: Principal, id: string, action: 'assets:read' | 'assets:write') {
  const item = await repo.getAsset(id);
  let ownerId: string | undefined;
  if (scopeFor(principal, action) === 'own') {
    const customer = await repo.getCustomer(item?.customerId ?? NO_SUCH_ID);
    if (!item || !customer) throw NotFound('No such asset');
    ownerId = customer.ownerId;
  }
  if (!item) throw NotFound('No such asset');
  assertAccess(principal, action, ownerId, 'asset');
  return item;
}

/** One GetItem for roles that see every customer; a second for the customer's owner otherwise. */
export async function getAsset(principal: Principal, id: string) {
  return toAsset(await loadVisible(principal, id, 'assets:read'));
}

export async function listAssets(principal: Principal, customerId: string, query: Infer<typeof AssetListQuery>) {
  const customer = await repo.getCustomer(customerId);
  if (!customer) throw NotFound('No such customer');
  assertAccess(principal, 'assets:read', customer.ownerId, 'customer');
  const fingerprint = `assets:${customerId}`;
  const page = await repo.queryAssets(customerId, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toAsset), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

export async function updateAsset(principal: Principal, id: string, patch: Infer<typeof AssetPatch>, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getAsset(id);
    const { customer, rules } = await repo.getCustomerAndRules(current?.customerId ?? NO_SUCH_ID);
    if (!current || !customer) throw NotFound('No such asset');
    assertAccess(principal, 'assets:write', customer.ownerId, 'asset');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    let next = applyPatch(current, patch);
    const changes = diff(current, next, ASSET_FIELDS, []);
    if (changes.length === 0) return toAsset(current);
    assertDates(next);
    // A new purchase date or category starts a new schedule; other edits keep the current one.
    if (next.purchaseDate !== current.purchaseDate || next.category !== current.category) {
      next = { ...next, ...freshSchedule(next, today(now), rules, customer.tier) };
      if (!next.nextServiceOn) delete next.nextServiceOn;
    }
    const saved: AssetItem = { ...next, rev: current.rev + 1, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    const audit = auditItem({ customerId: current.customerId, entityType: 'asset', entityId: id, action: 'updated', actor: principal, at: now, version: saved.version, changes });
    try {
      await repo.saveAsset(current, saved, warrantyPending(saved, today(now)), audit, { ownerId: ownerCondition(principal, customer.ownerId), requireLive: false });
      return toAsset(saved);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      if (err.labels.includes('asset') && expectedVersion !== undefined && err.items.asset?.version !== current.version) throw PreconditionFailed();
      if (attempt < MAX_ATTEMPTS) continue;
      throw Conflict('The asset is being changed by someone else right now; retry');
    }
  }
}

export async function deleteAsset(principal: Principal, id: string, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await loadVisible(principal, id, 'assets:write');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const changes = diff(current, undefined, ASSET_FIELDS, []);
    const audit = auditItem({ customerId: current.customerId, entityType: 'asset', entityId: id, action: 'deleted', actor: principal, at: now, version: current.version + 1, changes });
    try {
      await repo.deleteAsset(current, audit);
      return;
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      // rev also moves when a job advances the schedule: only a changed version is the caller's 412.
      if (expectedVersion !== undefined && err.items.asset && err.items.asset.version !== current.version) throw PreconditionFailed();
      if (!err.items.asset) throw NotFound('No such asset');
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The asset is being changed by someone else right now; retry');
    }
  }
}
