import { describe, expect, it } from 'vitest';
import { keys, newId, normalizeEmail, normalizePhone, searchKey } from '../../functions/data/keys';

describe('searchKey', () => {
  it('folds case and accents so "é" finds "É" and "Ångström" finds "angstrom"', () => {
    expect(searchKey('Ångström Café')).toBe('angstrom cafe');
    expect(searchKey('ÉCOLE')).toBe(searchKey('ecole'));
    expect(searchKey('Straße')).toBe('strasse');
    expect(searchKey('Łódź Øresund')).toBe('lodz oresund');
  });
  it('keeps Chinese characters so a prefix of a Chinese name matches', () => {
    expect(searchKey('王小明')).toBe('王小明');
    expect(searchKey('王小明').startsWith(searchKey('王'))).toBe(true);
  });
  it('collapses punctuation and spaces', () => {
    expect(searchKey('  ACME,  Inc. ')).toBe('acme inc');
  });
});

describe('normalisation for duplicate detection', () => {
  it('treats emails case-insensitively', () => {
    expect(normalizeEmail(' Ann@Example.COM ')).toBe('ann@example.com');
  });
  it('compares phones on digits with 00 as +', () => {
    expect(normalizePhone('+49 (30) 123-45')).toBe('+493012345');
    expect(normalizePhone('0049 30 12345')).toBe('+493012345');
    expect(normalizePhone('030 12345')).toBe('03012345');
  });
});

describe('keys', () => {
  it('makes prefixed ULIDs that sort by creation', () => {
    const a = newId('cus');
    const b = newId('cus');
    expect(a).toMatch(/^cus_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
  });
  it('moves an archived customer out of the live owner, tier and stage indexes into the archived ones', () => {
    const live = keys.customer.indexes({ id: 'cus_1', name: 'Acme', ownerId: 'u1', tier: 'A', lifecycleStage: 'customer' });
    expect(live).toMatchObject({ gsi1pk: 'CUSTOMERS', gsi2pk: 'CUSTOMERS#OWNER#u1', gsi3pk: 'CUSTOMERS#TIER#A', gsi4pk: 'CUSTOMERS#STAGE#customer' });
    const archived = keys.customer.indexes({ id: 'cus_1', name: 'Acme', ownerId: 'u1', tier: 'A', archivedAt: '2026-01-01T00:00:00.000Z' });
    expect(archived).toEqual({ gsi1pk: 'CUSTOMERS#ARCHIVED', gsi1sk: 'acme#cus_1', gsi2pk: 'CUSTOMERS#ARCHIVED#OWNER#u1', gsi2sk: 'acme#cus_1' });
  });
  it('sorts audit entries by ISO time', () => {
    const a = keys.audit.item('cus_1', '2026-01-02T00:00:00.000Z', 'aud_1').sk;
    const b = keys.audit.item('cus_1', '2026-01-10T00:00:00.000Z', 'aud_2').sk;
    expect(a < b).toBe(true);
  });
});
