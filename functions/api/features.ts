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
