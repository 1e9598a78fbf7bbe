/**
 * Every deployable function and what it may touch. CDK creates one function per entry and grants
 * exactly these accesses (lib/constructs/feature-function.ts); the local runtime loads the same
 * entry modules. A feature that is not listed here cannot be routed to or scheduled.
 */
import type { PartitionFamily } from '../data/keys';
import type { IndexName } from '../data/table';

/** Read actions on the table itself (a transaction's ConditionCheck is ConditionCheckItem). */
export type TableReadAction = 'GetItem' | 'BatchGetItem' | 'Query' | 'ConditionCheckItem';
/** Write actions; a transaction's Put/Update/Delete are authorised as these. */
export type TableWriteAction = 'PutItem' | 'UpdateItem' | 'DeleteItem';

/**
 * A function's table access, least privilege per entity. No Scan and no BatchWriteItem exist
 * here: no code path sends them.
 */
export interface TableAccess {
  /** Actions on the table itself. */
  read: readonly TableReadAction[];
  /** Indexes it queries (Query is the only action granted on an index). */
  indexes?: readonly IndexName[];
  /**
   * The partition families it writes (PARTITIONS in functions/data/keys.ts) and with which
   * actions; its writes are allowed in those partitions only (`dynamodb:LeadingKeys`).
   */
  write?: Readonly<Partial<Record<PartitionFamily, readonly TableWriteAction[]>>>;
}

// Shorthands for the write declarations below.
const PUT = ['PutItem'] as const;
const UPDATE = ['UpdateItem'] as const;
const PUT_UPDATE = ['PutItem', 'UpdateItem'] as const;
const PUT_DELETE = ['PutItem', 'DeleteItem'] as const;
const PUT_UPDATE_DELETE = ['PutItem', 'UpdateItem', 'DeleteItem'] as const;
/** Idempotency-Key records, for features with idempotent POST routes (functions/http/idempotency.ts). */
const IDEMPOTENCY = { idempotency: PUT_UPDATE_DELETE } as const;

export interface FeatureDef {
  /** Source module exporting `handler`, relative to the repository root. */
  entry: string;
  description: string;
  /**
   * What the function's code sends to the CRM table (its own modules and the shared ones it
   * calls); omitted = no access. lib/grants.ts turns this into the role's IAM statements and the
   * local runtime enforces the same statements on every request (local/iam.ts).
   */
  table?: TableAccess;
  /** May put domain events on the CRM event bus. */
  publishEvents?: boolean;
  /** May send email through SES (from the notification sender and the campaign sender identities). */
  sendEmail?: boolean;
  /** Checks campaign senders against the deployment's sender identities (SENDER_IDENTITIES) without sending. */
  checksSender?: boolean;
  /** May send SMS through AWS End User Messaging SMS from the configured origination identity (campaigns). */
  sendSms?: boolean;
  /** May write objects to the exports bucket. */
  writeExports?: boolean;
  /** May read the on-demand export files (`exports/*` of the exports bucket): presigned download URLs. */
  readExports?: boolean;
  /** May put and read ticket attachments (`tickets/*` of the attachments bucket): presigned upload and download URLs. */
  attachments?: boolean;
  /** May read and write CSV import files (`imports/*` of the exports bucket): uploads, presigned URLs, rejected-rows reports. */
  importFiles?: boolean;
  /**
   * Reads received mail in the inbound bucket (`inbound/*`) and copies what it cannot read to
   * `quarantine/*` (lib/constructs/inbound-mail.ts).
   */
  inboundMail?: boolean;
  /** Reads the cursor-signing secret (every feature that returns paginated lists). */
  cursorSecret?: boolean;
  memoryMb?: number;
  timeoutSeconds?: number;
  /** Files (relative to the repository root) shipped next to the bundle, read by the code at run time. */
  files?: string[];
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
    // Rendered at build time (npm run docs:openapi); served as is.
    files: ['functions/system/openapi.json'],
    // The scheduler heartbeat (health).
    table: { read: ['GetItem'] },
  },
  customers: {
    entry: 'functions/customers/handler.ts',
    description: 'Customers, contacts and their change history',
    table: {
      // BatchGetItem: the owners of the deals a history page describes (record-event visibility).
      // ConditionCheckItem: the customer's primary-contact pointer when only a contact's flag changes.
      read: ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'],
      indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4'],
      // territories: the round-robin counters of owner assignment (functions/territories/assign.ts).
      // dashboard: the customer-distribution counters (functions/dashboard/counters.ts).
      // customFieldUnique: guards of unique custom-field values (functions/customfields/values.ts).
      // exportJob: list exports (GET /v1/customers/export.csv) queue an export job (functions/exports/list-export.ts).
      write: { customer: PUT_UPDATE_DELETE, contact: PUT_UPDATE_DELETE, customerEmail: PUT_DELETE, customerPhone: PUT_DELETE, territories: UPDATE, dashboard: UPDATE, customFieldUnique: PUT_DELETE, exportJob: PUT, ...IDEMPOTENCY },
    },
    cursorSecret: true,
  },
  tasks: {
    entry: 'functions/tasks/handler.ts',
    description: 'Tasks with due dates, assignees and reminders',
    table: {
      // ConditionCheckItem: a customer a task is attached to must be live at commit.
      read: ['Query', 'ConditionCheckItem'],
      indexes: ['gsi1', 'gsi2'],
      // userProfile: the caller's profile for reminder emails (functions/notifications/with-profile.ts).
      write: { task: PUT_DELETE, ruleGuard: PUT_DELETE, userProfile: PUT, ...IDEMPOTENCY },
    },
    cursorSecret: true,
  },
  notifications: {
    entry: 'functions/notifications/handler.ts',
    description: 'The caller\'s in-app notifications (reminders and other alerts)',
    table: { read: ['Query'], indexes: ['gsi1'], write: { notification: UPDATE, userProfile: PUT, ...IDEMPOTENCY } },
    cursorSecret: true,
  },
  activities: {
    entry: 'functions/activities/handler.ts',
    description: 'Communication records (calls, emails, meetings, SMS, visits, notes) and customer timelines',
    table: {
      read: ['GetItem', 'BatchGetItem', 'ConditionCheckItem'],
      indexes: ['gsi1', 'gsi2'],
      // customer: audit entries and the activity tracker in the customer's partition.
      write: { activity: PUT_DELETE, customer: PUT_UPDATE, ...IDEMPOTENCY },
    },
    cursorSecret: true,
  },
  assets: {
    entry: 'functions/assets/handler.ts',
    description: 'Customer assets (products owned, serial numbers, warranties) and their service schedule',
    // customer: audit entries in the customer's partition.
    table: { read: ['GetItem', 'BatchGetItem', 'ConditionCheckItem'], indexes: ['gsi1'], write: { asset: PUT_DELETE, customer: PUT, ...IDEMPOTENCY } },
    cursorSecret: true,
  },
  settings: {
    entry: 'functions/settings/handler.ts',
    description: 'Admin configuration: service rules for proactive reminders',
    table: { read: ['GetItem'], write: { serviceRules: PUT } },
  },
  leads: {
    entry: 'functions/leads/handler.ts',
    description: 'Leads, duplicate checks and conversion into customer, contact and deal',
    table: {
      // BatchGetItem: the holder of a taken email or phone, lead or customer alike (functions/security/duplicates.ts).
      read: ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'],
      indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4'],
      // Conversion writes the customer, contact and deal (with its aggregates) in one transaction.
      write: {
        // exportJob: GET /v1/leads/export.csv queues an export job (functions/exports/list-export.ts).
        lead: PUT_DELETE, leadEmail: PUT_DELETE, leadPhone: PUT_DELETE, customFieldUnique: PUT_DELETE, exportJob: PUT,
        customer: PUT_UPDATE, contact: PUT_UPDATE, customerEmail: PUT, customerPhone: PUT,
        deal: PUT, forecast: UPDATE, salesReport: UPDATE, dashboard: UPDATE, defaultPipeline: PUT, territories: UPDATE, ...IDEMPOTENCY,
        // campaignAttribution: a lead's (and its deal's) campaign counters (functions/marketing/attribution.ts).
        // consent: a confirmed sign-up's email opt-in passes on to the new contact.
        campaignAttribution: UPDATE, consent: PUT,
      },
    },
    cursorSecret: true,
  },
  territories: {
    entry: 'functions/territories/handler.ts',
    description: 'Territory rules that assign owners to new leads and customers',
    table: { read: ['GetItem'], write: { territories: PUT } },
  },
  products: {
    entry: 'functions/products/handler.ts',
    description: 'Products: SKU, prices per currency, tax rate, active flag',
    table: { read: ['GetItem'], indexes: ['gsi1', 'gsi2'], write: { product: PUT, productSku: PUT, ...IDEMPOTENCY } },
    cursorSecret: true,
  },
  quotes: {
    entry: 'functions/quotes/handler.ts',
    description: 'Quotes on deals (versions, server-computed totals) and the orders accepting them creates',
    table: {
      read: ['GetItem', 'BatchGetItem', 'ConditionCheckItem'],
      indexes: ['gsi1'],
      // customer: the purchase summary and the order's audit entry.
      write: { quote: PUT_UPDATE, order: PUT, customer: PUT_UPDATE, ...IDEMPOTENCY },
    },
    cursorSecret: true,
  },
  commissions: {
    entry: 'functions/commissions/handler.ts',
    description: 'Commission plans and per-rep statements from won deals and quotas',
    table: { read: ['GetItem'], indexes: ['gsi1', 'gsi3'], write: { commissionPlan: PUT_DELETE } },
    cursorSecret: true,
  },
  pipelines: {
    entry: 'functions/pipelines/handler.ts',
    description: 'Sales pipelines and their stages',
    table: { read: ['GetItem'], indexes: ['gsi1'], write: { pipeline: PUT, ...IDEMPOTENCY } },
    cursorSecret: true,
  },
  deals: {
    entry: 'functions/deals/handler.ts',
    description: 'Deals, stage moves with history and the pipeline board; maintains the forecast/report aggregates',
    table: {
      read: ['GetItem', 'Query', 'ConditionCheckItem'],
      indexes: ['gsi1', 'gsi2', 'gsi4'],
      // customer: audit entries; defaultPipeline: created on first use.
      // campaignAttribution: the deal's campaign counters (functions/marketing/attribution.ts).
      write: { deal: PUT_UPDATE_DELETE, forecast: UPDATE, salesReport: UPDATE, dashboard: UPDATE, customer: PUT, defaultPipeline: PUT, campaignAttribution: UPDATE, customFieldUnique: PUT_DELETE, ...IDEMPOTENCY },
    },
    cursorSecret: true,
  },
  forecast: {
    entry: 'functions/forecast/handler.ts',
    description: 'Forecast and sales reports from incrementally maintained aggregates; quotas',
    table: { read: ['GetItem', 'BatchGetItem', 'Query'], indexes: ['gsi1'], write: { quota: PUT } },
    cursorSecret: true,
  },
  webhooks: {
    entry: 'functions/webhooks/handler.ts',
    description: 'Outbound webhooks: subscriptions, secrets, the delivery log and redelivery',
    // Query: a webhook's delivery log (its own partition). Redelivery attempts at once, as the
    // retry job would (functions/webhooks/attempt.ts); a webhook disabled meanwhile notifies admins.
    table: { read: ['GetItem', 'Query'], indexes: ['gsi1'], write: { webhook: PUT_UPDATE_DELETE, notification: PUT } },
    cursorSecret: true,
    timeoutSeconds: 29,
  },
  'webhooks-deliverer': {
    entry: 'functions/webhooks/deliverer.ts',
    description: 'EventBridge rule target: fans each domain event out to the matching webhooks and makes the first attempt',
    // gsi2: the active webhooks (one Query per batch); deliveries are written in the webhook's partition.
    table: { read: ['GetItem'], indexes: ['gsi2'], write: { webhook: PUT_UPDATE, notification: PUT } },
    // Attempts run in parallel, 10 s each at most.
    timeoutSeconds: 60,
  },
  apikeys: {
    entry: 'functions/apikeys/handler.ts',
    description: 'API keys for machine clients: create (shown once), list, change (name, rate limit), revoke',
    table: { read: ['GetItem'], indexes: ['gsi1'], write: { apiKey: PUT_UPDATE } },
    cursorSecret: true,
  },
  'apikeys-authorizer': {
    entry: 'functions/apikeys/authorizer.ts',
    description: 'Lambda request authorizer of the machine API: verifies an API key (hash lookup) and records its last use',
    table: { read: ['GetItem'], write: { apiKey: UPDATE } },
    memoryMb: 256,
    // API Gateway waits 10 s for an authorizer; the DynamoDB client gives up before that (8.1 s
    // worst case, test/unit/aws-client-timeouts.test.ts), so a slow table answers 503, not a timeout.
    timeoutSeconds: 10,
  },
  dashboard: {
    entry: 'functions/dashboard/handler.ts',
    description: 'The dashboard figures (from counters kept on write) and the /dashboard page',
    // Counter items by GetItem/Query, quotas on gsi1, pipeline names by BatchGetItem; writes nothing.
    table: { read: ['GetItem', 'BatchGetItem', 'Query'], indexes: ['gsi1'] },
  },
  exports: {
    entry: 'functions/exports/handler.ts',
    description: 'On-demand exports: start one, follow its progress, download its files (presigned URLs)',
    table: { read: ['GetItem'], indexes: ['gsi1'], write: { exportJob: PUT, ...IDEMPOTENCY } },
    readExports: true,
    cursorSecret: true,
  },
  'exports-worker': {
    entry: 'functions/exports/worker.ts',
    description: 'Writes on-demand export files part by part; started by the export item on the table stream',
    // Every export source is an index partition (customers, leads, products, pipelines, campaigns,
    // segments, mailing lists and each customer's contacts on gsi1; contracts and articles on gsi3;
    // all deals and all tickets on gsi4; a list export's planned list index, any of gsi1-4): Query
    // only, never Scan.
    // The last step's audit entry (export.completed / export.failed) is a Put in the export's partition.
    table: { read: ['GetItem'], indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4'], write: { exportJob: PUT_UPDATE } },
    writeExports: true,
    memoryMb: 1024,
    timeoutSeconds: 300,
  },
  imports: {
    entry: 'functions/imports/handler.ts',
    description: 'CSV imports: create one (presigned upload), preview its first rows, start it, follow its progress',
    // Query: the imports list (gsi1 a creator's, gsi2 everyone's); GetItem: an import, a list-members import's list.
    table: { read: ['GetItem', 'Query'], indexes: ['gsi1', 'gsi2'], write: { importJob: PUT_UPDATE, ...IDEMPOTENCY } },
    importFiles: true,
  },
  'imports-worker': {
    entry: 'functions/imports/worker.ts',
    description: 'Imports a CSV file chunk by chunk through the entity services; started by the import item on the table stream',
    // The rows are written by the customers, leads and products services, so the worker holds
    // what those features write for a create or an update (nothing else: no deletes of records),
    // and reads the guards and a customer's contacts (gsi1) to match existing records.
    table: {
      read: ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'],
      // gsi1: a customer's contacts; gsi2: contacts by email (list-members rows).
      indexes: ['gsi1', 'gsi2'],
      write: {
        importJob: UPDATE,
        // list-members rows: the member items (functions/marketing/segments.ts addMember).
        mailingList: PUT,
        customer: PUT_UPDATE_DELETE, contact: PUT_UPDATE, customerEmail: PUT_DELETE, customerPhone: PUT_DELETE,
        lead: PUT, leadEmail: PUT_DELETE, leadPhone: PUT_DELETE,
        product: PUT, productSku: PUT,
        territories: UPDATE, dashboard: UPDATE,
        // Unique custom fields' guards (customers, leads) and a lead's campaign counters: what those services write too.
        customFieldUnique: PUT_DELETE, campaignAttribution: UPDATE,
      },
    },
    importFiles: true,
    memoryMb: 1024,
    timeoutSeconds: 300,
  },
  contracts: {
    entry: 'functions/contracts/handler.ts',
    description: 'Service contracts (number, covered assets, term, value, status) and entitlements',
    table: {
      // BatchGetItem: the covered assets; ConditionCheckItem: customer live and assets still the customer's at commit.
      read: ['GetItem', 'BatchGetItem', 'ConditionCheckItem'],
      indexes: ['gsi1', 'gsi3', 'gsi4'],
      // contract: the contract and its audit entries; contractNumber: the number guard.
      write: { contract: PUT, contractNumber: PUT, ...IDEMPOTENCY },
    },
    cursorSecret: true,
  },
  kb: {
    entry: 'functions/kb/handler.ts',
    description: 'Knowledge-base articles (Markdown rendered safely) and their versions',
    // Query: an article's versions in its own partition.
    table: { read: ['GetItem', 'Query'], indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4'], write: { article: PUT, ...IDEMPOTENCY } },
    cursorSecret: true,
  },
  tickets: {
    entry: 'functions/tickets/handler.ts',
    description: 'Service desk: tickets, their conversation (replies emailed, internal notes), SLA clocks, queues and service-desk settings',
    table: {
      // BatchGetItem: the customer with the service-desk settings; ConditionCheckItem: linked contact, asset, order, queue, live customer.
      read: ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'],
      indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4'],
      // customer: audit entries (timeline); serviceReport: opened/resolved/breach counters.
      write: { ticket: PUT_UPDATE, queue: PUT_UPDATE, serviceDesk: PUT, customer: PUT, serviceReport: UPDATE, ...IDEMPOTENCY },
    },
    sendEmail: true,
    cursorSecret: true,
    // A public reply is emailed within the request: the SES client's worst case (10.2 s,
    // test/unit/aws-client-timeouts.test.ts) must end before the function does; API Gateway waits 30 s.
    timeoutSeconds: 15,
  },
  portal: {
    entry: 'functions/portal/handler.ts',
    description: 'Self-service portal: a customer\'s contact opens and follows their customer\'s tickets, replies, rates, attaches files, and reads published knowledge-base articles',
    table: {
      // As the tickets feature opening a ticket and adding a message (functions/tickets/service.ts
      // openTicket, repository.saveTicket), plus the knowledge base's article reads.
      read: ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'],
      // gsi3: a customer's tickets; gsi1-4: the knowledge base's title-sorted article partitions.
      indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4'],
      // ticket: ticket, deadline item, message, the survey's rating and attachments; queue: the round-robin counter;
      // customer: audit entries (timeline); serviceReport: ticket and CSAT counters; task + ruleGuard: the
      // follow-up task of a low rating (createTaskFromRule, as the service-desk feature).
      write: { ticket: PUT_UPDATE, queue: UPDATE, customer: PUT, serviceReport: UPDATE, task: PUT, ruleGuard: PUT, ...IDEMPOTENCY },
    },
    // Files of the public conversation: presigned PUT and GET, HeadObject before a download.
    attachments: true,
    cursorSecret: true,
  },
  'inbound-mail': {
    entry: 'functions/tickets/inbound-handler.ts',
    description: 'Inbound email (SES receipt rule, then S3, then this function): opens tickets, appends answers, quarantines unreadable mail',
    table: {
      // GetItem: the inbound record, a ticket, the sender's customer, settings; Query gsi2: the sender's contacts.
      // BatchGetItem: the customer with the service-desk settings; ConditionCheckItem: contact and live customer at commit.
      read: ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'],
      indexes: ['gsi2'],
      // ticket: new tickets, inbound messages; customer: audit entries and the placeholder customer of unknown
      // senders (dashboard: its counters); queue: the round-robin counter; inboundMail: the per-object record.
      write: { ticket: PUT_UPDATE, customer: PUT_UPDATE, dashboard: UPDATE, queue: UPDATE, serviceReport: UPDATE, inboundMail: PUT, inboundMailSettings: PUT },
    },
    inboundMail: true,
    timeoutSeconds: 60,
  },
  'service-desk': {
    entry: 'functions/service-desk/handler.ts',
    description: 'Service desk extras: the public satisfaction-survey link, the service report, ticket attachments (presigned S3 URLs)',
    table: {
      // GetItem: survey, ticket, message, attachment, queue (follow-up's manager), settings; Query: report counters, attachment lists;
      // ConditionCheckItem: a ticket not closed when a file is attached.
      read: ['GetItem', 'Query', 'ConditionCheckItem'],
      // ticket: the survey's rating and the attachments in the ticket's partition (and a message's file count);
      // serviceReport: CSAT counters; task + ruleGuard: the follow-up task of a low rating (createTaskFromRule).
      write: { ticket: PUT_UPDATE, serviceReport: UPDATE, task: PUT, ruleGuard: PUT },
    },
    attachments: true,
    // Survey links are sealed with the cursor key (functions/service-desk/csat-token.ts); attachment lists page with cursors.
    cursorSecret: true,
  },
  marketing: {
    entry: 'functions/marketing/handler.ts',
    description: 'Marketing: consent, suppression list, email templates, segments, static lists, campaigns and the public unsubscribe endpoint',
    table: {
      read: ['GetItem', 'BatchGetItem', 'Query'],
      // gsi1-4: the customer indexes a segment preview reads (tier gsi3, stage gsi4, owner gsi2, all/tag gsi1) and the marketing lists.
      indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4'],
      // The unsubscribe endpoint writes the recipient, the campaign counters, the suppression and the consent in one transaction.
      // marketingSettings: the auto-pause thresholds (admin).
      // suppression PUT: its audit entry (SUPP#… / AUD#…, functions/marketing/audit.ts).
      write: { consent: PUT_UPDATE, suppression: PUT_UPDATE, template: PUT, segment: PUT, mailingList: PUT_DELETE, campaign: PUT_UPDATE, marketingSettings: PUT },
    },
    cursorSecret: true,
    // A campaign's `sender` is refused with 400 unless it is one of the deployment's identities.
    checksSender: true,
  },
  'ses-events': {
    entry: 'functions/marketing/ses-events.ts',
    description: 'EventBridge rule target: SES events of campaign email (delivery, bounce, complaint, open, click, reject) update the recipient, the campaign counters, suppression and consent; auto-pause',
    table: {
      // Query: the campaign's counter shards (auto-pause); GetItem: recipient, consent, campaign, marketing settings.
      read: ['GetItem', 'Query'],
      // campaign: the recipient, its counter shard and the auto-pause; notification: the admins' notice of an auto-pause.
      // PUT on campaign and suppression: the audit entries of an auto-pause and a suppression (functions/marketing/audit.ts).
      write: { campaign: PUT_UPDATE, suppression: PUT_UPDATE, consent: PUT, notification: PUT },
    },
    timeoutSeconds: 30,
  },
  signup: {
    entry: 'functions/signup/handler.ts',
    description: 'The public sign-up form with double opt-in: creates a lead with pending consent, emails the confirmation link, confirms',
    table: {
      // ConditionCheckItem: the lead's uniqueness guards check the customers' (addLeadGuards).
      read: ['GetItem', 'ConditionCheckItem'],
      // The lead with its guards, audit entry, dashboard funnel and campaign counters; its consent
      // (and a converted lead's contact's) with history; the per-IP / per-address rate-limit counters.
      write: { lead: PUT, leadEmail: PUT, leadPhone: PUT, dashboard: UPDATE, campaignAttribution: UPDATE, consent: PUT, rateLimit: UPDATE },
    },
    sendEmail: true,
    // The confirmation token is sealed with the cursor key (functions/marketing/token.ts).
    cursorSecret: true,
    // The confirmation email is sent within the request: the SES client's worst case must end first.
    timeoutSeconds: 15,
  },
  'sms-inbound': {
    entry: 'functions/marketing/sms-inbound.ts',
    description: 'Inbound SMS from the two-way SNS topic: a STOP reply opts the contact out of SMS',
    // The number's contact (SMSTO#…) and its consent; writes the consent and its history entry.
    table: { read: ['GetItem'], write: { consent: PUT } },
  },
  'events-publisher': {
    entry: 'functions/events/publisher.ts',
    description: 'Publishes outbox items from the table stream as domain events on the event bus',
    publishEvents: true,
    timeoutSeconds: 60,
  },
  customfields: {
    entry: 'functions/customfields/handler.ts',
    description: 'Custom-field definitions per entity (the values live on the records, checked by their features)',
    // One versioned item per entity and its audit entries, in SETTINGS#CUSTOM_FIELDS.
    table: { read: ['GetItem', 'Query'], write: { customFieldDefinitions: PUT, ...IDEMPOTENCY } },
  },
  merge: {
    entry: 'functions/merge/handler.ts',
    description: 'Merges a duplicate customer into a survivor: moves its records in checkpointed chunks and leaves the duplicate archived with mergedInto',
    table: {
      read: ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'],
      // The duplicate's records by their customer index: contacts, timeline, assets, orders, contracts (gsi1), tasks (gsi2), tickets (gsi3).
      indexes: ['gsi1', 'gsi2', 'gsi3'],
      // Each moved record is an UpdateItem of its customer id and index keys; the customers' own
      // partitions take the profile, summaries, tag copies, guards and audit entries.
      write: {
        customer: PUT_UPDATE_DELETE, contact: UPDATE, customerEmail: PUT_DELETE, customerPhone: PUT_DELETE, dashboard: UPDATE,
        activity: UPDATE, task: UPDATE, deal: UPDATE, order: UPDATE, asset: UPDATE, ticket: UPDATE, contract: UPDATE, mergeJob: PUT_UPDATE,
        // quote: a moved deal's quotes follow it; customFieldUnique: the duplicate's unique custom values handed to the survivor.
        quote: UPDATE, customFieldUnique: UPDATE,
      },
    },
    timeoutSeconds: 60,
  },
  jobs: {
    entry: 'functions/jobs/handler.ts',
    description: 'Scheduled jobs from the schedule table',
    table: {
      read: ['GetItem', 'BatchGetItem', 'Query'],
      indexes: ['gsi1', 'gsi2', 'gsi3', 'gsi4'],
      // campaigns: the send job reads segments (customer indexes, gsi4 = stage), lists (Query) and the
      // ledger, and writes the campaign's partition (recipients, counters, checkpoints).
      // Reminders deliver notifications; proactive jobs create rule tasks, move asset schedules
      // and customers' dormancy trackers (customer: UpdateItem of `#ACTIVITY` only).
      // webhook: the webhooks job claims due deliveries and records attempts (functions/webhooks/retry.ts).
      // contract: the contract-renewals job's checkpoint and expiry (with its audit entry), conditional on rev.
      // ticket + serviceReport: the sla job records escalations and breaches on the ticket (conditional on rev) and counts breaches;
      // the ticket-emails job claims and marks unsent replies (UpdateItem of the message).
      write: { heartbeat: PUT, task: PUT_UPDATE, notification: PUT, ruleGuard: PUT, asset: UPDATE, customer: UPDATE, jobState: UPDATE, webhook: PUT_UPDATE, contract: PUT, ticket: PUT_UPDATE, serviceReport: UPDATE, campaign: PUT_UPDATE,
        // smsAddress: SMS campaigns record which contact each number belongs to (for a STOP reply).
        smsAddress: PUT },
    },
    sendEmail: true,
    // SMS campaigns (functions/marketing/sms.ts).
    sendSms: true,
    // Unsubscribe tokens in campaign emails are sealed with the cursor key (functions/marketing/token.ts).
    cursorSecret: true,
    timeoutSeconds: 300,
  },
  'auth-pre-token': {
    entry: 'functions/auth/pre-token.ts',
    description: 'Cognito pre-token-generation trigger (V2_0): adds the verified email to access tokens',
    stack: 'data',
    // No table, no SDK: CPU for a quick cold start; Cognito waits 5 s for a trigger at most.
    memoryMb: 256,
    timeoutSeconds: 5,
  },
  'auth-portal-pre-token': {
    entry: 'functions/auth/portal-pre-token.ts',
    description: 'Cognito pre-token-generation trigger (V2_0) of the portal user pool: the contact\'s customer and the customer role in portal access tokens',
    stack: 'data',
    // One GetItem of the contact (its customer) per token. Cognito waits 5 s for a trigger at most;
    // the read is aborted after 3.5 s (functions/auth/portal-pre-token.ts), so the Lambda timeout
    // only has to exceed the DynamoDB client's worst case (test/unit/aws-client-timeouts.test.ts).
    table: { read: ['GetItem'] },
    memoryMb: 256,
    timeoutSeconds: 10,
  },
} as const satisfies Record<string, FeatureDef>;

export type FeatureName = keyof typeof FEATURES;

export const FEATURE_NAMES = Object.keys(FEATURES) as FeatureName[];
