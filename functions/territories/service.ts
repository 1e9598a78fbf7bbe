/** Territory rules: read, and replace with optimistic concurrency (If-Match); every change is audited. */
import { auditItem, diff } from '../audit/audit';
import { keys } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { Conflict, PreconditionFailed } from '../http/problem';
import type { Principal } from '../security/principal';
import * as repo from './repository';
import type { StoredTerritories, TerritoryRule } from './rules';
import type { Infer } from '../../schemas/once';
import type { TerritoriesInput } from '../../schemas/territories';

const MAX_ATTEMPTS = 3;

const view = (t: StoredTerritories) => ({ rules: t.rules, version: t.version, updatedAt: t.updatedAt, updatedBy: t.updatedBy });

export async function getTerritories() {
  return view(await repo.getTerritories());
}

/** Audit entry (and outbox event `settings.updated`) beside the rules item; its event names no customer. */
function territoriesAudit(principal: Principal, before: StoredTerritories, after: StoredTerritories, now: Date) {
  const changes = diff(before, after, ['rules'], []);
  const base = auditItem({ customerId: '-', entityType: 'settings', entityId: 'territories', action: 'updated', actor: principal, at: now, version: after.version, changes });
  return { ...base, ...keys.territories.audit(base.at as string, base.id as string) };
}

/** PUT: replaces the rules. With If-Match a stale version is 412; without, the last writer wins. */
export async function putTerritories(principal: Principal, body: Infer<typeof TerritoriesInput>, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getTerritories();
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const next: StoredTerritories = { rules: body.rules, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    try {
      await repo.saveTerritories(current.version, next, territoriesAudit(principal, current, next, now));
      return view(next);
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.includes('territories')) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The territory rules are being changed by someone else right now; retry');
    }
  }
}
