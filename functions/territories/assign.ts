/**
 * Owner assignment by territory, used when a lead or customer is created without an owner by a
 * caller with scope `all` (leads and customers services). Costs 1 GetItem, plus 1 UpdateItem when
 * a team rule matches. Returns undefined when no rule matches: the caller then stays owner.
 */
import * as repo from './repository';
import { matchRule, type Placement, roundRobinPick } from './rules';

export async function assignOwner(placement: Placement, _now: Date): Promise<string | undefined> {
  const { rules } = await repo.getTerritories();
  const rule = matchRule(rules, placement);
  if (!rule) return undefined;
  if (rule.ownerId) return rule.ownerId;
  if (!rule.team?.length) return undefined;
  return roundRobinPick(rule.team, await repo.nextTurn(rule.id));
}
