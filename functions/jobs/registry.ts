/**
 * THE job table: what each schedule row (functions/api/schedules.ts) runs, how long one run may
 * take, how unfinished work continues, and which business metrics the run reports.
 *
 * Continuation — how a job that stopped on its budget goes on:
 * - `next-run`: its own schedule fires again within a minute or five (reminders, heartbeat); the
 *   next run simply starts where the due index stands.
 * - `pending`: a daily job. It records the scheduled time it ran for (functions/jobs/state.ts) and
 *   the `continue-jobs` row runs it again for that same time every few minutes until a run
 *   finishes. Waiting for tomorrow's run is not an option, and the jobs function does not invoke
 *   itself (that needs lambda:InvokeFunction on itself and a Lambda client in the bundle, and a
 *   lost self-invocation would stall the chain until the next day); a tick that finds nothing
 *   pending costs one BatchGetItem.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import type { Budget } from './budget';
import type { JobMetric } from './metrics';
// Imported statically on purpose: loading a job module builds nothing (schemas are built on first
// use, clients on first send). A dynamic import() made esbuild wrap the whole AWS SDK packages in
// lazy initialisers whose `export *` defeats tree shaking (+76 KB, 1.27× → 1.16× startup CPU;
// docs/performance.md).
import { runDormantCustomers } from '../activities/dormancy';
import { runServiceAnniversaries, runWarrantyEnding } from '../assets/jobs';
import { runContractRenewals } from '../contracts/jobs';
import { runCampaigns } from '../marketing/send';
import { runReminders } from '../tasks/reminders';
import { runTicketEmailRetries } from '../tickets/email-retry';
import { runSla } from '../tickets/escalation';
import { runWebhookRetries } from '../webhooks/retry';

export interface JobRun {
  now: Date;
  budget: Budget;
  /** Report one item's failure (logged with the job's name; ids only). */
  onItemError: (id: string, error: unknown) => void;
}

/** What every job reports, besides its own counts. */
export interface JobOutcome {
  /** Items worked in this run. */
  processed: number;
  /** Items whose work failed unexpectedly (they stay due and are retried by a later run). */
  failed: number;
  /** The run stopped on its budget with work left. */
  more: boolean;
  [count: string]: unknown;
}

export interface JobDef<O extends JobOutcome = JobOutcome> {
  run: (job: JobRun) => Promise<O>;
  continuation: 'next-run' | 'pending';
  /** At most this long per run, whatever the Lambda timeout allows. */
  budgetCapMs?: number;
  /** Job-specific business metrics of a run. */
  metrics?: (outcome: O) => JobMetric[];
}


const count = (name: string, value: unknown): JobMetric => ({ name, unit: 'Count', value: Number(value) || 0 });

/** Records the scheduler's last run; only moves forward, so a replayed or late run cannot move it back. */
async function heartbeat(now: Date): Promise<JobOutcome> {
  try {
    await ddb().send(
      new PutCommand({
        TableName: config().tableName,
        Item: { ...keys.system.heartbeat(), kind: 'system', lastRunAt: now.toISOString() },
        ConditionExpression: 'attribute_not_exists(lastRunAt) OR lastRunAt < :now',
        ExpressionAttributeValues: { ':now': now.toISOString() },
      }),
    );
    return { recorded: true, processed: 1, failed: 0, more: false };
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return { recorded: false, processed: 0, failed: 0, more: false };
    throw err;
  }
}

/** Counts proactive jobs report as metrics (tasks created vs. found existing under their guard). */
const proactiveMetrics = (o: JobOutcome): JobMetric[] => [count('ItemsDue', o.due), count('TasksCreated', o.created), count('TasksExisting', o.existing), count('ItemsFailed', o.failed)];

export const JOBS: Record<string, JobDef> = {
  heartbeat: { run: ({ now }) => heartbeat(now), continuation: 'next-run' },
  /** Due task reminders: email + in-app notification, each exactly once (functions/tasks/reminders.ts). */
  reminders: {
    run: async ({ now, budget }) => {
      const r = await runReminders(now, { budget });
      return { ...r, processed: r.claimed - r.released };
    },
    continuation: 'next-run',
    // Shorter than the one-minute schedule: runs do not pile up against the function's reserved
    // concurrency, and normally one container sends at a time (the send-rate limiter is per container).
    budgetCapMs: 50_000,
    metrics: (o) => [
      count('RemindersDue', o.due),
      count('RemindersDelivered', o.delivered),
      count('RemindersEmailed', o.emailed),
      count('RemindersGaveUp', o.gaveUp),
      count('RemindersRetried', o.retried),
      count('RemindersRequeued', o.throttled),
      count('RemindersFailed', o.failed),
      { name: 'OldestDueReminderAgeSeconds', unit: 'Seconds', value: Number(o.oldestDueAgeSeconds) || 0 },
    ],
  },
  /** Due webhook deliveries: retries with backoff, dead letters, auto-disable (functions/webhooks/retry.ts). */
  webhooks: {
    run: async ({ now, budget, onItemError }) => runWebhookRetries(now, { budget, onItemError }),
    continuation: 'next-run',
    budgetCapMs: 50_000,
    metrics: (o) => [count('WebhookDeliveriesDue', o.due), count('WebhookDeliveriesDelivered', o.delivered), count('WebhookDeliveriesRetried', o.retried), count('WebhookDeliveriesDead', o.dead), count('WebhooksDisabled', o.disabled), count('WebhookDeliveriesFailed', o.failed)],
  },
  /** Marketing campaigns: audience into the ledger, then at most one email per address (functions/marketing/send.ts). */
  campaigns: {
    run: async ({ now, budget }) => {
      const r = await runCampaigns(now, { budget });
      return { ...r, processed: r.sent + r.skippedConsent + r.skippedSuppressed + r.failed, failed: 0 };
    },
    continuation: 'next-run',
    // Shorter than the one-minute schedule, like reminders: normally one container sends at a time.
    budgetCapMs: 50_000,
    metrics: (o) => [
      count('CampaignRecipientsAdded', o.recipientsAdded), count('CampaignRecipientsExcluded', o.excluded), count('CampaignExclusionsTooLarge', o.exclusionsTooLarge), count('CampaignEmailsSent', o.sent), count('CampaignSkippedConsent', o.skippedConsent),
      count('CampaignSkippedSuppressed', o.skippedSuppressed), count('CampaignSendFailures', o.failed), count('CampaignUnconfirmed', o.unconfirmed),
    ],
  },
  /** SLA warnings and breaches of tickets: each level escalated once (functions/tickets/escalation.ts). */
  sla: {
    run: async ({ now, budget, onItemError }) => runSla(now, { budget, onItemError }),
    continuation: 'next-run',
    budgetCapMs: 50_000,
    metrics: (o) => [count('TicketsDue', o.due), count('SlaWarnings', o.warnings), count('SlaBreaches', o.breaches), count('SlaNotified', o.notified), count('SlaEmailFailed', o.emailFailed), count('ItemsFailed', o.failed)],
  },
  /** Ticket replies whose email was never confirmed sent: each resent once (functions/tickets/email-retry.ts). */
  'ticket-emails': {
    run: async ({ now, budget, onItemError }) => runTicketEmailRetries(now, { budget, onItemError }),
    continuation: 'next-run',
    budgetCapMs: 240_000,
    metrics: (o) => [count('TicketEmailsResent', o.resent), count('TicketEmailResendFailed', o.resendFailed), count('ItemsFailed', o.failed)],
  },
  /** Service anniversaries, warranty ending, dormant customers: daily, continued until done. */
  'service-anniversaries': {
    run: async ({ now, budget, onItemError }) => runServiceAnniversaries(now, { budget, onItemError }),
    continuation: 'pending',
    metrics: proactiveMetrics,
  },
  'warranty-ending': {
    run: async ({ now, budget, onItemError }) => runWarrantyEnding(now, { budget, onItemError }),
    continuation: 'pending',
    metrics: proactiveMetrics,
  },
  'dormant-customers': {
    run: async ({ now, budget, onItemError }) => runDormantCustomers(now, { budget, onItemError }),
    continuation: 'pending',
    metrics: (o) => [...proactiveMetrics(o), count('CustomersSynced', o.synced)],
  },
  /** Contract renewal tasks (one per contract end) and expiry (functions/contracts/jobs.ts). */
  'contract-renewals': {
    run: async ({ now, budget, onItemError }) => runContractRenewals(now, { budget, onItemError }),
    continuation: 'pending',
    metrics: (o) => [...proactiveMetrics(o), count('ContractsExpired', o.expired)],
  },
};

/** The jobs the `continue-jobs` tick looks after. */
export const PENDING_JOBS = Object.entries(JOBS).filter(([, def]) => def.continuation === 'pending').map(([name]) => name);
