import { describe, expect, it } from 'vitest';
import { customerNameOf, guardedEmail, guardedPhone, type LeadItem } from '../../functions/leads/model';
import { planList } from '../../functions/leads/service';
import type { Principal } from '../../functions/security/principal';

const rep: Principal = { userId: 'rep', role: 'sales', groups: ['sales'] };
const boss: Principal = { userId: 'boss', role: 'manager', groups: ['manager'] };
const lead = (over: Partial<LeadItem>): LeadItem => ({ id: 'led_1', lastName: 'L', status: 'new', ownerId: 'rep', version: 1, createdAt: '', updatedAt: '', createdBy: '', updatedBy: '', ...over });

describe('lead list plan', () => {
  it('pins a sales rep to their own owner partition and answers empty for someone else\'s', () => {
    expect(planList(rep, 'own', { status: 'new' })).toEqual({ index: 'gsi2', partition: 'LEADS#OWNER#rep', sortPrefix: undefined, filters: { status: 'new' } });
    expect(planList(rep, 'own', { ownerId: 'other' })).toBe('empty');
  });

  it('chooses owner, then status, then source, then all leads; q narrows the sort key', () => {
    expect(planList(boss, 'all', { ownerId: 'x', source: 'web' })).toMatchObject({ index: 'gsi2', filters: { source: 'web' } });
    expect(planList(boss, 'all', { status: 'working', source: 'web' })).toMatchObject({ index: 'gsi3', partition: 'LEADS#STATUS#working', filters: { source: 'web' } });
    expect(planList(boss, 'all', { source: 'web' })).toMatchObject({ index: 'gsi4', partition: 'LEADS#SOURCE#web', filters: {} });
    expect(planList(boss, 'all', { q: 'Müller' })).toMatchObject({ index: 'gsi1', partition: 'LEADS', sortPrefix: 'muller' });
  });
});

describe('lead model', () => {
  it('holds guards only while open, on normalised values', () => {
    expect(guardedEmail(lead({ email: ' A@B.example ' }))).toBe('a@b.example');
    expect(guardedPhone(lead({ phone: '0049 (30) 12-34', status: 'working' }))).toBe('+49301234');
    expect(guardedEmail(lead({ email: 'a@b.example', status: 'disqualified' }))).toBeUndefined();
    expect(guardedEmail(lead({ email: 'a@b.example', status: 'converted' }))).toBeUndefined();
  });

  it('names the customer after the company, or the person for a private buyer', () => {
    expect(customerNameOf({ companyName: 'Acme', lastName: 'Doe' })).toEqual({ type: 'company', name: 'Acme' });
    expect(customerNameOf({ firstName: 'Jane', lastName: 'Doe' })).toEqual({ type: 'person', name: 'Jane Doe' });
  });
});
