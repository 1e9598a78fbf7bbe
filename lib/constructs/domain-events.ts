import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { EventBus, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  type DlqDestinationConfig, FilterCriteria, type IEventSourceDlq, type IEventSourceMapping,
  type IFunction, MetricType, StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { EVENT_SOURCE, OUTBOX_STREAM_FILTER } from '../../functions/events/outbox';
import { DELIVERY_RULE_PATTERN } from '../../functions/webhooks/rule';

/**
 * The EventBridge bus that carries CRM domain events (`customer.created`, …) to ERP and other
 * systems, with a 30-day archive so consumers can replay — and webhooks be redelivered for a time
 * range (docs/webhooks.md, "Replaying a time range"). Name generated per stage.
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
  /** Where batches the publisher gave up on are kept, whole (FailedEventsBucket). */
  failedEvents: IBucket;
}

/**
 * An S3 on-failure destination granting only what Lambda needs to write the record
 * (s3:PutObject on objects, s3:ListBucket on the bucket) — CDK's own S3OnFailureDestination
 * grants read-write, including reads and deletes the publisher never needs.
 */
class S3FailureRecords implements IEventSourceDlq {
  constructor(private readonly bucket: IBucket) {}

  bind(_target: IEventSourceMapping, handler: IFunction): DlqDestinationConfig {
    handler.addToRolePolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')] }));
    handler.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }));
    return { destination: this.bucket.bucketArn };
  }
}

/** Attempts per stream record before its batch goes to the failure bucket. */
export const PUBLISHER_RETRY_ATTEMPTS = 10;

/**
 * Wires the transactional outbox: the table stream, filtered to new audit items
 * (OUTBOX_STREAM_FILTER, the same filter the local poller applies), feeds the publisher.
 * Failed records are retried, a failing batch is bisected to isolate the bad record, partial
 * failures are reported per item, and batches that still fail are written whole — stream records
 * included — to the failed-events bucket, where `npm run redrive` finds them; no event is lost
 * silently, and none expires with the stream's 24 h. TRIM_HORIZON: after a deployment or outage
 * the publisher starts from the oldest unread record, not from "now". Event-count metrics on the
 * mapping let the monitoring stack alarm on any record sent to the failure destination.
 */
export class OutboxPublisher extends Construct {
  /** UUID of the stream mapping: the `EventSourceMappingUUID` dimension of its metrics. */
  readonly mappingId: string;

  constructor(scope: Construct, id: string, props: OutboxPublisherProps) {
    super(scope, id);

    const source = new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      retryAttempts: PUBLISHER_RETRY_ATTEMPTS,
      onFailure: new S3FailureRecords(props.failedEvents),
      filters: [FilterCriteria.filter(OUTBOX_STREAM_FILTER)],
      metricsConfig: { metrics: [MetricType.EVENT_COUNT] },
    });
    props.publisher.addEventSource(source);
    this.mappingId = source.eventSourceMappingId;
    if (props.publisher.role) {
      Validations.of(props.publisher.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The DynamoDB stream grant includes dynamodb:ListStreams, which AWS only defines on resource "*" (it lists stream ARNs, no data); record reads are granted on this table\'s stream ARN only.',
      });
    }
  }
}

export interface WebhookDeliveryProps {
  bus: IEventBus;
  /** The `webhooks-deliverer` feature function. */
  deliverer: IFunction;
  removalPolicy: RemovalPolicy;
}

/**
 * Outbound webhooks: a rule on the bus (DELIVERY_RULE_PATTERN: every CRM event) targets the
 * deliverer, which fans each event out to the matching webhooks and makes the first attempts.
 * EventBridge retries an invocation it could not make for 24 h and then puts the event in the
 * rule's dead-letter queue; Lambda retries a failed asynchronous run twice. Later attempts are the
 * `webhooks` schedule row's (functions/webhooks/retry.ts), from delivery items in the table: a
 * retry schedule of 24 h needs delays beyond SQS's 15-minute maximum and a per-delivery log anyway,
 * and a due index read every minute costs one empty Query when nothing is due.
 */
export class WebhookDelivery extends Construct {
  readonly rule: Rule;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the webhook rule target; the events in it can also be replayed from the bus archive.',
    });
    this.rule = new Rule(this, 'Rule', {
      eventBus: props.bus,
      description: 'Every CRM domain event to the webhooks deliverer',
      eventPattern: { source: [...DELIVERY_RULE_PATTERN.source] },
      targets: [new LambdaFunction(props.deliverer, { retryAttempts: 185, maxEventAge: Duration.hours(24), deadLetterQueue: this.deadLetters })],
    });
    props.deliverer.configureAsyncInvoke?.({ retryAttempts: 2 });
  }
}
