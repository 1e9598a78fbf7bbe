/**
 * Commission plans (admin) and statements. Statements read won deals and the quota through the
 * deals feature's contract (wonDealsOf, quotaOf); sales users read only their own statement.
 */
import { auditItem, diff } from '../audit/audit';
import { zonedTimeToInstant } from '../calendar/business-calendar';
import { config } from '../config';
import { decodeCursor, encodeCursor, invalidCursor } from '../data/cursor';
import { keys } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { quotaOf, wonDealsOf } from '../deals/service';
import { Conflict, Forbidden, NotFound, PreconditionFailed } from '../http/problem';
import type { Scope } from '../security/permissions';
import type { Principal } from '../security/principal';
import * as repo from './repository';
import type { Infer } from '../../schemas/once';
import type { CommissionPlanInput, CommissionPlanListQuery, StatementQuery } from '../../schemas/commissions';
import { computeCommission, periodDates } from './statement';

export const DEFAULT_LIMIT = 25;
const PLAN_FIELDS = ['name', 'currency', 'rateBp', 'acceleratorRateBp', 'userIds'] as const;

const toPlan = (p: repo.PlanItem) => ({
  id: p.id, name: p.name, currency: p.currency, rateBp: p.rateBp, acceleratorRateBp: p.acceleratorRateBp, userIds: p.userIds,
  version: p.version, createdAt: p.createdAt, updatedAt: p.updatedAt, createdBy: p.createdBy, updatedBy: p.updatedBy,
});

/**
 * Creates or replaces a plan (PUT). Replacing needs no If-Match, but a stale If-Match is 412; a
 * user already on another plan is 409.
 */
export async function putPlan(principal: Principal, id: string, body: Infer<typeof CommissionPlanInput>, expectedVersion: number | undefined, now: Date) {
  const before = await repo.getPlan(id);
  if (expectedVersion !== undefined && expectedVersion !== before?.version) throw PreconditionFailed();
  const at = now.toISOString();
  const after: repo.PlanItem = {
    id,
    name: body.name,
    currency: body.currency,
    rateBp: body.rateBp,
    userIds: body.userIds,
    version: (before?.version ?? 0) + 1,
    createdAt: before?.createdAt ?? at,
    updatedAt: at,
    createdBy: before?.createdBy ?? principal.userId,
    updatedBy: principal.userId,
  };
  if (body.acceleratorRateBp !== undefined) after.acceleratorRateBp = body.acceleratorRateBp;
  const changes = diff(before, after, PLAN_FIELDS, []);
  if (before && changes.length === 0) return toPlan(before);
  const audit = auditItem({ customerId: '-', entityType: 'commission-plan', entityId: id, action: before ? 'updated' : 'created', actor: principal, at: now, version: after.version, changes });
  try {
    await repo.savePlan(before, after, { ...audit, ...keys.commissionPlan.audit(id, audit.at as string, audit.id as string) });
  } catch (err) {
    if (!(err instanceof ConditionsFailed)) throw err;
    const assigned = err.labels.find((l) => l.startsWith('assign:'));
    if (assigned) throw Conflict(`User ${assigned.slice(7)} is already on plan ${String(err.items[assigned]?.planId ?? '')}`);
    if (err.labels.includes('plan')) {
      if (expectedVersion !== undefined) throw PreconditionFailed();
      throw Conflict('The plan was changed by someone else meanwhile; read it again');
    }
    throw err;
  }
  return toPlan(after);
}

/** With scope `own` (sales) a user sees only the plans they are on: rates and members are pay data. */
const visiblePlan = (principal: Principal, scope: Scope, plan: { userIds?: string[] }) => scope === 'all' || (plan.userIds ?? []).includes(principal.userId);

export async function getPlan(principal: Principal, scope: Scope, id: string) {
  const plan = await repo.getPlan(id);
  if (!plan || !visiblePlan(principal, scope, plan)) throw NotFound('No such commission plan');
  return toPlan(plan);
}

/**
 * Scope all: one Query per page on `COMMPLANS`. Scope own: the caller is on at most one plan, so
 * it is the assignment item and that plan (two GetItems, never a cursor) — reading the shared list
 * and dropping other plans would put their keys in the cursor and bill the caller for them.
 */
export async function listPlans(principal: Principal, scope: Scope, query: Infer<typeof CommissionPlanListQuery>) {
  if (scope !== 'all') {
    // A one-item answer never hands out a cursor, so any cursor here is not ours.
    if (query.cursor !== undefined) throw invalidCursor();
    const planId = await repo.getAssignment(principal.userId);
    const plan = planId ? await repo.getPlan(planId) : undefined;
    return { items: plan && visiblePlan(principal, scope, plan) ? [toPlan(plan)] : [], nextCursor: null };
  }
  const fingerprint = 'commission-plans';
  const startKey = await decodeCursor(query.cursor, fingerprint);
  const page = await repo.queryPlans(query.limit ?? DEFAULT_LIMIT, startKey);
  return { items: page.items.filter((plan) => visiblePlan(principal, scope, plan)).map(toPlan), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/**
 * The statement of one user for a quarter or month: the plan they are on, the won deals closed in
 * the period (business time zone), the quota, attainment and commission.
 */
export async function statement(principal: Principal, scope: Scope, query: Infer<typeof StatementQuery>) {
  const userId = query.userId ?? principal.userId;
  if (scope !== 'all' && userId !== principal.userId) throw Forbidden('Your role may only read your own commission statement');
  const planId = await repo.getAssignment(userId);
  const plan = planId ? await repo.getPlan(planId) : undefined;
  if (!plan) throw NotFound(`User ${userId} is on no commission plan`);
  const tz = config().businessTimeZone;
  const { from, to } = periodDates(query.period);
  const fromAt = zonedTimeToInstant(from, tz).toISOString();
  const toAt = zonedTimeToInstant(to, tz).toISOString();
  const [deals, quota] = await Promise.all([wonDealsOf(userId, fromAt, toAt), quotaOf(userId, query.period)]);
  const result = computeCommission(plan, deals, quota?.amount);
  return {
    userId,
    period: query.period,
    from: fromAt,
    to: toAt,
    planId: plan.id,
    currency: plan.currency,
    rateBp: plan.rateBp,
    acceleratorRateBp: plan.acceleratorRateBp,
    ...result,
  };
}
