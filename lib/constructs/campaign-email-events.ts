import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IDestination, IFunction } from 'aws-cdk-lib/aws-lambda';
import { ConfigurationSet, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The SES events campaign email publishes (functions/marketing/feedback.ts decides what each changes). */
export const CAMPAIGN_EMAIL_EVENTS = [
  EmailSendingEvent.SEND, EmailSendingEvent.DELIVERY, EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT,
  EmailSendingEvent.OPEN, EmailSendingEvent.CLICK, EmailSendingEvent.REJECT,
] as const;

/** Their EventBridge detail-types (SES on the default bus). */
export const CAMPAIGN_EMAIL_DETAIL_TYPES = ['Email Sent', 'Email Delivered', 'Email Bounced', 'Email Complaint Received', 'Email Opened', 'Email Clicked', 'Email Rejected'] as const;

export interface CampaignEmailEventsProps {
  /** The `ses-events` feature function (the rule's target). */
  handler: IFunction;
  /** Functions that send campaign email with this configuration set (the jobs function). */
  senders: IGrantable[];
  /** Custom redirect domain for open and click tracking; default SES's own (config `sesTrackingDomain`). */
  trackingDomain?: string;
  /**
   * Where an event goes when the function still fails after Lambda's two retries (the target's
   * dead-letter queue only takes events EventBridge could not hand to Lambda at all).
   */
  onFailure?: IDestination;
  removalPolicy: RemovalPolicy;
}

/**
 * The feedback loop of campaign email. A configuration set (generated name) with reputation
 * metrics and an event destination that publishes send, delivery, bounce, complaint, open, click
 * and reject events to EventBridge — SES supports only the account's **default** bus as an
 * EventBridge destination, so the rule lives there, matching `source: aws.ses`, those
 * detail-types and this configuration set's name (`mail.tags.ses:configuration-set`), and targets
 * the `ses-events` function. Open and click tracking is on because the destination takes open and
 * click events (SES adds the tracking pixel and rewrites links of mail sent with the set); links go
 * through `trackingDomain` when given. EventBridge retries an invocation it could not make for
 * 24 h, then puts the event in the dead-letter queue; Lambda retries a failed run twice. Applying
 * an event twice changes nothing (the handler is idempotent per message and event type).
 */
export class CampaignEmailEvents extends Construct {
  readonly configurationSet: ConfigurationSet;
  readonly rule: Rule;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: CampaignEmailEventsProps) {
    super(scope, id);
    this.configurationSet = new ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      sendingEnabled: true,
      ...(props.trackingDomain ? { customTrackingRedirectDomain: props.trackingDomain } : {}),
    });
    const defaultBus = EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.configurationSet.addEventDestination('ToEventBridge', {
      destination: EventDestination.eventBus(defaultBus),
      events: [...CAMPAIGN_EMAIL_EVENTS],
    });

    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.deadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the SES events rule target; an operator replays its events to the ses-events function (docs/marketing.md).',
    });
    this.rule = new Rule(this, 'Rule', {
      eventBus: defaultBus,
      description: 'SES events of campaign email to the ses-events function',
      eventPattern: {
        source: ['aws.ses'],
        detailType: [...CAMPAIGN_EMAIL_DETAIL_TYPES],
        detail: { mail: { tags: { 'ses:configuration-set': [this.configurationSet.configurationSetName] } } },
      },
      targets: [new LambdaFunction(props.handler, { retryAttempts: 185, maxEventAge: Duration.hours(24), deadLetterQueue: this.deadLetters })],
    });
    props.handler.configureAsyncInvoke?.({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: props.onFailure });

    // Sending with a configuration set is authorised on the set as well as on the identity.
    const configurationSetArn = Stack.of(this).formatArn({ service: 'ses', resource: 'configuration-set', resourceName: this.configurationSet.configurationSetName });
    for (const sender of props.senders) {
      sender.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions: ['ses:SendEmail', 'ses:SendRawEmail'], resources: [configurationSetArn] }));
    }
  }
}
