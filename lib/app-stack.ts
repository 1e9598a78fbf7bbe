import { CfnOutput, Duration, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { FEATURES, FEATURE_NAMES, type FeatureDef, type FeatureName } from '../functions/api/features';
import { ROUTES } from '../functions/api/routes';
import { SCHEDULES } from '../functions/api/schedules';
import type { CrmConfig } from './config';
import type { DataStack } from './data-stack';
import { DocsSignInClient } from './constructs/auth';
import { OutboxPublisher, WebhookDelivery } from './constructs/domain-events';
import { CampaignEmailEvents } from './constructs/campaign-email-events';
import { ExportWorkerTrigger } from './constructs/export-worker';
import { ImportWorkerTrigger } from './constructs/import-worker';
import { FeatureFunction } from './constructs/feature-function';
import { InboundMailReceipt } from './constructs/inbound-mail';
import { CrmHttpApi } from './constructs/http-api';
import { Schedules } from './constructs/schedules';
import { SmsInbound } from './constructs/sms-inbound';

export interface AppStackProps extends StackProps {
  config: CrmConfig;
  data: DataStack;
}

/** Features whose functions live in the app stack (all but the data stack's Cognito triggers). */
export const APP_STACK_FEATURES = FEATURE_NAMES.filter((name) => (FEATURES[name] as FeatureDef).stack !== 'data');

/** Retries Lambda makes of a failed asynchronous jobs invocation before the failure queue. */
export const JOBS_ASYNC_RETRIES = 2;

/**
 * The stateless half of a stage (`Crm-<stage>-App`): the HTTP API (its routes are in
 * `Crm-<stage>-Routes`, lib/routes-stack.ts), one function per feature, the
 * outbox publisher's stream mapping and the schedules. It only composes role-named constructs;
 * what exists is decided by the data tables in functions/ (FEATURES, ROUTES, SCHEDULES) and what
 * differs between stages by CrmConfig. Deleting and recreating it loses nothing.
 */
export class AppStack extends Stack {
  readonly functions: Record<FeatureName, FeatureFunction>;
  readonly api: CrmHttpApi;
  readonly outbox: OutboxPublisher;
  readonly schedules: Schedules;
  /** Where an asynchronous invocation (jobs, inbound mail, SES events, inbound SMS) goes after its retries failed. */
  readonly jobFailures: Queue;
  /** The campaign email configuration set and its SES events rule (with its dead-letter queue). */
  readonly campaignEmail: CampaignEmailEvents;
  /** The SNS topic End User Messaging SMS publishes inbound messages to (set it as the number's two-way channel). */
  readonly smsInbound: SmsInbound;
  /** The `/docs` page's sign-in client (callback: this API's `/docs`). */
  readonly docsSignIn: DocsSignInClient;
  /** SES receiving for the support address (only with the `supportEmail` setting). */
  readonly inboundMail?: InboundMailReceipt;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);
    const { config, data } = props;

    const functions = {} as Record<FeatureName, FeatureFunction>;
    for (const name of APP_STACK_FEATURES) {
      functions[name] = new FeatureFunction(this, `Feature-${name}`, {
        name,
        feature: FEATURES[name],
        resources: {
          table: data.data,
          eventBus: data.events.bus,
          exportsBucket: data.exports.bucket,
          exportsBucketArnExport: data.exportsBucketArnExport,
          attachmentsBucket: data.attachments.bucket,
          attachmentsBucketArnExport: data.attachmentsBucketArnExport,
          inboundMailBucket: data.inboundMail.bucket,
          inboundMailBucketArnExport: data.inboundMailBucketArnExport,
          supportEmail: config.supportEmail,
          cursorSecret: data.cursorSecret.secret,
          senderEmail: config.senderEmail,
          senderIdentities: config.senderIdentities,
          smsOriginationIdentity: config.smsOriginationIdentity,
        },
        stage: config.stage,
        logLevel: config.logLevel,
        settings: { businessTimeZone: config.businessTimeZone, appBaseUrl: config.appBaseUrl, apiKeyRateLimitPerMinute: config.apiKeyRateLimitPerMinute },
        logRetention: config.logRetentionDays,
        removalPolicy: config.removalPolicy,
        // Bounds overlapping job runs (a slow run and the next minute's) and what jobs can take
        // from the account's concurrency; 0 = nothing reserved (new accounts with a limit of 10).
        reservedConcurrency: name === 'jobs' && config.jobsReservedConcurrency > 0 ? config.jobsReservedConcurrency : undefined,
      });
    }
    for (const name of Object.keys(data.functions) as FeatureName[]) functions[name] = data.functions[name]!;
    this.functions = functions;

    // The API and its stage; its routes are in the routes stack (lib/routes-stack.ts).
    this.api = new CrmHttpApi(this, 'Http', {
      corsOrigins: config.corsOrigins,
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      logRetention: config.logRetentionDays,
      removalPolicy: config.removalPolicy,
    });

    // The docs page signs in as its own client, whose callback is this API's /docs; the system
    // function names it, and the user pool domain, to the page and in the OpenAPI document.
    this.docsSignIn = new DocsSignInClient(this, 'DocsSignIn', { userPool: data.auth.userPool, docsUrl: `${this.api.url}docs` });
    functions.system.fn.addEnvironment('AUTH_DOMAIN_URL', data.auth.domainUrl);
    functions.system.fn.addEnvironment('DOCS_CLIENT_ID', this.docsSignIn.client.userPoolClientId);
    // Problem `type` URIs name this API's own pages (GET /problems/{type}). The API resource does
    // not depend on any function (integrations and routes do), so this is no cycle.
    const problemBaseUrl = config.problemBaseUrl ?? `${this.api.url}problems/`;
    for (const name of APP_STACK_FEATURES) functions[name].fn.addEnvironment('PROBLEM_BASE_URL', problemBaseUrl);
    // The unsubscribe link in campaign emails (functions/marketing/token.ts) points at this API.
    functions.jobs.fn.addEnvironment('PUBLIC_API_URL', this.api.url);

    // Where an asynchronous invocation goes once Lambda's retries have failed (jobs, inbound mail,
    // SES events, inbound SMS): one alarmed queue, replayed by an operator (docs/operations.md).
    this.jobFailures = new Queue(this, 'JobFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.jobFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the on-failure destination of asynchronous invocations (jobs, inbound mail, SES events, inbound SMS); a message in it raises an alarm and is inspected and replayed by an operator (docs/operations.md).',
    });
    // Campaign email goes out with its own configuration set, whose SES events come back through
    // EventBridge's default bus to the ses-events function (the feedback loop).
    const campaignEmail = this.campaignEmail = new CampaignEmailEvents(this, 'CampaignEmail', {
      handler: functions['ses-events'].fn,
      senders: [functions.jobs.fn],
      // A bounce or complaint the function failed to apply must not be lost: suppression depends on it.
      onFailure: new SqsDestination(this.jobFailures),
      trackingDomain: config.sesTrackingDomain,
      removalPolicy: config.removalPolicy,
    });
    functions.jobs.fn.addEnvironment('CAMPAIGN_CONFIGURATION_SET', campaignEmail.configurationSet.configurationSetName);
    // The sign-up confirmation link (functions/marketing/signup.ts) points at this API.
    functions.signup.fn.addEnvironment('PUBLIC_API_URL', this.api.url);
    // Replies to the SMS number (STOP) arrive on the two-way topic and go to the sms-inbound handler.
    this.smsInbound = new SmsInbound(this, 'SmsInbound', { handler: functions['sms-inbound'].fn });
    // SNS invokes it asynchronously: a STOP the function failed to apply (after Lambda's retries)
    // is kept in the failure queue, and `npm run replay:marketing -- sms-inbound` applies it.
    functions['sms-inbound'].fn.configureAsyncInvoke({
      retryAttempts: JOBS_ASYNC_RETRIES,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.jobFailures),
    });
    // The satisfaction survey's rating links (functions/service-desk/csat.ts), sent when a ticket is resolved.
    functions.tickets.fn.addEnvironment('PUBLIC_API_URL', this.api.url);

    const failedEventsExport = data.failedEventsBucketArnExport;
    this.outbox = new OutboxPublisher(this, 'Outbox', {
      table: data.data.table,
      publisher: functions['events-publisher'].fn,
      failedEvents: Bucket.fromBucketArn(this, 'FailedEvents', Fn.importValue(failedEventsExport)),
    });
    Validations.of(functions['events-publisher'].role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${failedEventsExport}/*]`,
      reason: 'Lambda writes each failed stream batch as a new object whose key (mapping id, shard, time, uuid) is only known at run time; the grant is s3:PutObject in the dedicated failed-events bucket only.',
    });

    // Inbound email, when a support address is configured: SES → inbound bucket → inbound-mail function.
    // Lambda retries a failed asynchronous invocation twice (outages only: unreadable mail succeeds), then the failure queue.
    if (config.supportEmail) {
      this.inboundMail = new InboundMailReceipt(this, 'InboundMail', { recipient: config.supportEmail, bucket: data.inboundMail.bucket, handler: functions['inbound-mail'].fn });
    }

    new ExportWorkerTrigger(this, 'ExportWorker', { table: data.data.table, worker: functions['exports-worker'].fn });
    new ImportWorkerTrigger(this, 'ImportWorker', { table: data.data.table, worker: functions['imports-worker'].fn });

    new WebhookDelivery(this, 'Webhooks', { bus: data.events.bus, deliverer: functions['webhooks-deliverer'].fn, removalPolicy: config.removalPolicy });

    // Scheduler invokes the jobs function asynchronously: function errors are retried by Lambda,
    // then recorded in the failure queue, never dropped silently. Jobs are safe to run twice.
    functions.jobs.fn.configureAsyncInvoke({
      retryAttempts: JOBS_ASYNC_RETRIES,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(this.jobFailures),
    });
    // SES invokes inbound-mail asynchronously too: an invocation that still fails after Lambda's
    // retries (S3 or DynamoDB out; unreadable mail never fails) is recorded in the same queue; the
    // raw mail stays in the inbound bucket for a re-run (docs/service.md).
    functions['inbound-mail'].fn.configureAsyncInvoke({
      retryAttempts: JOBS_ASYNC_RETRIES,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.jobFailures),
    });

    this.schedules = new Schedules(this, 'Schedules', {
      schedules: SCHEDULES,
      target: functions.jobs.fn,
      timeZone: config.businessTimeZone,
      removalPolicy: config.removalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the CRM HTTP API' });
  }
}
