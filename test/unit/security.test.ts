import { describe, expect, it } from 'vitest';
import { HttpError } from '../../functions/http/problem';
import { maskFor } from '../../functions/security/masking';
import { ACTIONS, PERMISSIONS, ROLES, primaryRole } from '../../functions/security/permissions';
import { authorize, canAccess, parseGroups, principalFromClaims, type Principal } from '../../functions/security/principal';

const as = (role: Principal['role'], userId = `u-${role}`): Principal => ({ userId, role, groups: [role] });

describe('claims from the JWT authorizer', () => {
  it('parses cognito:groups in the shapes API Gateway and Cognito produce', () => {
    expect(parseGroups('[admin manager]')).toEqual(['admin', 'manager']);
    // Exact names only; the lookalike shapes are in test/unit/authorizer-parity.test.ts.
    expect(parseGroups(['service'])).toEqual(['service']);
    expect(parseGroups(undefined)).toEqual([]);
  });
  it('acts with the most privileged role when a user is in several groups', () => {
    expect(primaryRole(['analyst', 'manager'])).toBe('manager');
    expect(principalFromClaims({ sub: 'u1', 'cognito:groups': '[sales admin]' }).role).toBe('admin');
  });
  it('rejects a token without subject (401) or without a CRM role (403)', () => {
    expect(() => principalFromClaims({})).toThrowError(expect.objectContaining({ status: 401 }));
    expect(() => principalFromClaims({ sub: 'u1', 'cognito:groups': '[guests]' })).toThrowError(expect.objectContaining({ status: 403 }));
  });
});

describe('permission matrix', () => {
  it('names only known roles and actions', () => {
    expect(Object.keys(PERMISSIONS).sort()).toEqual([...ROLES].sort());
    for (const role of ROLES) for (const action of Object.keys(PERMISSIONS[role])) expect(ACTIONS).toHaveProperty(action);
  });
  it('lets sales act on their own customers only, managers on all', () => {
    expect(authorize(as('sales'), 'customers:update')).toBe('own');
    expect(canAccess(as('sales', 'rep1'), 'customers:read', 'rep1')).toBe(true);
    expect(canAccess(as('sales', 'rep1'), 'customers:read', 'rep2')).toBe(false);
    expect(canAccess(as('manager'), 'customers:read', 'rep2')).toBe(true);
  });
  it('denies writes to read-only roles', () => {
    for (const role of ['marketing', 'analyst'] as const) {
      expect(() => authorize(as(role), 'customers:create')).toThrow(HttpError);
      expect(() => authorize(as(role), 'contacts:write')).toThrow(HttpError);
    }
  });
});

describe('field masking', () => {
  const customer = { id: 'cus_1', name: 'Ann Example', email: 'ann@example.com', phone: '+49 30 1234567', taxId: 'DE123', address: { line1: 'Main St 1', city: 'Berlin', postalCode: '10115', country: 'DE' } };
  it('masks personal fields for marketing and analysts and says which', () => {
    for (const role of ['marketing', 'analyst'] as const) {
      const seen = maskFor('customer', customer, as(role), 'rep1');
      expect(seen).toMatchObject({ email: 'a***@example.com', phone: '***67', taxId: '***', address: { city: 'Berlin', country: 'DE' } });
      expect((seen.address as Record<string, unknown>).line1).toBeUndefined();
      expect(seen.masked).toEqual(['phone', 'email', 'address', 'taxId']);
      expect(seen.name).toBe('Ann Example');
    }
  });
  it('shows personal fields to roles with the personal-data permission', () => {
    expect(maskFor('customer', customer, as('manager'), 'rep1')).toEqual(customer);
    expect(maskFor('customer', customer, as('sales', 'rep1'), 'rep1')).toEqual(customer);
    expect(maskFor('customer', customer, as('service'), 'rep1')).toEqual(customer);
  });
  it('lists no masked fields when there is nothing to mask', () => {
    expect(maskFor('customer', { id: 'cus_1', name: 'X' }, as('analyst'), 'rep1')).toEqual({ id: 'cus_1', name: 'X' });
  });
});

describe('the portal\'s customer role', () => {
  const cus = 'cus_01JABCDEFGHJKMNPQRSTVWXYZ0';
  const con = 'con_01JABCDEFGHJKMNPQRSTVWXYZ0';
  it('holds the portal actions and nothing else, and no staff role holds any of them', async () => {
    const { STAFF_ROLES } = await import('../../functions/security/permissions');
    expect(Object.keys(PERMISSIONS.customer).sort()).toEqual(['portal:read', 'portal:write']);
    for (const role of STAFF_ROLES) expect(Object.keys(PERMISSIONS[role]).filter((a) => a.startsWith('portal:')), role).toEqual([]);
  });
  it('takes customer and contact from the token only, and refuses a token without them', () => {
    const principal = principalFromClaims({ sub: 'p1', 'cognito:groups': '[customer]', customerId: cus, contactId: con });
    expect(principal).toMatchObject({ role: 'customer', customerId: cus, contactId: con });
    expect(() => principalFromClaims({ sub: 'p1', 'cognito:groups': '[customer]' })).toThrowError(expect.objectContaining({ status: 403 }));
    expect(() => principalFromClaims({ sub: 'p1', 'cognito:groups': '[customer]', customerId: 'cus_x', contactId: con })).toThrowError(expect.objectContaining({ status: 403 }));
  });
  it('lets a customer reach their own customer\'s records only (404 otherwise), and shows allow-listed fields', async () => {
    const { assertOwnCustomerRecord, isOwnCustomerRecord, portalView } = await import('../../functions/security/customer-access');
    const me: Principal = { userId: 'p1', role: 'customer', groups: ['customer'], customerId: cus, contactId: con };
    expect(isOwnCustomerRecord(me, 'portal:read', { customerId: cus })).toBe(true);
    expect(isOwnCustomerRecord(me, 'portal:read', { customerId: 'cus_other' })).toBe(false);
    // Staff never pass the portal rule, whatever their scope elsewhere.
    expect(isOwnCustomerRecord(as('admin'), 'portal:read', { customerId: cus })).toBe(false);
    expect(() => assertOwnCustomerRecord(me, 'portal:write', { customerId: 'cus_other' }, 'ticket')).toThrowError(expect.objectContaining({ status: 404 }));
    const view = portalView('ticket', { id: 't', subject: 's', status: 'open', assigneeId: 'u', queueId: 'q', sla: {}, createdBy: 'u', someFutureField: 1 });
    expect(view).toEqual({ id: 't', subject: 's', status: 'open' });
  });
});
