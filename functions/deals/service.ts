/**
 * Deals: rules for create, change, stage moves with history, win/loss and delete. Every write
 * commits the deal, its stage history, the forecast/report aggregate deltas and the audit/outbox
 * entry in ONE transaction (see functions/forecast/aggregates.ts). Other features create deals
 * inside their own transactions with `addDealCreation` (lead conversion).
 */
import { auditItem, diff } from '../audit/audit';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { addAggregateUpdates, dealDeltas, stageEntryDeltas } from '../forecast/aggregates';
import { addDealAttribution, assertCampaignExists } from '../marketing/attribution';
import { BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable } from '../http/problem';
import { activeStages, findStage, type PipelineItem, previousStageId } from '../pipelines/model';
import * as pipelines from '../pipelines/repository';
import { getCustomer } from '../customers/repository';
import { customerArchived, LIVE_CUSTOMER, wasArchived } from '../customers/archived';
import type { Scope } from '../security/permissions';
import { assertAccess, type Principal, scopeFor } from '../security/principal';
import { DEAL_FIELDS, type DealItem, facts, type LineItem, monthsOf, type StageHistoryItem, toDeal, toHistoryEntry } from './model';
import * as repo from './repository';
import { addCustomGuards, customUniqueConflict, definitionsOf, resolveCustom, uniqueKeys } from '../customfields/values';
import type { Infer } from '../../schemas/once';
import type { BoardQuery, DealCreate, DealListQuery, DealPatch } from '../../schemas/deals';

export const DEFAULT_LIMIT = 25;
const MAX_MERGE_ATTEMPTS = 3;

export interface DealDraft {
  name: string;
  customerId: string;
  contactId?: string;
  ownerId: string;
  amount: { amount: number; currency: string };
  pipelineId?: string;
  stageId?: string;
  expectedCloseDate?: string;
  source?: { kind: 'lead'; id: string };
  campaignId?: string;
}

interface DealExtras {
  probabilityOverride?: number;
  lineItems?: LineItem[];
  /** Checked custom-field values (functions/customfields/values.ts). */
  custom?: Record<string, unknown>;
}

/**
 * Commits, retrying a few times when DynamoDB cancels the transaction for a conflict with another
 * transaction on the same item (busy aggregate items, concurrent moves of one deal).
 */
export async function commitRetrying(tx: Transaction): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await tx.commit();
    } catch (err) {
      const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      const conflict = (err as Error).name === 'TransactionConflictException'
        || ((err as Error).name === 'TransactionCanceledException' && reasons.some((r) => r.Code === 'TransactionConflict') && !reasons.some((r) => r.Code === 'ConditionalCheckFailed'));
      if (!conflict || attempt >= 5) throw err;
      await new Promise((resolve) => setTimeout(resolve, 15 * 2 ** attempt + Math.random() * 20));
    }
  }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function isValidDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

async function pipelineFor(pipelineId: string | undefined, now: Date): Promise<PipelineItem> {
  if (!pipelineId) return pipelines.ensureDefaultPipeline(now);
  const pipeline = await pipelines.getPipeline(pipelineId);
  if (!pipeline) throw Unprocessable(`No such pipeline ${pipelineId}`);
  return pipeline;
}

/** The pipeline item must not have changed between validation and commit (stage retired meanwhile). */
const pipelineUnchanged = (p: PipelineItem) => ({ expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': p.version } });

/**
 * Largest deal amount in minor units (900 billion in major units): amount × probability (≤ 100)
 * must stay an exact integer below 2^53 in the weighted forecast aggregates.
 */
export const MAX_DEAL_AMOUNT = 90_000_000_000_000;

function checkMoney(pipeline: PipelineItem, amount: { amount: number; currency: string }, lineItems?: LineItem[]) {
  if (!Number.isSafeInteger(amount.amount) || amount.amount < 0) throw BadRequest('amount must be a non-negative integer of minor units', [{ path: 'amount.amount', message: 'Expected a non-negative integer' }]);
  if (amount.amount > MAX_DEAL_AMOUNT) throw BadRequest(`amount may be at most ${MAX_DEAL_AMOUNT} minor units`, [{ path: 'amount.amount', message: `At most ${MAX_DEAL_AMOUNT}` }]);
  if (!/^[A-Z]{3}$/.test(amount.currency)) throw BadRequest('amount.currency must be an ISO 4217 code', [{ path: 'amount.currency', message: 'Expected e.g. "EUR"' }]);
  if (pipeline.currency && pipeline.currency !== amount.currency) throw Unprocessable(`The pipeline "${pipeline.name}" works in ${pipeline.currency}; the deal amount is in ${amount.currency}`);
  for (const [i, line] of (lineItems ?? []).entries()) {
    if (line.unitPrice.currency !== amount.currency) throw Unprocessable(`lineItems[${i}].unitPrice must be in the deal currency ${amount.currency}`);
  }
}

/**
 * Validates (pipeline/stage exist and are active; defaults to the default pipeline's first stage),
 * builds the deal and appends ALL its items (deal, stage history, forecast/report aggregate
 * updates, audit) to `tx`. Throws typed HttpErrors. Does not read the customer: a lead conversion
 * creates the customer in the same transaction; the caller checks visibility of an existing one.
 * Condition labels: `deal`, `deal-history`, `pipeline` (changed meanwhile, e.g. a stage retired).
 */
export async function addDealCreation(tx: Transaction, draft: DealDraft, actor: Principal, now: Date): Promise<{ dealId: string; deal: unknown }> {
  const item = await buildDeal(tx, draft, {}, actor, now);
  return { dealId: item.id, deal: toDeal(item) };
}

async function buildDeal(tx: Transaction, draft: DealDraft, extras: DealExtras, actor: Principal, now: Date): Promise<DealItem> {
  const scope = scopeFor(actor, 'deals:write');
  if (!scope) throw Forbidden(`Your role (${actor.role}) may not create deals`);
  if (scope !== 'all' && draft.ownerId !== actor.userId) throw Forbidden('Your role may only create deals you own');
  if (!draft.name || draft.name.trim().length === 0) throw BadRequest('name is required', [{ path: 'name', message: 'Required' }]);
  if (draft.expectedCloseDate !== undefined && !isValidDate(draft.expectedCloseDate)) {
    throw BadRequest('expectedCloseDate must be a date YYYY-MM-DD', [{ path: 'expectedCloseDate', message: 'Expected YYYY-MM-DD' }]);
  }
  const pipeline = await pipelineFor(draft.pipelineId, now);
  let stage;
  if (draft.stageId) {
    stage = findStage(pipeline, draft.stageId);
    if (!stage) throw Unprocessable(`The pipeline "${pipeline.name}" has no stage ${draft.stageId}`);
    if (stage.retiredAt) throw Conflict(`The stage "${stage.name}" is retired; deals can no longer enter it`);
  } else {
    stage = activeStages(pipeline)[0];
    if (!stage) throw Conflict(`The pipeline "${pipeline.name}" has no active stage`);
  }
  checkMoney(pipeline, draft.amount, extras.lineItems);
  const at = now.toISOString();
  const deal: DealItem = {
    id: newId('deal'),
    name: draft.name.trim(),
    customerId: draft.customerId,
    ...(draft.contactId ? { contactId: draft.contactId } : {}),
    ownerId: draft.ownerId,
    pipelineId: pipeline.id,
    stageId: stage.id,
    amount: { amount: draft.amount.amount, currency: draft.amount.currency },
    probability: extras.probabilityOverride ?? stage.probability,
    ...(extras.probabilityOverride !== undefined ? { probabilityOverride: extras.probabilityOverride } : {}),
    ...(draft.expectedCloseDate ? { expectedCloseDate: draft.expectedCloseDate } : {}),
    ...(extras.lineItems ? { lineItems: extras.lineItems } : {}),
    ...(extras.custom ? { custom: extras.custom } : {}),
    status: 'open',
    ...(draft.source ? { source: draft.source } : {}),
    ...(draft.campaignId ? { campaignId: draft.campaignId } : {}),
    stageEnteredAt: at,
    historyCount: 1,
    stagesEntered: [stage.id],
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: actor.userId,
    updatedBy: actor.userId,
  };
  const history: StageHistoryItem = { n: 1, stageId: stage.id, stageName: stage.name, enteredAt: at, enteredBy: actor.userId };
  tx.put('deal', repo.dealStored(deal), { expression: 'attribute_not_exists(pk)' });
  tx.put('deal-history', repo.historyStored(deal.id, history), { expression: 'attribute_not_exists(pk)' });
  addCustomGuards(tx, 'deal', deal.id, undefined, deal.custom);
  tx.check('pipeline', keys.pipeline.primary(pipeline.id), pipelineUnchanged(pipeline));
  const deltas = dealDeltas(undefined, facts(deal));
  stageEntryDeltas(deal, stage.id, [], previousStageId(pipeline, stage.id), at, deltas);
  addAggregateUpdates(tx, deltas);
  addDealAttribution(tx, undefined, deal);
  tx.put('audit', dealAudit(actor, undefined, deal, 'created', now));
  return deal;
}

function dealAudit(actor: Principal, before: DealItem | undefined, after: DealItem, action: 'created' | 'updated' | 'deleted', now: Date) {
  const changes = diff(before, action === 'deleted' ? undefined : after, DEAL_FIELDS, []);
  const timeline = action !== 'updated' || changes.some((c) => c.field === 'status' || c.field === 'stageId');
  return auditItem({ customerId: after.customerId, entityType: 'deal', entityId: after.id, action, actor, at: now, version: action === 'deleted' ? after.version + 1 : after.version, changes, timeline });
}

/** Won deals of an owner whose closedAt falls in [from, to) — one Query per page on gsi3 (owner × won, by closedAt). */
export async function wonDealsOf(ownerId: string, from: string, to: string): Promise<Array<{ id: string; name: string; amount: { amount: number; currency: string }; closedAt: string; customerId: string }>> {
  const result: Array<{ id: string; name: string; amount: { amount: number; currency: string }; closedAt: string; customerId: string }> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await repo.queryWon(ownerId, from, to, startKey);
    for (const d of page.items) {
      if (d.closedAt! >= from && d.closedAt! < to) result.push({ id: d.id, name: d.name, amount: d.amount, closedAt: d.closedAt!, customerId: d.customerId });
    }
    startKey = page.lastKey;
  } while (startKey);
  return result;
}

/** The quota of a user for a period like '2026-Q4' or '2026-11' (undefined if none): one GetItem. */
export async function quotaOf(userId: string, period: string): Promise<{ amount: { amount: number; currency: string } } | undefined> {
  const quota = await repo.getQuota(userId, period);
  return quota ? { amount: quota.amount } : undefined;
}

// Routes ------------------------------------------------------------------------------------------

type DealInput = Infer<typeof DealCreate>;

/** POST /v1/deals: the customer must be visible to the caller and live; it must not be archived meanwhile. */
export async function createDeal(principal: Principal, scope: Scope, body: DealInput, now: Date) {
  const customerId = body.customerId;
  const customer = await getCustomer(customerId);
  if (!customer) throw NotFound('No such customer');
  assertAccess(principal, 'customers:read', customer.ownerId, 'customer');
  if (customer.archivedAt) throw customerArchived(customerId);
  const contactId = body.contactId;
  if (contactId && !customer.contactIds?.has(contactId)) throw Unprocessable('contactId is not a contact of this customer');
  const ownerId = body.ownerId ?? principal.userId;
  if (ownerId !== principal.userId && scope !== 'all') throw Forbidden('Your role may only create deals you own');
  await assertCampaignExists(body.campaignId, undefined);
  const custom = await resolveCustom('deal', undefined, body.custom, true);
  const tx = new Transaction();
  tx.check('customer', keys.customer.primary(customerId), LIVE_CUSTOMER);
  const deal = await buildDeal(tx, {
    name: body.name,
    customerId,
    contactId,
    ownerId,
    amount: body.amount,
    pipelineId: body.pipelineId,
    stageId: body.stageId,
    expectedCloseDate: body.expectedCloseDate,
    campaignId: body.campaignId,
  }, { probabilityOverride: body.probability, lineItems: body.lineItems, custom }, principal, now);
  try {
    await commitRetrying(tx);
  } catch (err) {
    if (!(err instanceof ConditionsFailed)) throw err;
    const taken = customUniqueConflict('deal', err.labels);
    if (taken) throw taken;
    if (err.labels.includes('customer')) throw wasArchived(err.items.customer) ? customerArchived(customerId) : NotFound('No such customer');
    if (err.labels.includes('pipeline')) throw Conflict('The pipeline changed while adding the deal; retry');
    throw err;
  }
  return toDeal(deal);
}

async function loadVisibleDeal(principal: Principal, id: string, action: 'deals:read' | 'deals:write') {
  const deal = await repo.getDeal(id);
  if (!deal) throw NotFound('No such deal');
  assertAccess(principal, action, deal.ownerId, 'deal');
  return deal;
}

/** One GetItem. */
export async function getDeal(principal: Principal, id: string) {
  return toDeal(await loadVisibleDeal(principal, id, 'deals:read'));
}

/** GetItem + one Query of the `#HIST#` items. */
export async function dealHistory(principal: Principal, id: string, now: Date) {
  await loadVisibleDeal(principal, id, 'deals:read');
  const items = await repo.getHistory(id);
  return { items: items.map((h) => toHistoryEntry(h, now)) };
}

interface Change {
  next: DealItem;
  /** Items besides the deal: history updates, a pipeline condition. */
  extra?: (tx: Transaction) => void;
  funnel?: { stageId: string; previous?: string };
}

/**
 * Applies a change with optimistic concurrency: the deal is written only if its version is the
 * one read. With If-Match a stale version is 412; without, a lost race re-reads and re-applies
 * (so two concurrent stage moves are both applied, in commit order, with consistent history).
 */
async function mutateDeal(principal: Principal, id: string, expectedVersion: number | undefined, now: Date, mutation: (current: DealItem) => Promise<Change | undefined>) {
  for (let attempt = 1; ; attempt++) {
    const current = await loadVisibleDeal(principal, id, 'deals:write');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const change = await mutation(current);
    if (!change) return toDeal(current);
    const next: DealItem = { ...change.next, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    const tx = new Transaction();
    tx.put('deal', repo.dealStored(next), { expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': current.version } });
    change.extra?.(tx);
    addCustomGuards(tx, 'deal', next.id, current.custom, next.custom);
    const deltas = dealDeltas(facts(current), facts(next));
    if (change.funnel) stageEntryDeltas(next, change.funnel.stageId, current.stagesEntered, change.funnel.previous, now.toISOString(), deltas);
    addAggregateUpdates(tx, deltas);
    addDealAttribution(tx, current, next);
    tx.put('audit', dealAudit(principal, current, next, 'updated', now));
    try {
      await commitRetrying(tx);
      return toDeal(next);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      const taken = customUniqueConflict('deal', err.labels);
      if (taken) throw taken;
      if (expectedVersion !== undefined && err.labels.includes('deal')) throw PreconditionFailed();
      if (attempt < MAX_MERGE_ATTEMPTS) continue;
      throw Conflict('The deal is being changed by someone else right now; retry');
    }
  }
}

const assertOpen = (d: DealItem) => {
  if (d.status !== 'open') throw Conflict(`The deal is ${d.status}; closed deals cannot be changed`);
};

/** Closes the current stage-history item (left at / by). */
function leaveStage(tx: Transaction, d: DealItem, principal: Principal, at: string) {
  tx.update('deal-history', keys.deal.history(d.id, d.historyCount), {
    expression: 'SET leftAt = :at, leftBy = :by',
    values: { ':at': at, ':by': principal.userId },
  }, { expression: 'attribute_exists(pk) AND attribute_not_exists(leftAt)' });
}

export async function updateDeal(principal: Principal, scope: Scope, id: string, patch: Infer<typeof DealPatch>, expectedVersion: number | undefined, now: Date) {
  return mutateDeal(principal, id, expectedVersion, now, async (current) => {
    assertOpen(current);
    const next: DealItem = { ...current };
    if (patch.name !== undefined) next.name = patch.name;
    if (patch.ownerId !== undefined && patch.ownerId !== current.ownerId) {
      if (scope !== 'all') throw Forbidden('Your role may not reassign deals to another owner');
      next.ownerId = patch.ownerId;
    }
    if (patch.contactId !== undefined) {
      if (patch.contactId === null) delete next.contactId;
      else {
        const customer = await getCustomer(current.customerId);
        if (!customer?.contactIds?.has(patch.contactId)) throw Unprocessable('contactId is not a contact of this customer');
        next.contactId = patch.contactId;
      }
    }
    if (patch.expectedCloseDate !== undefined) {
      if (patch.expectedCloseDate === null) delete next.expectedCloseDate;
      else next.expectedCloseDate = patch.expectedCloseDate;
    }
    if (patch.lineItems !== undefined) {
      if (patch.lineItems === null) delete next.lineItems;
      else next.lineItems = patch.lineItems;
    }
    if (patch.amount !== undefined) next.amount = patch.amount;
    if (patch.custom !== undefined) next.custom = await resolveCustom('deal', current.custom, patch.custom, false);
    if (patch.campaignId !== undefined) {
      await assertCampaignExists(patch.campaignId, current.campaignId);
      if (patch.campaignId === null) delete next.campaignId;
      else next.campaignId = patch.campaignId;
    }
    let pipeline: PipelineItem | undefined;
    if (patch.probability !== undefined) {
      if (patch.probability === null) {
        delete next.probabilityOverride;
        pipeline = await pipelines.getPipeline(current.pipelineId);
        next.probability = (pipeline && findStage(pipeline, current.stageId)?.probability) ?? current.probability;
      } else {
        next.probabilityOverride = patch.probability;
        next.probability = patch.probability;
      }
    }
    if (patch.amount !== undefined || patch.lineItems !== undefined) {
      pipeline ??= await pipelines.getPipeline(current.pipelineId);
      if (pipeline) checkMoney(pipeline, next.amount, next.lineItems);
    }
    const changed = diff(current, next, DEAL_FIELDS, []).length > 0;
    return changed ? { next } : undefined;
  });
}

/** POST /v1/deals/{id}/stage: 409 into a retired stage or for a closed deal; 422 for a stage of another pipeline. */
export async function moveStage(principal: Principal, id: string, stageId: string, expectedVersion: number | undefined, now: Date) {
  return mutateDeal(principal, id, expectedVersion, now, async (current) => {
    assertOpen(current);
    const pipeline = await pipelines.getPipeline(current.pipelineId);
    const stage = pipeline && findStage(pipeline, stageId);
    if (!pipeline || !stage) throw Unprocessable('The stage is not part of the deal\'s pipeline');
    if (stage.retiredAt) throw Conflict(`The stage "${stage.name}" is retired; deals can no longer move into it`);
    if (stage.id === current.stageId) return undefined;
    const at = now.toISOString();
    const n = current.historyCount + 1;
    const next: DealItem = {
      ...current,
      stageId: stage.id,
      probability: current.probabilityOverride ?? stage.probability,
      stageEnteredAt: at,
      historyCount: n,
      stagesEntered: current.stagesEntered.includes(stage.id) ? current.stagesEntered : [...current.stagesEntered, stage.id],
    };
    return {
      next,
      funnel: { stageId: stage.id, previous: previousStageId(pipeline, stage.id) },
      extra: (tx) => {
        leaveStage(tx, current, principal, at);
        tx.put('deal-history-new', repo.historyStored(id, { n, stageId: stage.id, stageName: stage.name, enteredAt: at, enteredBy: principal.userId }), { expression: 'attribute_not_exists(pk)' });
        tx.check('pipeline', keys.pipeline.primary(pipeline.id), pipelineUnchanged(pipeline));
      },
    };
  });
}

export async function closeDeal(principal: Principal, id: string, outcome: 'won' | 'lost', reason: string | undefined, now: Date) {
  return mutateDeal(principal, id, undefined, now, async (current) => {
    if (current.status === outcome && (reason === undefined || reason === (outcome === 'won' ? current.wonReason : current.lostReason))) return undefined;
    assertOpen(current);
    const at = now.toISOString();
    const next: DealItem = {
      ...current,
      status: outcome,
      closedAt: at,
      ...(outcome === 'won' ? { probability: 100 } : { probability: 0 }),
      ...(reason !== undefined ? (outcome === 'won' ? { wonReason: reason } : { lostReason: reason }) : {}),
    };
    return { next, extra: (tx) => leaveStage(tx, current, principal, at) };
  });
}

/**
 * DELETE: the deal, its stage history and its contribution to every aggregate go in one transaction.
 * A won or lost deal is part of the record — forecast attainment, reports and commission statements
 * count it — so only a role with `deals:delete-closed` (admin) may delete it; the deletion is audited
 * like any other and reverses exactly the closed deal's contribution. The condition on the version
 * read means a deal won between the read and the commit is re-read and judged as closed.
 */
export async function deleteDeal(principal: Principal, id: string, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await loadVisibleDeal(principal, id, 'deals:write');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    if (current.status !== 'open' && !scopeFor(principal, 'deals:delete-closed')) {
      throw Forbidden(`The deal is ${current.status}; closed deals count in forecast, reports and commission statements, so only an admin may delete them`);
    }
    const tx = new Transaction();
    tx.delete('deal', keys.deal.primary(id), { expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': current.version } });
    const deltas = dealDeltas(facts(current), undefined);
    addAggregateUpdates(tx, deltas);
    addDealAttribution(tx, current, undefined);
    addCustomGuards(tx, 'deal', id, current.custom, undefined, current.custom ? uniqueKeys(await definitionsOf('deal')) : undefined);
    tx.put('audit', dealAudit(principal, current, current, 'deleted', now));
    // History items go in the same transaction while they fit; a very long history is removed after.
    const room = 100 - tx.size;
    const inTx = Math.min(current.historyCount, room);
    for (let n = 1; n <= inTx; n++) tx.delete(`deal-history:${n}`, keys.deal.history(id, n));
    try {
      await commitRetrying(tx);
    } catch (err) {
      if (!(err instanceof ConditionsFailed)) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt < MAX_MERGE_ATTEMPTS) continue;
      throw Conflict('The deal is being changed by someone else right now; retry');
    }
    for (let n = inTx + 1; n <= current.historyCount; n++) {
      const rest = new Transaction();
      rest.delete(`deal-history:${n}`, keys.deal.history(id, n));
      await rest.commit();
    }
    return;
  }
}

/**
 * Plans a deal list as ONE Query per page: the owner's partition (gsi1) when an owner is given or
 * the caller's scope is own; the board partition (gsi2) for open deals of a pipeline stage; else
 * all deals (gsi4). Expected-close ranges narrow the sort key; other filters are FilterExpressions.
 */
export function planDealList(principal: Principal, scope: Scope, query: Infer<typeof DealListQuery>): repo.DealQueryPlan | 'empty' {
  let ownerId = query.ownerId;
  if (scope === 'own') {
    if (ownerId !== undefined && ownerId !== principal.userId) return 'empty';
    ownerId = principal.userId;
  }
  let fromDate = query.from;
  let toDate = query.to;
  if (query.closing) {
    const months = monthsOf(query.closing);
    const start = `${months[0]}-01`;
    const end = `${months.at(-1)}-31`;
    fromDate = fromDate && fromDate > start ? fromDate : start;
    toDate = toDate && toDate < end ? toDate : end;
  }
  const ranged = fromDate !== undefined || toDate !== undefined;
  const range = { from: fromDate ?? '', to: `${toDate ?? '~'}~` };
  const filters: Record<string, string> = {};
  if (query.status) filters.status = query.status;
  if (query.pipelineId) filters.pipelineId = query.pipelineId;
  if (query.stageId) filters.stageId = query.stageId;
  if (ownerId) return { index: 'gsi1', partition: keys.deal.ownerPartition(ownerId), ...(ranged ? range : {}), filters };
  if (query.pipelineId && query.stageId && (query.status ?? 'open') === 'open') {
    return {
      index: 'gsi2',
      partition: keys.deal.boardPartition(query.pipelineId),
      from: `${query.stageId}#${range.from}`,
      to: `${query.stageId}#${range.to}`,
      filters: {},
    };
  }
  return { index: 'gsi4', partition: keys.deal.allPartition, ...(ranged ? range : {}), filters };
}

export async function listDeals(principal: Principal, scope: Scope, query: Infer<typeof DealListQuery>) {
  if (query.from && query.to && query.from > query.to) throw BadRequest('from must not be after to', [{ path: 'from', message: 'After to' }]);
  const plan = planDealList(principal, scope, query);
  if (plan === 'empty') return { items: [], nextCursor: null };
  const fingerprint = `deals:${JSON.stringify(plan)}`;
  const page = await repo.queryDeals(plan, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toDeal), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/**
 * The board: open deals of a pipeline by stage (a stage's column with `stage`), one Query per page.
 * Scope all reads the board partition on gsi2 (by stage, then expected close). Scope own reads the
 * caller's own partition on gsi1 (by expected close) with status/pipeline/stage as filters — never
 * the shared board filtered by owner, whose cursors and read units would cover other reps' deals.
 * An unknown pipeline is an empty board (no extra read).
 */
export async function board(principal: Principal, scope: Scope, pipelineId: string, query: Infer<typeof BoardQuery>) {
  const plan = planBoard(principal, scope, pipelineId, query);
  const fingerprint = `board:${JSON.stringify(plan)}`;
  const page = await repo.queryDeals(plan, query.limit ?? DEFAULT_LIMIT, await decodeCursor(query.cursor, fingerprint));
  return { items: page.items.map(toDeal), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** The board's one Query per page (see board). */
export function planBoard(principal: Principal, scope: Scope, pipelineId: string, query: { stage?: string }): repo.DealQueryPlan {
  return scope === 'own'
    ? {
      index: 'gsi1',
      partition: keys.deal.ownerPartition(principal.userId),
      filters: { status: 'open', pipelineId, ...(query.stage ? { stageId: query.stage } : {}) },
    }
    : {
      index: 'gsi2',
      partition: keys.deal.boardPartition(pipelineId),
      ...(query.stage ? { prefix: `${query.stage}#` } : {}),
      filters: {},
    };
}

