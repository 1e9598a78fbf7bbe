/**
 * Scheduled jobs. EventBridge Scheduler (or the local scheduler) invokes this with `{ job, time }`;
 * each job takes "now" from `time`, so a run can be replayed as if at any moment, and every job is
 * safe to run twice. Each run gets a time budget from the invocation's remaining time
 * (functions/jobs/budget.ts) and reports `more: true` when it stopped with work left; how that work
 * continues is the job table's business (functions/jobs/registry.ts).
 */
import type { Context } from 'aws-lambda';
import { SCHEDULES } from '../api/schedules';
import { ALL_JOBS, budgetFor, runJob } from './runner';

export interface JobEvent {
  job: string;
  time?: string;
}

for (const schedule of SCHEDULES) {
  if (!ALL_JOBS[schedule.name]) throw new Error(`Schedule ${schedule.name} has no job`);
}

export const handler = async (event: JobEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => {
  if (!ALL_JOBS[event.job]) throw new Error(`Unknown job: ${event.job}`);
  const now = event.time ? new Date(event.time) : new Date();
  if (Number.isNaN(now.getTime())) throw new Error(`Invalid time: ${event.time}`);
  return runJob(event.job, now, budgetFor(event.job, context));
};
