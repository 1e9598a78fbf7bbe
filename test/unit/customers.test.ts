import { describe, expect, it } from 'vitest';
import { diff } from '../../functions/audit/audit';
import { applyPatch } from '../../functions/customers/model';
import { ownerFor, planList } from '../../functions/customers/service';
import type { Principal } from '../../functions/security/principal';

const rep: Principal = { userId: 'rep1', role: 'sales', groups: ['sales'] };
const boss: Principal = { userId: 'mgr1', role: 'manager', groups: ['manager'] };

describe('list planning (one Query per page, index chosen by filter)', () => {
  it('confines a sales rep to their own owner partition', () => {
    expect(planList(rep, 'own', { tier: 'A' })).toMatchObject({ index: 'gsi2', partition: 'CUSTOMERS#OWNER#rep1', filters: { tier: 'A' } });
    expect(planList(rep, 'own', { ownerId: 'rep2' })).toBe('empty');
  });
  it('uses the tag, tier or stage index for managers', () => {
    expect(planList(boss, 'all', { tag: 'vip', tier: 'B' })).toMatchObject({ index: 'gsi1', partition: 'CUSTOMERS#TAG#vip', filters: { tier: 'B' } });
    expect(planList(boss, 'all', { tier: 'A' })).toMatchObject({ index: 'gsi3', partition: 'CUSTOMERS#TIER#A', filters: {} });
    expect(planList(boss, 'all', { lifecycleStage: 'lead' })).toMatchObject({ index: 'gsi4', filters: {} });
    expect(planList(boss, 'all', {})).toMatchObject({ index: 'gsi1', partition: 'CUSTOMERS' });
  });
  it('turns q into a normalised sort-key prefix', () => {
    expect(planList(boss, 'all', { q: 'Ångs' })).toMatchObject({ sortPrefix: 'angs' });
  });
  it('lists archived customers from their own partition', () => {
    expect(planList(boss, 'all', { archived: 'true', tier: 'C' })).toMatchObject({ partition: 'CUSTOMERS#ARCHIVED', filters: { tier: 'C' } });
  });
});

describe('ownership on create', () => {
  it('defaults to the caller and forbids reps from creating for others', () => {
    expect(ownerFor(rep, 'own', undefined)).toBe('rep1');
    expect(() => ownerFor(rep, 'own', 'rep2')).toThrowError(expect.objectContaining({ status: 403 }));
    expect(ownerFor(boss, 'all', 'rep2')).toBe('rep2');
  });
});

describe('patch and audit diff', () => {
  it('removes fields set to null and keeps absent ones', () => {
    expect(applyPatch({ a: 1, b: 2, c: 3 }, { a: null, b: 5 })).toEqual({ b: 5, c: 3 });
  });
  it('records changed fields and redacts sensitive values', () => {
    const changes = diff({ name: 'A', email: 'a@x.io', tags: ['x'] }, { name: 'B', email: 'b@x.io', tags: ['x'] }, ['name', 'email', 'tags'], ['email']);
    expect(changes).toEqual([{ field: 'name', from: 'A', to: 'B' }, { field: 'email', redacted: true }]);
    expect(JSON.stringify(changes)).not.toContain('b@x.io');
  });
});
