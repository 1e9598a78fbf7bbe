/**
 * Who is calling. API Gateway's JWT authorizer has already verified the token; its claims arrive
 * as strings (arrays flattened to "[a b]"). This module turns them into a Principal and answers
 * the two questions every route asks: may this role perform the action, and on which records.
 */
import { Forbidden, NotFound, Unauthorized } from '../http/problem';
import { type Action, PERMISSIONS, type Role, type Scope, primaryRole } from './permissions';

export interface Principal {
  userId: string;
  email?: string;
  role: Role;
  groups: string[];
}

/** Parses `cognito:groups` in every shape it arrives in: "[a b]", '["a","b"]', "a,b", or an array. */
export function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  const s = value.trim();
  if (s.startsWith('[') && s.endsWith(']')) {
    const inner = s.slice(1, -1).trim();
    if (inner.startsWith('"')) {
      try {
        const arr = JSON.parse(s);
        if (Array.isArray(arr)) return arr.map(String);
      } catch {
        /* fall through to the space-separated form */
      }
    }
    return inner.split(/[\s,]+/).filter(Boolean);
  }
  return s.split(/[\s,]+/).filter(Boolean);
}

export function principalFromClaims(claims: Record<string, unknown> | undefined): Principal {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw Unauthorized();
  const groups = parseGroups(claims?.['cognito:groups']);
  const role = primaryRole(groups);
  if (!role) throw Forbidden('Your account is in no CRM role group; ask an admin to add you to one');
  const email = typeof claims?.email === 'string' ? claims.email : undefined;
  return { userId: sub, email, role, groups };
}

export function scopeFor(principal: Principal, action: Action): Scope | undefined {
  return PERMISSIONS[principal.role][action];
}

/** Throws 403 unless the role has the action; returns its scope. */
export function authorize(principal: Principal, action: Action): Scope {
  const scope = scopeFor(principal, action);
  if (!scope) throw Forbidden(`Your role (${principal.role}) may not ${action.replace(':', ' ')}`);
  return scope;
}

/** Row-level visibility of one record for an action the role already holds. */
export function canAccess(principal: Principal, action: Action, ownerId: string | undefined): boolean {
  const scope = scopeFor(principal, action);
  if (scope === 'all') return true;
  if (scope === 'own') return ownerId !== undefined && ownerId === principal.userId;
  return false;
}

/**
 * A record the caller may not see answers exactly like one that does not exist (404), so ids
 * cannot be probed. Use after loading the record.
 */
export function assertAccess(principal: Principal, action: Action, ownerId: string | undefined, what = 'record'): void {
  if (!canAccess(principal, action, ownerId)) throw NotFound(`No such ${what}`);
}
