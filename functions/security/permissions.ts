/**
 * The permission matrix: role → action → scope. The shared middleware enforces it for every
 * route (each route names one action), services consult it for row-level scope, and the README
 * renders it. Nothing else in the code base decides who may do what.
 */
export const ROLES = ['admin', 'manager', 'sales', 'marketing', 'service', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = {
  'me:read': 'See who you are and what you may do',
  'customers:read': 'Read customers',
  'customers:create': 'Create customers',
  'customers:update': 'Change customers (reassigning an owner needs scope all)',
  'customers:archive': 'Archive and restore customers',
  'customers:history': 'Read a customer\'s change history',
  'contacts:read': 'Read contacts',
  'contacts:write': 'Create, change and delete contacts',
  'pii:read': 'See personal data (phone, email, address, tax/identity numbers) in clear',
  'activities:read': 'Read communication records and customer timelines',
  'activities:write': 'Record, change and delete communication records',
  'assets:read': 'Read customer assets (products owned, warranties)',
  'assets:write': 'Create, change and delete customer assets',
  'tasks:read': 'Read tasks (own: assigned to or created by you)',
  'tasks:write': 'Create, complete, reopen and change tasks',
  'tasks:assign': 'Assign tasks to other users',
  'notifications:read': 'Read and mark your own in-app notifications',
  'settings:read': 'Read configuration such as service rules',
  'settings:write': 'Change configuration such as service rules',
} as const;
export type Action = keyof typeof ACTIONS;

/**
 * `all`: every record. `own`: records the caller owns — for contacts, activities, assets and
 * history: of customers the caller owns; for tasks: assigned to or created by the caller; for
 * notifications: addressed to the caller (nobody reads another user's notifications). An action
 * missing from a role's row is denied.
 */
export type Scope = 'all' | 'own';

export const PERMISSIONS: Record<Role, Partial<Record<Action, Scope>>> = {
  admin: {
    'me:read': 'all', 'customers:read': 'all', 'customers:create': 'all', 'customers:update': 'all',
    'customers:archive': 'all', 'customers:history': 'all', 'contacts:read': 'all', 'contacts:write': 'all', 'pii:read': 'all',
    'activities:read': 'all', 'activities:write': 'all', 'assets:read': 'all', 'assets:write': 'all',
    'tasks:read': 'all', 'tasks:write': 'all', 'tasks:assign': 'all', 'notifications:read': 'own',
    'settings:read': 'all', 'settings:write': 'all',
  },
  manager: {
    'me:read': 'all', 'customers:read': 'all', 'customers:create': 'all', 'customers:update': 'all',
    'customers:archive': 'all', 'customers:history': 'all', 'contacts:read': 'all', 'contacts:write': 'all', 'pii:read': 'all',
    'activities:read': 'all', 'activities:write': 'all', 'assets:read': 'all', 'assets:write': 'all',
    'tasks:read': 'all', 'tasks:write': 'all', 'tasks:assign': 'all', 'notifications:read': 'own',
    'settings:read': 'all',
  },
  sales: {
    'me:read': 'all', 'customers:read': 'own', 'customers:create': 'own', 'customers:update': 'own',
    'customers:archive': 'own', 'customers:history': 'own', 'contacts:read': 'own', 'contacts:write': 'own', 'pii:read': 'own',
    'activities:read': 'own', 'activities:write': 'own', 'assets:read': 'own', 'assets:write': 'own',
    'tasks:read': 'own', 'tasks:write': 'own', 'notifications:read': 'own',
  },
  marketing: {
    'me:read': 'all', 'customers:read': 'all', 'contacts:read': 'all',
    'tasks:read': 'own', 'tasks:write': 'own', 'notifications:read': 'own',
  },
  service: {
    'me:read': 'all', 'customers:read': 'all', 'contacts:read': 'all', 'contacts:write': 'all', 'pii:read': 'all',
    'activities:read': 'all', 'activities:write': 'all', 'assets:read': 'all', 'assets:write': 'all',
    'tasks:read': 'own', 'tasks:write': 'own', 'notifications:read': 'own', 'settings:read': 'all',
  },
  analyst: {
    'me:read': 'all', 'customers:read': 'all', 'contacts:read': 'all',
    'activities:read': 'all', 'assets:read': 'all', 'tasks:read': 'own', 'tasks:write': 'own', 'notifications:read': 'own',
  },
};

export function scopeOf(role: Role, action: Action): Scope | undefined {
  return PERMISSIONS[role][action];
}

/** Most privileged role first: a user in several Cognito groups acts with the first match. */
export function primaryRole(groups: readonly string[]): Role | undefined {
  return ROLES.find((role) => groups.includes(role));
}
