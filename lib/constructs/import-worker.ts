import { Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { IMPORT_STREAM_FILTER } from '../../functions/imports/storage';

export interface ImportWorkerTriggerProps {
  table: ITable;
  /** The `imports-worker` feature function. */
  worker: IFunction;
}

/** Attempts of one step's invocation before the mapping moves on (the step itself counts failures too). */
export const IMPORT_WORKER_RETRY_ATTEMPTS = 5;

/**
 * Starts and continues CSV imports, exactly as ExportWorkerTrigger does for exports: the table
 * stream, filtered to import items that have work (IMPORT_STREAM_FILTER, which the local stream
 * poller applies too), invokes the worker one record at a time; each chunk ends with a conditional
 * update of the item, whose stream record is the next chunk's trigger (functions/imports/worker.ts).
 *
 * This is the table stream's third reader (outbox publisher, export worker, import worker).
 * DynamoDB advises at most two concurrent readers per shard: a third can see GetRecords throttled,
 * which the mappings retry (later delivery, never loss). docs/imports.md, "Trigger", says so and
 * how to fold the two workers into one mapping if that latency ever matters.
 */
export class ImportWorkerTrigger extends Construct {
  constructor(scope: Construct, id: string, props: ImportWorkerTriggerProps) {
    super(scope, id);
    props.worker.addEventSource(new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 1,
      retryAttempts: IMPORT_WORKER_RETRY_ATTEMPTS,
      filters: [FilterCriteria.filter(IMPORT_STREAM_FILTER as unknown as Record<string, unknown>)],
    }));
    if (props.worker.role) {
      Validations.of(props.worker.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The DynamoDB stream grant includes dynamodb:ListStreams, which AWS only defines on resource "*" (it lists stream ARNs, no data); record reads are granted on this table\'s stream ARN only.',
      });
    }
  }
}
