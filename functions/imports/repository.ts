/**
 * The import job item and its reads. One item per import (`IMP#<id>` / `#IMPORT`) holds what was
 * asked (entity, mapping, dedupe mode, encoding), the importer (whose permissions the rows are
 * written with), the file's header, and the checkpoint: the byte offset after the last row whose
 * effects are committed, the row number there, and the counts up to it. Each worker step moves
 * `step` forward with one conditional update carrying the new checkpoint and counts, so a repeated
 * or stale step cannot apply twice (functions/imports/worker.ts).
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { setRemoveExpression, withoutKeys } from '../data/records';
import type { Role } from '../security/permissions';
import type { Action } from '../security/permissions';
import type { ImportEntity } from '../../schemas/imports';
import type { Delimiter, Encoding } from './csv';

/** The `kind` of import job items; the worker's stream filter selects on it. */
export const IMPORT_JOB_KIND = 'import-job';

export type ImportState = 'awaiting-upload' | 'queued' | 'running' | 'succeeded' | 'failed';
export type DedupeMode = 'skip' | 'update' | 'create';

export interface ImportCounts {
  read: number;
  created: number;
  updated: number;
  skipped: number;
  rejected: number;
}

/** Who the rows are written as: the importer, with the role they had when they started it. */
export interface Importer {
  userId: string;
  role: Role;
  email?: string;
  apiKeyId?: string;
  scopes?: Action[];
}

export interface ImportJob {
  id: string;
  entity: ImportEntity;
  /** entity list-members: the static list the rows' contacts join. */
  listId?: string;
  state: ImportState;
  dedupe: DedupeMode;
  encoding: Encoding;
  delimiter: Delimiter | 'auto';
  mapping: Record<string, string>;
  importer: Importer;
  createdBy: string;
  /** Object key of the uploaded CSV. */
  fileKey: string;
  /** Set by start: the header as read, the delimiter used and where the data rows begin. */
  headers?: string[];
  delimiterUsed?: Delimiter;
  /** Increments with every step; the stream record of a step names it. */
  step: number;
  /** Failed attempts of the current step. */
  attempts: number;
  /** Step 0 checks the file's encoding before anything is written. */
  encodingChecked?: boolean;
  /** File size in bytes (from the encoding check). */
  bytes?: number;
  /** Checkpoint: the next chunk starts at this byte offset, with this row number. */
  offset: number;
  row: number;
  /** Set when a chunk starts at `offset`: a step that finds it set there is a replay (recovery mode). */
  chunkStartedAt?: number;
  counts: ImportCounts;
  /** Numbers of the chunk files of rejected rows (`rejected/part-<n>.csv`), assembled when done. */
  rejectedParts: number[];
  /** The assembled rejected-rows file. */
  rejectedKey?: string;
  error?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  completedAt?: string;
  /** Job items expire (TTL) a while after they end; the files expire with the bucket's rule. */
  expiresAt?: number;
}

const table = () => config().tableName;

export const storedJob = (job: ImportJob) => ({
  ...keys.importJob.primary(job.id),
  ...keys.importJob.byCreator(job.createdBy, job.id),
  ...keys.importJob.all(job.id),
  kind: IMPORT_JOB_KIND,
  ...job,
});

export async function getJob(id: string): Promise<ImportJob | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.importJob.primary(id), ConsistentRead: true }));
  return out.Item ? withoutKeys<ImportJob>(out.Item) : undefined;
}

/** Whether an item exists (a list-members import's list), read consistently. */
export async function recordExists(key: { pk: string; sk: string }): Promise<boolean> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true, ProjectionExpression: 'pk' }));
  return out.Item !== undefined;
}

/**
 * One page of imports, newest first (ids sort by creation time): everyone's (gsi2 `IMPORTS`) or one
 * creator's (gsi1 `IMPORTS#USER#<id>`). One Query.
 */
export async function queryJobs(creator: string | undefined, limit: number, startKey: Record<string, unknown> | undefined) {
  const [index, partition] = creator === undefined ? ['gsi2', keys.importJob.allPartition] : ['gsi1', keys.importJob.creatorPartition(creator)];
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: index,
    KeyConditionExpression: `${index}pk = :pk`,
    ExpressionAttributeValues: { ':pk': partition },
    ScanIndexForward: false,
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<ImportJob>(i)), lastKey: out.LastEvaluatedKey };
}

/**
 * Sets `changes` on the job when `condition` holds (one UpdateItem). With `advance`, the step moves
 * from `expectedStep` on (the stream record of that write is the next step's trigger); without,
 * the step must still be `expectedStep`. Answers false when the condition failed.
 */
export async function updateJob(id: string, expected: { step?: number; state?: ImportState }, changes: Partial<ImportJob>, advance = true): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const conditions: string[] = ['attribute_exists(pk)'];
  if (expected.step !== undefined) {
    names['#step'] = 'step';
    values[':expected'] = expected.step;
    conditions.push('#step = :expected');
    if (advance) {
      values[':next'] = expected.step + 1;
      sets.push('#step = :next');
    }
  }
  if (expected.state !== undefined) {
    names['#state'] = 'state';
    values[':expectedState'] = expected.state;
    conditions.push('#state = :expectedState');
  }
  const expression = setRemoveExpression(changes, names, values, sets);
  try {
    await ddb().send(new UpdateCommand({
      TableName: table(),
      Key: keys.importJob.primary(id),
      UpdateExpression: expression,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    }));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}
