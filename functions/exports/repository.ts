/**
 * The export job item and its reads. One item per export (`EXP#<id>` / `#EXPORT`) holds what was
 * asked, how far the worker got (the resume point: entity, source partition, the Query's
 * LastEvaluatedKey, next part number) and every file written. Each step of the worker moves
 * `step` forward with a conditional update, so a duplicate or retried step cannot apply twice.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { setRemoveExpression, withoutKeys } from '../data/records';
import { ConditionsFailed, Transaction } from '../data/transaction';
import type { IndexQuery } from '../data/query';
import type { ExportEntity } from '../../schemas/exports';

/** The `kind` of export job items; the worker's stream filter selects on it. */
export const EXPORT_JOB_KIND = 'export-job';

export type ExportState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface ExportFileItem {
  entity: ExportEntity;
  part: number;
  key: string;
  rows: number;
  bytes: number;
}

/** Where the next step starts. */
export interface ExportCursor {
  /** Index into `entities`. */
  entity: number;
  /** Index into the entity's source partitions (customers: live, then archived). */
  source: number;
  /** LastEvaluatedKey of the last page written (absent: the source's start). */
  startKey?: Record<string, unknown>;
  /** Number of the next file of this entity (1-based). */
  part: number;
}

export interface ExportJob {
  id: string;
  state: ExportState;
  format: 'csv' | 'parquet';
  entities: ExportEntity[];
  /** Personal data masked with the API's maskers (the creator lacks pii:read for every record). */
  masked: boolean;
  createdBy: string;
  /** Increments with every step; the stream record of a step names it. */
  step: number;
  /** Failed attempts of the current step. */
  attempts: number;
  cursor: ExportCursor;
  files: ExportFileItem[];
  error?: string;
  createdAt: string;
  updatedAt: string;
  completedAt?: string;
  /** A list export (functions/exports/list-export.ts): the list's own Query instead of the whole entity. */
  list?: ListExportSpec;
  /** CSV files start with a UTF-8 byte-order mark (Excel). */
  bom?: boolean;
}

/**
 * What a list export reads: the one index Query its list route planned for the caller (filters and
 * row-level scope included; absent = the list is empty for them), and the caller's `pii:read`
 * scope, applied per row as the list route applies it (`own`: in clear only the rows they own).
 */
export interface ListExportSpec {
  source?: IndexQuery;
  pii: 'all' | 'own' | 'none';
}

const table = () => config().tableName;

export const storedJob = (job: ExportJob) => ({
  ...keys.exportJob.primary(job.id),
  ...keys.exportJob.byCreator(job.createdBy, job.id),
  kind: EXPORT_JOB_KIND,
  ...job,
});

export async function getJob(id: string): Promise<ExportJob | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.exportJob.primary(id), ConsistentRead: true }));
  return out.Item ? withoutKeys<ExportJob>(out.Item) : undefined;
}

/** One page of a user's exports, newest first (gsi1). */
export async function queryJobsOf(userId: string, limit: number, startKey: Record<string, unknown> | undefined) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.exportJob.creatorPartition(userId) },
    ScanIndexForward: false,
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<ExportJob>(i)), lastKey: out.LastEvaluatedKey };
}

/**
 * Moves the job from `expectedStep` to the next step with the given changes (one UpdateItem,
 * conditioned on the step: a stale or repeated worker invocation changes nothing) — with `audit`,
 * in one transaction with that audit entry (the last step's `export.completed` / `export.failed`).
 * Answers false when the condition failed.
 */
export async function advanceJob(id: string, expectedStep: number, changes: Partial<ExportJob>, audit?: Record<string, unknown>): Promise<boolean> {
  const names: Record<string, string> = { '#step': 'step' };
  const values: Record<string, unknown> = { ':expected': expectedStep, ':next': expectedStep + 1 };
  const expression = setRemoveExpression(changes, names, values, ['#step = :next']);
  const condition = { expression: '#step = :expected', names: { '#step': 'step' }, values: { ':expected': expectedStep } };
  try {
    if (audit) {
      await new Transaction()
        .update('export', keys.exportJob.primary(id), { expression, names, values }, condition)
        .put('audit', audit)
        .commit();
      return true;
    }
    await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.exportJob.primary(id),
      UpdateExpression: expression,
      ConditionExpression: condition.expression,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }));
    return true;
  } catch (error) {
    if (error instanceof ConditionsFailed) return false;
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
