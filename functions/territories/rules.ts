/**
 * Territory rules: pure matching and round-robin slot choice, unit-tested without AWS.
 * Rules are tried in order; the first whose every given criterion matches wins. Comparison is
 * case-insensitive and accent-insensitive (searchKey), so "Bayern" matches "bayern".
 */
import { searchKey } from '../data/keys';

export interface TerritoryRule {
  id: string;
  name?: string;
  match: { country?: string[]; region?: string[]; industry?: string[] };
  ownerId?: string;
  team?: string[];
}

export interface StoredTerritories {
  rules: TerritoryRule[];
  version: number;
  updatedAt?: string;
  updatedBy?: string;
}

export interface Placement {
  country?: string;
  region?: string;
  industry?: string;
}

export const EMPTY_TERRITORIES: StoredTerritories = { rules: [], version: 0 };

const matches = (allowed: string[] | undefined, value: string | undefined) =>
  allowed === undefined || (value !== undefined && allowed.some((a) => searchKey(a) === searchKey(value)));

/** The first rule that matches, or undefined (the caller then stays owner). */
export function matchRule(rules: readonly TerritoryRule[], placement: Placement): TerritoryRule | undefined {
  return rules.find((rule) => matches(rule.match.country, placement.country) && matches(rule.match.region, placement.region) && matches(rule.match.industry, placement.industry));
}

/** The team member for the n-th assignment (n from the atomic counter, starting at 1). */
export function roundRobinPick(team: readonly string[], n: number): string {
  return team[(((n - 1) % team.length) + team.length) % team.length]!;
}
