/**
 * Who is calling. API Gateway's JWT authorizer has already verified the token; its claims arrive
 * as strings (arrays flattened to "[a b]"). This module turns them into a Principal — a role is a
 * group whose name is exactly a role name — and answers the two questions every route asks: may
 * this role perform the action, and on which records.
 */
import { Forbidden, NotFound, Unauthorized } from '../http/problem';
import { type Action, PERMISSIONS, type Role, type Scope, primaryRole } from './permissions';

export interface Principal {
  /** The Cognito `sub`; for a machine client, its API key id (`key_…`), so audit entries name the key. */
  userId: string;
  email?: string;
  role: Role;
  groups: string[];
  /** Set when the caller authenticated with an API key (functions/apikeys/). */
  apiKeyId?: string;
  /** An API key's scopes: only these actions of its role (absent: all of them). */
  scopes?: Action[];
  /**
   * Role `customer` only (the self-service portal): the customer and contact the portal user pool's
   * pre-token trigger put into the token (functions/auth/portal-pre-token.ts), never from the request.
   */
  customerId?: string;
  contactId?: string;
}

/**
 * The caller's group names from `cognito:groups`, exactly as Cognito named them. Cognito writes the
 * claim as a JSON array of group names; the HTTP API JWT authorizer hands it to the function as a
 * string in Go's rendering, `[sales admin]` (measured, and mirrored by local/jwt.ts's
 * flattenClaims). Group names cannot contain whitespace (Cognito's GroupName pattern), so the
 * rendering splits back on whitespace without loss — and nothing else: `sales,admin` is one group
 * of that name, `"admin"` (quotes included) is not `admin`. A real array (a direct invocation) is
 * taken as is. Any other shape is no Cognito claim and yields no groups, hence no role (403).
 */
export function parseGroups(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  if (typeof value !== 'string' || !value.startsWith('[') || !value.endsWith(']')) return [];
  return value.slice(1, -1).split(/\s+/).filter(Boolean);
}

export function principalFromClaims(claims: Record<string, unknown> | undefined): Principal {
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) throw Unauthorized();
  const groups = parseGroups(claims?.['cognito:groups']);
  const role = primaryRole(groups);
  if (!role) throw Forbidden('Your account is in no CRM role group; ask an admin to add you to one');
  const email = typeof claims?.email === 'string' ? claims.email : undefined;
  if (role === 'customer') return { userId: sub, role, groups, ...portalContact(claims) };
  return { userId: sub, email, role, groups };
}

const CUSTOMER_ID = /^cus_[0-9A-HJKMNP-TV-Z]{26}$/;
const CONTACT_ID = /^con_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * The contact a portal token speaks for: the `customerId` and `contactId` claims the portal pool's
 * trigger adds after reading the contact from the table. A token without both (a contact deleted
 * since, or a staff-pool user someone put in a `customer` group) acts for nobody: 403.
 */
function portalContact(claims: Record<string, unknown> | undefined): { customerId: string; contactId: string } {
  const customerId = claims?.customerId;
  const contactId = claims?.contactId;
  if (typeof customerId !== 'string' || !CUSTOMER_ID.test(customerId) || typeof contactId !== 'string' || !CONTACT_ID.test(contactId)) {
    throw Forbidden('Your portal account is not linked to a contact of a customer; ask the service desk to link it');
  }
  return { customerId, contactId };
}

/**
 * The caller from the authorizer block of the event: the JWT authorizer's claims, or — on the
 * machine API — the API key authorizer's context (`{ apiKeyId, role, scopes }`, functions/apikeys/).
 */
export function principalFromAuthorizer(authorizer: { jwt?: { claims?: Record<string, unknown> }; lambda?: Record<string, unknown> } | undefined): Principal {
  const machine = authorizer?.lambda;
  if (machine && typeof machine.apiKeyId === 'string' && machine.apiKeyId) {
    // Keys act with staff roles only: the portal's customer role belongs to signed-in contacts.
    const role = ROLE_NAMES.has(String(machine.role)) && machine.role !== 'customer' ? (machine.role as Role) : undefined;
    if (!role) throw Unauthorized();
    const scopes = typeof machine.scopes === 'string' && machine.scopes.trim() ? (machine.scopes.trim().split(/\s+/) as Action[]) : undefined;
    return { userId: machine.apiKeyId, role, groups: [], apiKeyId: machine.apiKeyId, ...(scopes ? { scopes } : {}) };
  }
  return principalFromClaims(authorizer?.jwt?.claims);
}

const ROLE_NAMES = new Set<string>(Object.keys(PERMISSIONS));

export function scopeFor(principal: Principal, action: Action): Scope | undefined {
  // An API key with scopes holds only those actions of its role.
  if (principal.scopes && !principal.scopes.includes(action)) return undefined;
  return PERMISSIONS[principal.role][action];
}

/** Throws 403 unless the role has the action; returns its scope. */
export function authorize(principal: Principal, action: Action): Scope {
  const scope = scopeFor(principal, action);
  if (!scope && principal.scopes && PERMISSIONS[principal.role][action]) throw Forbidden(`This API key's scopes do not include ${action}`);
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

/**
 * An id no record has. Where row-level visibility takes a second read — the owner lives on a
 * parent: an activity's or asset's customer, a quote's deal, an order's customer — a missing record
 * makes that read too, of this id (`record?.customerId ?? NO_SUCH_ID`), and only then answers 404.
 * So "no such record" and "someone else's record" cost the same requests, and timing cannot tell
 * them apart (docs/conventions.md, "Not found costs").
 */
export const NO_SUCH_ID = 'none_00000000000000000000000000';
