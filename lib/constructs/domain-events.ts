import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { FilterCriteria, StartingPosition, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { EVENT_SOURCE, OUTBOX_STREAM_FILTER } from '../../functions/events/outbox';

/**
 * The EventBridge bus that carries CRM domain events (`customer.created`, …) to ERP and other
 * systems, with a 30-day archive so consumers can replay. Name generated per stage.
 */
export class DomainEventBus extends Construct {
  readonly bus: EventBus;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { description: 'CRM domain events' });
    this.bus.archive('Archive', {
      description: 'Replayable copy of CRM domain events',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(30),
    });
  }
}

export interface OutboxPublisherProps {
  table: ITable;
  /** The `events-publisher` feature function. */
  publisher: IFunction;
  removalPolicy: RemovalPolicy;
}

/**
 * Wires the transactional outbox: the table stream, filtered to new audit items
 * (OUTBOX_STREAM_FILTER, the same filter the local poller applies), feeds the publisher.
 * Failed records are retried, a failing batch is bisected to isolate the bad record, partial
 * failures are reported per item, and records that still fail land in an encrypted, TLS-only
 * dead-letter queue, so no event is lost silently. TRIM_HORIZON: after a deployment or outage
 * the publisher starts from the oldest unread record, not from "now".
 */
export class OutboxPublisher extends Construct {
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: OutboxPublisherProps) {
    super(scope, id);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination (Lambda on-failure destination) of the outbox stream consumer; records in it are inspected and redriven by an operator.',
    });

    props.publisher.addEventSource(new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: 10,
      onFailure: new SqsDlq(this.deadLetterQueue),
      filters: [FilterCriteria.filter(OUTBOX_STREAM_FILTER)],
    }));
    if (props.publisher.role) {
      Validations.of(props.publisher.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The DynamoDB stream grant includes dynamodb:ListStreams, which AWS only defines on resource "*" (it lists stream ARNs, no data); record reads are granted on this table\'s stream ARN only. X-Ray actions are the only other actions on "*".',
      });
    }
  }
}
