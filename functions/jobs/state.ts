/**
 * Unfinished daily runs. A daily job that stops on its time budget with work left records the
 * scheduled time it ran for (`pendingTime` on `JOB#<job>` / `STATE`); the `continue-jobs` tick
 * (every few minutes) runs it again for that same time until a run finishes, which clears it.
 *
 * Both writes are conditional so overlapping runs cannot move the marker back: a pending time
 * only moves forward (a newer day's unfinished run covers everything an older one would do), and
 * a finished run only clears a marker for its own time or an older one.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { keys } from '../data/keys';
import { ddb } from '../data/client';
import { batchGetItems } from './batch-get';

const isConditionFailure = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

/** Records that the run for `time` stopped with work left (no-op when a newer run is pending). */
export async function markPending(job: string, time: string): Promise<void> {
  try {
    await ddb().send(new UpdateCommand({
      TableName: config().tableName,
      Key: keys.jobState(job),
      UpdateExpression: 'SET kind = if_not_exists(kind, :kind), pendingTime = :t',
      ConditionExpression: 'attribute_not_exists(pendingTime) OR pendingTime <= :t',
      ExpressionAttributeValues: { ':kind': 'job-state', ':t': time },
    }));
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/** Clears the marker after a run for `time` finished (kept when a newer run is pending). */
export async function clearPending(job: string, time: string): Promise<void> {
  try {
    await ddb().send(new UpdateCommand({
      TableName: config().tableName,
      Key: keys.jobState(job),
      UpdateExpression: 'REMOVE pendingTime',
      ConditionExpression: 'pendingTime <= :t',
      ExpressionAttributeValues: { ':t': time },
    }));
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}

/** The pending scheduled time of each of `jobs` that has one (one BatchGetItem). */
export async function pendingRuns(jobs: readonly string[]): Promise<Map<string, string>> {
  const items = await batchGetItems(jobs.map((job) => keys.jobState(job)), { consistent: true });
  const pending = new Map<string, string>();
  for (const job of jobs) {
    const item = items.find((i) => i.pk === keys.jobState(job).pk);
    if (typeof item?.pendingTime === 'string') pending.set(job, item.pendingTime);
  }
  return pending;
}
