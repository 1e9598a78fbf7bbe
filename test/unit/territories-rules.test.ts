import { describe, expect, it } from 'vitest';
import { matchRule, roundRobinPick, type TerritoryRule } from '../../functions/territories/rules';

const rules: TerritoryRule[] = [
  { id: 'a', match: { country: ['DE'], industry: ['Retail'] }, ownerId: 'u1' },
  { id: 'b', match: { country: ['DE'], region: ['Bayern', 'Baden-Württemberg'] }, team: ['u2', 'u3'] },
  { id: 'c', match: { industry: ['Energy'] }, ownerId: 'u4' },
];

describe('matchRule', () => {
  it('needs every given criterion, tries rules in order and the first match wins', () => {
    expect(matchRule(rules, { country: 'DE', region: 'Bayern', industry: 'Retail' })?.id).toBe('a');
    expect(matchRule(rules, { country: 'DE', region: 'Bayern' })?.id).toBe('b');
    expect(matchRule(rules, { country: 'FR', industry: 'Energy' })?.id).toBe('c');
    expect(matchRule(rules, { country: 'DE' })).toBeUndefined();
    expect(matchRule(rules, {})).toBeUndefined();
    expect(matchRule([], { country: 'DE' })).toBeUndefined();
  });

  it('compares case- and accent-insensitively', () => {
    expect(matchRule(rules, { country: 'DE', region: 'baden-wurttemberg' })?.id).toBe('b');
    expect(matchRule(rules, { country: 'DE', industry: 'RETAIL' })?.id).toBe('a');
  });
});

describe('roundRobinPick', () => {
  it('cycles through the team from the first member', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => roundRobinPick(['x', 'y', 'z'], n))).toEqual(['x', 'y', 'z', 'x', 'y', 'z', 'x']);
  });
});
