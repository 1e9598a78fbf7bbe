/**
 * Scheduled jobs. EventBridge (or the local scheduler) invokes this with `{ job, time }`; each job
 * takes "now" from `time`, so a run can be replayed as if at any moment, and every job is safe to
 * run twice.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { SCHEDULES } from '../api/schedules';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { runReminders } from '../tasks/reminders';
import { PROACTIVE_JOBS } from '../settings/proactive-jobs';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm-jobs' });

export interface JobEvent {
  job: string;
  time?: string;
}

type Job = (now: Date) => Promise<Record<string, unknown>>;

const JOBS: Record<string, Job> = {
  /** Records the last run; only moves forward, so a replayed or late run cannot move it back. */
  heartbeat: async (now) => {
    try {
      await ddb().send(
        new PutCommand({
          TableName: config().tableName,
          Item: { ...keys.system.heartbeat(), kind: 'system', lastRunAt: now.toISOString() },
          ConditionExpression: 'attribute_not_exists(lastRunAt) OR lastRunAt < :now',
          ExpressionAttributeValues: { ':now': now.toISOString() },
        }),
      );
      return { recorded: true };
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return { recorded: false };
      throw err;
    }
  },
  /** Due task reminders: email + in-app notification, each exactly once (functions/tasks/reminders.ts). */
  reminders: (now) => runReminders(now),
  /** Service anniversaries, warranty ending, dormant customers (functions/settings/proactive-jobs.ts). */
  ...PROACTIVE_JOBS,
};

for (const schedule of SCHEDULES) {
  if (!JOBS[schedule.name]) throw new Error(`Schedule ${schedule.name} has no job`);
}

export const handler = async (event: JobEvent) => {
  const job = JOBS[event.job];
  if (!job) throw new Error(`Unknown job: ${event.job}`);
  const now = event.time ? new Date(event.time) : new Date();
  if (Number.isNaN(now.getTime())) throw new Error(`Invalid time: ${event.time}`);
  const result = await job(now);
  logger.info('job finished', { job: event.job, now: now.toISOString(), ...result });
  return { job: event.job, now: now.toISOString(), ...result };
};
