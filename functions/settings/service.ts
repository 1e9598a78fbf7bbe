/** Service rules: read, and replace with optimistic concurrency; every change is audited. */
import { auditItem, diff } from '../audit/audit';
import { config } from '../config';
import { keys } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { Conflict, PreconditionFailed } from '../http/problem';
import type { Principal } from '../security/principal';
import * as repo from './repository';
import { normalizeRules, RULE_FIELDS, type StoredServiceRules } from './rules';
import type { Infer } from '../../schemas/once';
import type { ServiceRulesInput } from '../../schemas/settings';

const MAX_ATTEMPTS = 3;

const view = (rules: StoredServiceRules) => ({
  categories: rules.categories,
  tierIntervalMonths: rules.tierIntervalMonths ?? {},
  leadDays: rules.leadDays,
  assignTo: rules.assignTo,
  queueUserId: rules.queueUserId,
  warrantyReminderDays: rules.warrantyReminderDays,
  dormancyDays: rules.dormancyDays ?? {},
  timeZone: config().businessTimeZone,
  version: rules.version,
  updatedAt: rules.updatedAt,
  updatedBy: rules.updatedBy,
});

export async function getServiceRules() {
  return view(await repo.getServiceRules());
}

/**
 * The audit entry (and outbox event `settings.updated`) of a rules change. It lives next to the
 * settings item, not in a customer's partition, and its event names no customer.
 */
function settingsAudit(principal: Principal, before: StoredServiceRules, after: StoredServiceRules, now: Date) {
  const changes = diff(before, after, RULE_FIELDS, []);
  const base = auditItem({ customerId: '-', entityType: 'settings', entityId: 'service-rules', action: 'updated', actor: principal, at: now, version: after.version, changes });
  return { ...base, ...keys.settings.serviceRulesAudit(base.at as string, base.id as string) };
}

/** PUT: replaces the rules. With If-Match a stale version is 412; without, the last writer wins. */
export async function putServiceRules(principal: Principal, body: Infer<typeof ServiceRulesInput>, expectedVersion: number | undefined, now: Date) {
  const rules = normalizeRules(body);
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getServiceRules();
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const next: StoredServiceRules = { ...rules, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    try {
      await repo.saveServiceRules(current.version, next, settingsAudit(principal, current, next, now));
      return view(next);
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.includes('rules')) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt >= MAX_ATTEMPTS) throw Conflict('The service rules are being changed by someone else right now; retry');
    }
  }
}
