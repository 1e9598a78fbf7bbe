/**
 * The permission matrix: role → action → scope. The shared middleware enforces it for every
 * route (each route names one action), services consult it for row-level scope, and the README
 * renders it. Nothing else in the code base decides who may do what.
 */
/** The CRM's own users: groups of the staff user pool, roles an API key may act with. */
export const STAFF_ROLES = ['admin', 'manager', 'sales', 'marketing', 'service', 'analyst'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
/**
 * Every role. `customer` is a customer's contact signed in to the self-service portal through the
 * portal's own user pool (docs/service.md, "Self-service portal"): it holds the `portal:*` actions
 * and nothing else, and no staff role holds a `portal:*` action.
 */
export const ROLES = [...STAFF_ROLES, 'customer'] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = {
  'me:read': 'See who you are and what you may do',
  'customers:read': 'Read customers',
  'customers:create': 'Create customers',
  'customers:update': 'Change customers (reassigning an owner needs scope all)',
  'customers:archive': 'Archive and restore customers',
  'customers:history': 'Read a customer\'s change history',
  'customers:merge': 'Merge a duplicate customer into another (its contacts, activities, tasks, deals, orders, assets, contracts and tickets move; the duplicate is archived with `mergedInto`)',
  'custom-fields:read': 'Read custom-field definitions (the fields and rules of records\' `custom` values)',
  'custom-fields:manage': 'Define, change and remove custom fields',
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
  'leads:read': 'Read leads',
  'leads:write': 'Capture, qualify, change and delete leads',
  'leads:convert': 'Convert an open lead (new, working or qualified) into customer, contact and deal',
  'pipelines:read': 'Read sales pipelines and their stages',
  'pipelines:write': 'Define pipelines and stages',
  'deals:read': 'Read deals (own: deals you own)',
  'deals:write': 'Create, move, win, lose and change deals; delete open deals',
  'deals:delete-closed': 'Delete won or lost deals (takes them out of forecast, reports and commission statements; audited)',
  'products:read': 'Read products and prices',
  'products:write': 'Maintain products and prices',
  'quotes:read': 'Read quotes (own: of deals you own)',
  'quotes:write': 'Create, revise, send, accept and reject quotes',
  'orders:read': 'Read orders (own: of customers you own)',
  'forecast:read': 'Read the sales forecast (own: your own figures)',
  'quotas:read': 'Read quotas (own: your own)',
  'quotas:write': 'Set quotas',
  'commissions:read': 'Read commission plans and statements (own: the plan you are on and your own statements)',
  'commissions:write': 'Define commission plans',
  'territories:read': 'Read territories and assignment rules',
  'territories:write': 'Define territories and assignment rules',
  'reports:read': 'Read sales reports (own: your own figures)',
  'contracts:read': 'Read service contracts and entitlements (own: of customers you own)',
  'contracts:write': 'Create and change service contracts, move their status (activate, cancel, renew)',
  'kb:read': 'Read knowledge-base articles (all: drafts and published, with versions; own: published articles only)',
  'kb:write': 'Write, change and publish knowledge-base articles',
  'exports:create': 'Start on-demand exports of records as CSV or Parquet files (personal data masked unless you may see it in clear)',
  'exports:read': 'Read exports and download their files (own: exports you started)',
  'imports:manage': 'Import customers, contacts, leads, products or static-list members from CSV files (migration); each entity also needs your own create (and, to update, update) permission for it, so marketing imports leads and list members only; rows are written as you (own: imports you started)',
  'webhooks:manage': 'Create, change and delete outbound webhooks; read their delivery log and redeliver',
  'apikeys:manage': 'Create, list and revoke API keys for machine clients',
  'tickets:read': 'Read service tickets and their conversation (own: tickets of customers you own)',
  'tickets:write': 'Open, change, assign, reply to and resolve service tickets',
  'service-reports:read': 'Read the service report: backlog, response and resolution times, SLA compliance, breaches, satisfaction by agent, queue and category',
  'queues:read': 'Read service queues (teams, members, manager)',
  'queues:write': 'Define service queues',
  'marketing:read': 'Read segments, static lists, email templates, campaigns, their stats and the suppression list (addresses masked without pii:read)',
  'marketing:write': 'Create and change segments, static lists, email templates and campaigns; schedule and cancel campaigns; suppress addresses',
  'campaign-stats:read': 'Read a campaign\'s stats (counters only: no addresses, no content)',
  'consent:read': 'Read a contact\'s marketing consent per channel and its history (own: contacts of customers you own)',
  'consent:write': 'Record a contact\'s marketing consent per channel (opted in, opted out)',
  'portal:read': 'Self-service portal: read your own customer\'s tickets with their public replies (never internal notes) and published knowledge-base articles (own: your customer\'s records only)',
  'portal:write': 'Self-service portal: open tickets for your own customer, reply to and rate them (own: your customer\'s tickets only)',
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
    'custom-fields:read': 'all', 'custom-fields:manage': 'all', 'customers:merge': 'all',
    'contracts:read': 'all', 'contracts:write': 'all', 'kb:read': 'all', 'kb:write': 'all',
    'marketing:read': 'all', 'marketing:write': 'all', 'consent:read': 'all', 'consent:write': 'all', 'campaign-stats:read': 'all',
    'tickets:read': 'all', 'tickets:write': 'all', 'queues:read': 'all', 'queues:write': 'all', 'service-reports:read': 'all',
    'me:read': 'all', 'customers:read': 'all', 'customers:create': 'all', 'customers:update': 'all', 'exports:create': 'all', 'exports:read': 'all',
    'customers:archive': 'all', 'customers:history': 'all', 'contacts:read': 'all', 'contacts:write': 'all', 'pii:read': 'all',
    'activities:read': 'all', 'activities:write': 'all', 'assets:read': 'all', 'assets:write': 'all',
    'tasks:read': 'all', 'tasks:write': 'all', 'tasks:assign': 'all', 'notifications:read': 'own',
    'settings:read': 'all', 'settings:write': 'all',
    'leads:read': 'all', 'leads:write': 'all', 'leads:convert': 'all', 'pipelines:read': 'all', 'pipelines:write': 'all', 'deals:read': 'all', 'deals:write': 'all', 'deals:delete-closed': 'all', 'products:read': 'all', 'products:write': 'all', 'quotes:read': 'all', 'quotes:write': 'all', 'orders:read': 'all', 'forecast:read': 'all', 'quotas:read': 'all', 'quotas:write': 'all', 'commissions:read': 'all', 'commissions:write': 'all', 'territories:read': 'all', 'territories:write': 'all', 'reports:read': 'all',
    'webhooks:manage': 'all', 'apikeys:manage': 'all', 'imports:manage': 'all',
  },
  manager: {
    'custom-fields:read': 'all', 'customers:merge': 'all',
    'contracts:read': 'all', 'contracts:write': 'all', 'kb:read': 'all', 'kb:write': 'all',
    'marketing:read': 'all', 'consent:read': 'all', 'consent:write': 'all', 'campaign-stats:read': 'all',
    'tickets:read': 'all', 'tickets:write': 'all', 'queues:read': 'all', 'service-reports:read': 'all',
    'me:read': 'all', 'customers:read': 'all', 'customers:create': 'all', 'customers:update': 'all', 'exports:read': 'own',
    'customers:archive': 'all', 'customers:history': 'all', 'contacts:read': 'all', 'contacts:write': 'all', 'pii:read': 'all',
    'activities:read': 'all', 'activities:write': 'all', 'assets:read': 'all', 'assets:write': 'all',
    'tasks:read': 'all', 'tasks:write': 'all', 'tasks:assign': 'all', 'notifications:read': 'own',
    'settings:read': 'all',
    'imports:manage': 'own',
    'leads:read': 'all', 'leads:write': 'all', 'leads:convert': 'all', 'pipelines:read': 'all', 'deals:read': 'all', 'deals:write': 'all', 'products:read': 'all', 'products:write': 'all', 'quotes:read': 'all', 'quotes:write': 'all', 'orders:read': 'all', 'forecast:read': 'all', 'quotas:read': 'all', 'quotas:write': 'all', 'commissions:read': 'all', 'territories:read': 'all', 'reports:read': 'all',
  },
  sales: {
    'custom-fields:read': 'all',
    'contracts:read': 'own',
    'consent:read': 'own', 'consent:write': 'own', 'campaign-stats:read': 'all',
    'tickets:read': 'own',
    'me:read': 'all', 'customers:read': 'own', 'customers:create': 'own', 'customers:update': 'own', 'exports:read': 'own',
    'customers:archive': 'own', 'customers:history': 'own', 'contacts:read': 'own', 'contacts:write': 'own', 'pii:read': 'own',
    'activities:read': 'own', 'activities:write': 'own', 'assets:read': 'own', 'assets:write': 'own',
    'tasks:read': 'own', 'tasks:write': 'own', 'notifications:read': 'own',
    'leads:read': 'own', 'leads:write': 'own', 'leads:convert': 'own', 'pipelines:read': 'all', 'deals:read': 'own', 'deals:write': 'own', 'products:read': 'all', 'quotes:read': 'own', 'quotes:write': 'own', 'orders:read': 'own', 'forecast:read': 'own', 'quotas:read': 'own', 'commissions:read': 'own', 'reports:read': 'own',
  },
  marketing: {
    'custom-fields:read': 'all',
    'kb:read': 'all',
    // CSV uploads of static-list members (and leads, which marketing writes anyway). What an import
    // may write is decided per entity by the write permissions below (functions/imports/service.ts
    // WRITE_ACTIONS): without customers:create, contacts:write or products:write, marketing's
    // imports of those answer 403 — no import-specific rule needed.
    'imports:manage': 'own',
    'marketing:read': 'all', 'marketing:write': 'all', 'consent:read': 'all', 'consent:write': 'all', 'campaign-stats:read': 'all',
    'me:read': 'all', 'customers:read': 'all', 'contacts:read': 'all', 'exports:read': 'own',
    'tasks:read': 'own', 'tasks:write': 'own', 'notifications:read': 'own',
    'leads:read': 'all', 'leads:write': 'all', 'products:read': 'all',
  },
  service: {
    'custom-fields:read': 'all',
    'contracts:read': 'all', 'contracts:write': 'all', 'kb:read': 'all', 'kb:write': 'all',
    'consent:read': 'all',
    'tickets:read': 'all', 'tickets:write': 'all', 'queues:read': 'all', 'service-reports:read': 'all',
    'me:read': 'all', 'customers:read': 'all', 'contacts:read': 'all', 'contacts:write': 'all', 'pii:read': 'all', 'exports:read': 'own',
    'activities:read': 'all', 'activities:write': 'all', 'assets:read': 'all', 'assets:write': 'all',
    'tasks:read': 'own', 'tasks:write': 'own', 'notifications:read': 'own', 'settings:read': 'all',
    'products:read': 'all', 'orders:read': 'all',
  },
  analyst: {
    'custom-fields:read': 'all',
    'contracts:read': 'all', 'kb:read': 'all',
    'marketing:read': 'all', 'campaign-stats:read': 'all',
    'tickets:read': 'all', 'queues:read': 'all', 'service-reports:read': 'all',
    'me:read': 'all', 'customers:read': 'all', 'contacts:read': 'all', 'exports:create': 'all', 'exports:read': 'own',
    'activities:read': 'all', 'assets:read': 'all', 'tasks:read': 'own', 'tasks:write': 'own', 'notifications:read': 'own',
    'leads:read': 'all', 'pipelines:read': 'all', 'deals:read': 'all', 'products:read': 'all', 'quotes:read': 'all', 'orders:read': 'all', 'forecast:read': 'all', 'quotas:read': 'all', 'reports:read': 'all',
  },
  // The self-service portal's two actions, scope `own` = records of the customer named in the
  // caller's token (functions/security/customer-access.ts); nothing else.
  customer: {
    'portal:read': 'own', 'portal:write': 'own',
  },
};

export function scopeOf(role: Role, action: Action): Scope | undefined {
  return PERMISSIONS[role][action];
}

/** Most privileged role first: a user in several Cognito groups acts with the first match. */
export function primaryRole(groups: readonly string[]): Role | undefined {
  return ROLES.find((role) => groups.includes(role));
}
