import { Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { EXPORT_STREAM_FILTER } from '../../functions/exports/storage';

export interface ExportWorkerTriggerProps {
  table: ITable;
  /** The `exports-worker` feature function. */
  worker: IFunction;
}

/** Attempts of one step's invocation before the mapping moves on (the step itself counts failures too). */
export const EXPORT_WORKER_RETRY_ATTEMPTS = 5;

/**
 * Starts and continues on-demand exports: the table stream, filtered to export items that still
 * have work (EXPORT_STREAM_FILTER, which the local stream poller applies too), invokes the worker
 * one record at a time. Each step ends with a conditional update of the item, whose stream record
 * is the next step's trigger (functions/exports/worker.ts) — the managed event source mapping does
 * the chaining, retrying and ordering; nothing polls, nothing invokes itself. It is the table
 * stream's second reader (with the outbox publisher), within DynamoDB's two-readers-per-shard
 * guidance. TRIM_HORIZON: an export started during a deployment is picked up afterwards.
 */
export class ExportWorkerTrigger extends Construct {
  constructor(scope: Construct, id: string, props: ExportWorkerTriggerProps) {
    super(scope, id);
    props.worker.addEventSource(new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 1,
      retryAttempts: EXPORT_WORKER_RETRY_ATTEMPTS,
      filters: [FilterCriteria.filter(EXPORT_STREAM_FILTER as unknown as Record<string, unknown>)],
    }));
    if (props.worker.role) {
      Validations.of(props.worker.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The DynamoDB stream grant includes dynamodb:ListStreams, which AWS only defines on resource "*" (it lists stream ARNs, no data); record reads are granted on this table\'s stream ARN only.',
      });
    }
  }
}
