/**
 * Demo users of the local runtime: what `npm run token -- <role>` signs tokens for and whom the
 * seed data assigns as customer owners. Ids are stable UUIDs (Cognito `sub`s are UUIDs), so
 * tokens, seed data and curl examples stay valid across restarts. Their emails count as verified,
 * as for users an admin creates in the deployed pool (docs/auth.md), so their tokens carry the
 * `email` claim the pre-token-generation trigger adds.
 */
import { ROLES, type Role } from '../functions/security/permissions';

export interface DemoUser {
  /** Cognito `sub`. */
  id: string;
  username: string;
  email: string;
  role: Role;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { id: '0a9f1d2e-0000-4000-8000-000000000001', username: 'ada.admin', email: 'ada.admin@example.com', role: 'admin' },
  { id: '0a9f1d2e-0000-4000-8000-000000000002', username: 'max.manager', email: 'max.manager@example.com', role: 'manager' },
  { id: '0a9f1d2e-0000-4000-8000-000000000003', username: 'sam.sales', email: 'sam.sales@example.com', role: 'sales' },
  { id: '0a9f1d2e-0000-4000-8000-000000000004', username: 'sofia.sales', email: 'sofia.sales@example.com', role: 'sales' },
  { id: '0a9f1d2e-0000-4000-8000-000000000005', username: 'li.sales', email: 'li.sales@example.com', role: 'sales' },
  { id: '0a9f1d2e-0000-4000-8000-000000000006', username: 'mia.marketing', email: 'mia.marketing@example.com', role: 'marketing' },
  { id: '0a9f1d2e-0000-4000-8000-000000000007', username: 'sean.service', email: 'sean.service@example.com', role: 'service' },
  { id: '0a9f1d2e-0000-4000-8000-000000000008', username: 'ana.analyst', email: 'ana.analyst@example.com', role: 'analyst' },
];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function demoUsersOf(role: Role): DemoUser[] {
  return DEMO_USERS.filter((user) => user.role === role);
}

export const SALES_REPS: readonly DemoUser[] = demoUsersOf('sales');

/**
 * The user a token is signed for: the role's first demo user, the demo user with that id or
 * username, or (for tests and experiments) any other id, with a synthetic example.com email.
 */
export function resolveUser(role: Role, userId?: string): DemoUser {
  if (!userId) {
    const first = demoUsersOf(role)[0];
    if (!first) throw new Error(`No demo user has the role ${role}`);
    return first;
  }
  const known = DEMO_USERS.find((user) => user.id === userId || user.username === userId);
  if (known) return { ...known, role };
  const local = userId.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 40) || 'user';
  return { id: userId, username: userId, email: `${local}@example.com`, role };
}
