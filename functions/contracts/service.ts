/**
 * Service contract rules: unique number (guard item, 409), covered assets must be the customer's
 * (400 naming `assetIds.<n>`, checked again as conditions at commit), end on or after start, legal
 * status moves only (409), an archived customer takes no contract writes (409), row level follows
 * the customer (`contracts:read` with scope own: contracts of customers the caller owns).
 * DynamoDB access goes through repository.ts.
 */
import type { output } from 'zod/mini';
import { auditItem, diff } from '../audit/audit';
import { localDateOf, formatDate } from '../calendar/business-calendar';
import { config } from '../config';
import { customerArchived, wasArchived } from '../customers/archived';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed } from '../http/problem';
import type { Scope } from '../security/permissions';
import { assertAccess, NO_SUCH_ID, type Principal, scopeFor } from '../security/principal';
import type { ContractCreate, ContractListQuery, ContractPatch, CustomerContractsQuery } from '../../schemas/contracts';
import { DEFAULT_RENEWAL_REMINDER_DAYS } from '../../schemas/contracts';
import { applyPatch } from '../data/records';
import { CONTRACT_FIELDS, type ContractItem, type ContractStatus, canMove, effectiveStatus, isFinal, toContract, withRenewalState } from './model';
import * as repo from './repository';

export const DEFAULT_LIMIT = 25;
const MAX_ATTEMPTS = 3;
type CreateBody = output<ReturnType<typeof ContractCreate>>;
type PatchBody = output<ReturnType<typeof ContractPatch>>;

/** Today in the business time zone, as YYYY-MM-DD. */
export const todayOf = (now: Date) => formatDate(localDateOf(now, config().businessTimeZone));

export function contractAudit(before: ContractItem | undefined, after: ContractItem, action: 'created' | 'updated' | 'expired', actor: Principal, now: Date) {
  const changes = diff(before, after, CONTRACT_FIELDS, []);
  const item = auditItem({ customerId: after.customerId, entityType: 'contract', entityId: after.id, action, actor, at: now, version: after.version, changes });
  // Kept beside the contract (its own partition), like quotes and products.
  return { ...item, ...keys.contract.audit(after.id, item.at as string, item.id as string) };
}

function assertDates(c: Pick<ContractItem, 'startDate' | 'endDate'>) {
  if (c.endDate < c.startDate) throw BadRequest('Some body fields are not valid', [{ path: 'endDate', message: 'endDate must be on or after startDate' }]);
}

/** Every listed asset exists and belongs to the customer; else a 400 naming the first that does not. */
async function assertAssetsOf(customerId: string, assetIds: readonly string[], only?: ReadonlySet<string>) {
  const wanted = assetIds.filter((id) => !only || only.has(id));
  const found = await repo.getAssets(wanted);
  const errors = assetIds
    .map((id, index) => ({ id, index }))
    .filter(({ id }) => wanted.includes(id) && found.get(id)?.customerId !== customerId)
    .map(({ index }) => ({ path: `assetIds.${index}`, message: 'Not an asset of this contract\'s customer' }));
  if (errors.length > 0) throw BadRequest('Some body fields are not valid', errors);
}

/** The answer to a failed commit condition, or undefined when it was the contract's `rev` (retry). */
function failedCondition(err: ConditionsFailed, contract: ContractItem): Error | undefined {
  if (err.labels.includes('unique:number')) {
    const existing = err.items['unique:number']?.contractId as string | undefined;
    return Conflict(`A contract with number ${contract.number} already exists`, existing);
  }
  if (err.labels.includes('customer')) return wasArchived(err.items.customer) ? customerArchived(contract.customerId) : NotFound('No such customer');
  const asset = err.labels.find((l) => l.startsWith('asset:'));
  if (asset) return BadRequest('Some body fields are not valid', [{ path: `assetIds.${asset.slice(6)}`, message: 'Not an asset of this contract\'s customer' }]);
  return undefined;
}

export async function createContract(principal: Principal, body: CreateBody, now: Date) {
  const customer = await repo.getCustomer(body.customerId);
  if (!customer || (scopeFor(principal, 'contracts:write') === 'own' && customer.ownerId !== principal.userId)) {
    throw BadRequest('Some body fields are not valid', [{ path: 'customerId', message: 'No such customer' }]);
  }
  if (customer.archivedAt) throw customerArchived(customer.id);
  const at = now.toISOString();
  const today = todayOf(now);
  const item = withRenewalState({
    id: newId('ctr'),
    number: body.number,
    customerId: body.customerId,
    assetIds: body.assetIds ?? [],
    startDate: body.startDate,
    endDate: body.endDate,
    value: body.value,
    billingCycle: body.billingCycle,
    status: body.status ?? 'draft',
    renewalReminderDays: body.renewalReminderDays ?? DEFAULT_RENEWAL_REMINDER_DAYS,
    ...(body.notes ? { notes: body.notes } : {}),
    rev: 1,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  }, today);
  assertDates(item);
  await assertAssetsOf(item.customerId, item.assetIds);
  try {
    await repo.saveContract(undefined, item, {
      checkAssets: item.assetIds.map((id, index) => ({ id, index })),
      audit: contractAudit(undefined, item, 'created', principal, now),
    });
  } catch (err) {
    if (err instanceof ConditionsFailed) throw failedCondition(err, item) ?? err;
    throw err;
  }
  return toContract(item, today);
}

/**
 * The contract if the caller may see it. For own scope a missing contract costs the customer read
 * too (NO_SUCH_ID), like another rep's, so the two 404s cannot be told apart by their cost.
 */
async function loadVisible(principal: Principal, id: string, action: 'contracts:read' | 'contracts:write') {
  const item = await repo.getContract(id);
  let ownerId: string | undefined;
  if (scopeFor(principal, action) === 'own') {
    const customer = await repo.getCustomer(item?.customerId ?? NO_SUCH_ID);
    if (!item || !customer) throw NotFound('No such contract');
    ownerId = customer.ownerId;
  }
  if (!item) throw NotFound('No such contract');
  assertAccess(principal, action, ownerId, 'contract');
  return item;
}

export async function getContract(principal: Principal, id: string, now: Date) {
  return toContract(await loadVisible(principal, id, 'contracts:read'), todayOf(now));
}

export async function updateContract(principal: Principal, id: string, patch: PatchBody, expectedVersion: number | undefined, now: Date) {
  const today = todayOf(now);
  for (let attempt = 1; ; attempt++) {
    const current = await loadVisible(principal, id, 'contracts:write');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const from = effectiveStatus(current, today);
    const to = patch.status;
    if (to !== undefined && to !== from && !canMove(from, to)) {
      throw Conflict(`A contract cannot move from ${from} to ${to}${to === 'expired' ? ' (contracts expire by their end date)' : ''}`);
    }
    if (isFinal(from)) {
      const other = Object.keys(patch).filter((field) => field !== 'status' && field !== 'notes');
      if (other.length > 0) throw Conflict(`A ${from} contract takes only status and notes; ${other.join(', ')} cannot change`);
    }
    const status: ContractStatus = to !== undefined && to !== from ? to : current.status;
    let next = applyPatch(current, { ...patch, status });
    next = withRenewalState(next, today);
    const changes = diff(current, next, CONTRACT_FIELDS, []);
    if (changes.length === 0) return toContract(current, today);
    assertDates(next);
    const before = new Set(current.assetIds);
    const added = new Set(next.assetIds.filter((a) => !before.has(a)));
    await assertAssetsOf(next.customerId, next.assetIds, added);
    const saved: ContractItem = { ...next, rev: current.rev + 1, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    try {
      await repo.saveContract(current, saved, {
        checkAssets: saved.assetIds.map((a, index) => ({ id: a, index })).filter((a) => added.has(a.id)),
        audit: contractAudit(current, saved, 'updated', principal, now),
      });
      return toContract(saved, today);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      const answer = failedCondition(err, saved);
      if (answer) throw answer;
      // `rev` moved: a user's change (412 when the caller named a version) or the renewal job's mark.
      if (expectedVersion !== undefined && err.items.contract?.version !== current.version) throw PreconditionFailed();
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The contract is being changed by someone else right now; retry');
    }
  }
}

/** All contracts by end date (optionally of one stored status). Scope own cannot list everyone's. */
export async function listContracts(principal: Principal, scope: Scope, query: output<ReturnType<typeof ContractListQuery>>, now: Date) {
  if (scope === 'own') throw Forbidden('List the contracts of a customer you own with GET /v1/customers/{id}/contracts');
  const [index, partition] = query.status ? ['gsi4', keys.contract.statusPartition(query.status)] as const : ['gsi3', keys.contract.allPartition] as const;
  const fingerprint = JSON.stringify(['contracts', partition]);
  const page = await repo.queryContracts(index, partition, { limit: query.limit ?? DEFAULT_LIMIT, startKey: await decodeCursor(query.cursor, fingerprint) });
  const today = todayOf(now);
  return { items: page.items.map((c) => toContract(c, today)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** A customer's contracts, newest start first: one GetItem (visibility) and one Query per page. */
export async function listCustomerContracts(principal: Principal, customerId: string, query: output<ReturnType<typeof CustomerContractsQuery>>, now: Date) {
  const customer = await repo.getCustomer(customerId);
  if (!customer) throw NotFound('No such customer');
  assertAccess(principal, 'contracts:read', customer.ownerId, 'customer');
  const partition = keys.contract.customerPartition(customerId);
  const fingerprint = JSON.stringify(['contracts', partition]);
  const page = await repo.queryContracts('gsi1', partition, { limit: query.limit ?? DEFAULT_LIMIT, startKey: await decodeCursor(query.cursor, fingerprint), newestFirst: true });
  const today = todayOf(now);
  return { items: page.items.map((c) => toContract(c, today)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}
