/**
 * Every deployable function and what it may touch. CDK creates one function per entry and grants
 * exactly these accesses (lib/constructs/feature-function.ts); the local runtime loads the same
 * entry modules. A feature that is not listed here cannot be routed to or scheduled.
 */
export interface FeatureDef {
  /** Source module exporting `handler`, relative to the repository root. */
  entry: string;
  description: string;
  /** Access to the CRM table: read-only or read-write; omitted = none. */
  table?: 'read' | 'readwrite';
  /** May put domain events on the CRM event bus. */
  publishEvents?: boolean;
  /** May send email through SES. */
  sendEmail?: boolean;
  /** May write objects to the exports bucket. */
  writeExports?: boolean;
  /** Reads the cursor-signing secret (every feature that returns paginated lists). */
  cursorSecret?: boolean;
  memoryMb?: number;
  timeoutSeconds?: number;
  /**
   * Which stack creates the function: `app` (default; the stateless stack with the API and
   * schedules) or `data` (the stateful stack — only for Cognito triggers, which the user pool
   * must reference without depending on the stateless stack).
   */
  stack?: 'app' | 'data';
}

export const FEATURES = {
  system: {
    entry: 'functions/system/handler.ts',
    description: 'Health, the caller (me), the OpenAPI document and docs page',
    table: 'read',
  },
  customers: {
    entry: 'functions/customers/handler.ts',
    description: 'Customers, contacts and their change history',
    table: 'readwrite',
    cursorSecret: true,
  },
  tasks: {
    entry: 'functions/tasks/handler.ts',
    description: 'Tasks with due dates, assignees and reminders',
    table: 'readwrite',
    cursorSecret: true,
  },
  notifications: {
    entry: 'functions/notifications/handler.ts',
    description: 'The caller\'s in-app notifications (reminders and other alerts)',
    table: 'readwrite',
    cursorSecret: true,
  },
  activities: {
    entry: 'functions/activities/handler.ts',
    description: 'Communication records (calls, emails, meetings, SMS, visits, notes) and customer timelines',
    table: 'readwrite',
    cursorSecret: true,
  },
  assets: {
    entry: 'functions/assets/handler.ts',
    description: 'Customer assets (products owned, serial numbers, warranties) and their service schedule',
    table: 'readwrite',
    cursorSecret: true,
  },
  settings: {
    entry: 'functions/settings/handler.ts',
    description: 'Admin configuration: service rules for proactive reminders',
    table: 'readwrite',
  },
  leads: {
    entry: 'functions/leads/handler.ts',
    description: 'Leads, duplicate checks and conversion into customer, contact and deal',
    table: 'readwrite',
    cursorSecret: true,
  },
  territories: {
    entry: 'functions/territories/handler.ts',
    description: 'Territory rules that assign owners to new leads and customers',
    table: 'readwrite',
  },
  products: {
    entry: 'functions/products/handler.ts',
    description: 'Products: SKU, prices per currency, tax rate, active flag',
    table: 'readwrite',
    cursorSecret: true,
  },
  quotes: {
    entry: 'functions/quotes/handler.ts',
    description: 'Quotes on deals (versions, server-computed totals) and the orders accepting them creates',
    table: 'readwrite',
    cursorSecret: true,
  },
  commissions: {
    entry: 'functions/commissions/handler.ts',
    description: 'Commission plans and per-rep statements from won deals and quotas',
    table: 'readwrite',
    cursorSecret: true,
  },
  pipelines: {
    entry: 'functions/pipelines/handler.ts',
    description: 'Sales pipelines and their stages',
    table: 'readwrite',
    cursorSecret: true,
  },
  deals: {
    entry: 'functions/deals/handler.ts',
    description: 'Deals, stage moves with history and the pipeline board; maintains the forecast/report aggregates',
    table: 'readwrite',
    cursorSecret: true,
  },
  forecast: {
    entry: 'functions/forecast/handler.ts',
    description: 'Forecast and sales reports from incrementally maintained aggregates; quotas',
    table: 'readwrite',
    cursorSecret: true,
  },
  'events-publisher': {
    entry: 'functions/events/publisher.ts',
    description: 'Publishes outbox items from the table stream as domain events on the event bus',
    publishEvents: true,
    timeoutSeconds: 60,
  },
  jobs: {
    entry: 'functions/jobs/handler.ts',
    description: 'Scheduled jobs from the schedule table',
    table: 'readwrite',
    sendEmail: true,
    timeoutSeconds: 300,
  },
} as const satisfies Record<string, FeatureDef>;

export type FeatureName = keyof typeof FEATURES;

export const FEATURE_NAMES = Object.keys(FEATURES) as FeatureName[];
