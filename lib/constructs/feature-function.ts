import { Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { FeatureDef, FeatureName } from '../../functions/api/features';
import { featureCode } from '../bundling';
import { tableGrants } from '../grants';
import type { DataTable } from './data-table';

/**
 * CloudWatch namespace of a stage's business metrics (Powertools Metrics, EMF): one per stage, so
 * two stages in one account never add up in one alarm.
 */
export const metricsNamespace = (stage: string): string => `CRM/${stage}`;

/**
 * Everything a feature function may be granted; only what its FeatureDef declares is used. The
 * data stack builds its few functions (Cognito triggers) without the resources they don't need;
 * a feature that declares an access whose resource is missing fails at synth.
 */
export interface FeatureResources {
  table?: DataTable;
  eventBus?: EventBus;
  exportsBucket?: Bucket;
  /** The data stack's export name of the exports bucket's ARN: grants import it by that name (as cdk-nag then names it). */
  exportsBucketArnExport?: string;
  attachmentsBucket?: Bucket;
  /** The data stack's export name of the attachments bucket's ARN. */
  attachmentsBucketArnExport?: string;
  inboundMailBucket?: Bucket;
  /** The data stack's export name of the inbound mail bucket's ARN. */
  inboundMailBucketArnExport?: string;
  /** SUPPORT_EMAIL of the inbound-mail function: the support address or domain (its own mail is never a ticket). */
  supportEmail?: string;
  cursorSecret?: ISecret;
  senderEmail?: string;
  /** Campaign sender identities (config senderIdentities): lower-cased domains or addresses. */
  senderIdentities?: string[];
  /** ARN of the SMS origination identity (config smsOriginationIdentity); SMS features get SendTextMessage on it only. */
  smsOriginationIdentity?: string;
}

export interface FeatureFunctionProps {
  name: FeatureName | string;
  feature: FeatureDef;
  resources: FeatureResources;
  stage: string;
  logLevel: string;
  /** Settings every function reads (functions/config.ts): business time zone, app URL. */
  settings: { businessTimeZone: string; appBaseUrl: string; apiKeyRateLimitPerMinute?: number };
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Concurrency reserved for (and capping) this function; undefined = the account's pool. */
  reservedConcurrency?: number;
}

/**
 * One Lambda function per FEATURES entry, holding every function default in one place:
 * Node.js 24 on arm64 (cheaper and faster to start than x86), minified ESM bundle with the SDK
 * clients bundled in (lib/bundling.ts; source maps are built but not loaded at run time:
 * `--enable-source-maps` costs 15–30 ms of every cold start, docs/performance.md), its own log group with the configured retention,
 * 512 MB and 10 s unless the feature says otherwise (the HTTP API gives up after 30 s anyway).
 *
 * Least privilege by construction: the function's role starts empty (no AWS managed policy) and
 * receives exactly the accesses its feature declares — the table actions it uses, Query on the
 * indexes it reads, writes only in the partitions it owns (dynamodb:LeadingKeys; never Scan), PutEvents on the bus, SES send from the sender address only, PutObject
 * in the exports bucket, read of the cursor-signing secret. Environment variables follow the
 * same declaration, so a function cannot even find a resource it may not use.
 */
export class FeatureFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: FeatureFunctionProps) {
    super(scope, id);
    const { feature, resources } = props;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: logging is granted on this
    // function's log group only, not on every log group in the account.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `crm-${props.name} (${props.stage}): ${feature.description}`,
    });
    this.role.addToPrincipalPolicy(new PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));

    const need = <T>(resource: T | undefined, what: string): T => {
      if (resource === undefined) throw new Error(`Feature ${props.name} declares ${what}, which this stack does not provide`);
      return resource;
    };

    const environment: Record<string, string> = {
      STAGE: props.stage,
      LOG_LEVEL: props.logLevel,
      POWERTOOLS_SERVICE_NAME: `crm-${props.name}`,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(props.stage),
      BUSINESS_TIME_ZONE: props.settings.businessTimeZone,
      APP_BASE_URL: props.settings.appBaseUrl,
      // The API key authorizer counts against it; the apikeys function shows it on keys without their own.
      ...(props.settings.apiKeyRateLimitPerMinute && (props.name === 'apikeys' || props.name === 'apikeys-authorizer')
        ? { API_KEY_RATE_LIMIT_PER_MINUTE: String(props.settings.apiKeyRateLimitPerMinute) } : {}),
    };

    if (feature.table) {
      const table = need(resources.table, 'table access');
      // Functions read their configuration once at cold start (functions/config.ts).
      environment.TABLE_NAME = table.table.tableName;
      // Exactly the actions, indexes and written partitions the feature declares (lib/grants.ts);
      // the local runtime enforces the same statements on every request (local/iam.ts).
      for (const grant of tableGrants(feature, { table: table.table.tableArn, indexes: table.indexArnsByName })) {
        this.role.addToPrincipalPolicy(new PolicyStatement(grant));
      }
    }

    if (feature.publishEvents) {
      const bus = need(resources.eventBus, 'publishEvents');
      bus.grantPutEventsTo(this.role);
      environment.EVENT_BUS_NAME = bus.eventBusName;
    }

    if (feature.cursorSecret) {
      const secret = need(resources.cursorSecret, 'cursorSecret');
      secret.grantRead(this.role);
      environment.CURSOR_SECRET_ARN = secret.secretArn;
    }

    if (feature.sendEmail) {
      const sender = need(resources.senderEmail, 'sendEmail');
      const domain = sender.slice(sender.indexOf('@') + 1);
      const identities = resources.senderIdentities ?? [];
      const stack = Stack.of(this);
      const identityArn = (name: string) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name });
      // From the notification sender, or from a campaign sender identity: any address at a domain
      // identity, exactly the address of an address identity. The function checks the same list
      // before it sends (functions/marketing/sender.ts), so a refused From is a 400, not an AccessDenied.
      const fromAddresses = [...new Set([sender, ...identities.map((i) => (i.includes('@') ? i : `*@${i}`))])];
      this.role.addToPrincipalPolicy(new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['ses:SendEmail', 'ses:SendRawEmail'],
        resources: [...new Set([sender, domain, ...identities])].map(identityArn),
        conditions: fromAddresses.length === 1 ? { StringEquals: { 'ses:FromAddress': sender } } : { StringLike: { 'ses:FromAddress': fromAddresses } },
      }));
      // The send-rate limiter reads the account's maximum send rate once per container
      // (functions/notifications/send-rate.ts); GetAccount has no resource-level permission.
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ses:GetAccount (read the account\'s sending quota and maximum send rate for the rate limiter) supports no resource-level permissions; it reveals no customer data. test/infra/stack.test.ts asserts that "*" carries only actions of that kind.',
      });
      environment.SENDER_EMAIL = sender;
    }

    if ((feature.sendEmail || feature.checksSender) && resources.senderIdentities?.length) {
      environment.SENDER_IDENTITIES = resources.senderIdentities.join(',');
    }

    if (feature.sendSms && resources.smsOriginationIdentity) {
      // SendTextMessage from the configured origination identity only (resource-level permission).
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sms-voice:SendTextMessage'], resources: [resources.smsOriginationIdentity] }));
      environment.SMS_ORIGINATION_IDENTITY = resources.smsOriginationIdentity;
    }

    if (feature.writeExports) {
      const bucket = need(resources.exportsBucket, 'writeExports');
      this.role.addToPrincipalPolicy(new PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [objectsArn(this, bucket, resources.exportsBucketArnExport, '*')],
      }));
      environment.EXPORTS_BUCKET_NAME = bucket.bucketName;
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagBucketArn(this, bucket, resources.exportsBucketArnExport)}/*]`,
        reason: 'Export jobs write partitioned Parquet objects whose keys (entity/date partitions, run ids) are only known at run time; the grant is PutObject/AbortMultipartUpload in the dedicated exports bucket only.',
      });
    }

    if (feature.readExports) {
      const bucket = need(resources.exportsBucket, 'readExports');
      // Presigned download URLs carry this role's permission: on-demand export files only, never the lake.
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [objectsArn(this, bucket, resources.exportsBucketArnExport, 'exports/*')] }));
      environment.EXPORTS_BUCKET_NAME = bucket.bucketName;
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagBucketArn(this, bucket, resources.exportsBucketArnExport)}/exports/*]`,
        reason: 'Presigned download URLs of on-demand export files, whose keys (export id, entity, part) are only known at run time; GetObject under exports/ of the exports bucket only.',
      });
    }

    if (feature.importFiles) {
      const bucket = need(resources.exportsBucket, 'importFiles');
      // Uploads (presigned PUT), the worker's ranged reads, the rejected-rows reports: `imports/` only.
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [objectsArn(this, bucket, resources.exportsBucketArnExport, 'imports/*')] }));
      environment.EXPORTS_BUCKET_NAME = bucket.bucketName;
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagBucketArn(this, bucket, resources.exportsBucketArnExport)}/imports/*]`,
        reason: 'CSV import files (upload, rejected-rows reports) whose keys carry the import id, only known at run time; GetObject/PutObject under imports/ of the exports bucket only.',
      });
    }

    if (feature.attachments) {
      const bucket = need(resources.attachmentsBucket, 'attachments');
      // Presigned URLs carry this role's permission: PUT (upload) and GET (download, and HeadObject's
      // check of an upload) under tickets/ only.
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [objectsArn(this, bucket, resources.attachmentsBucketArnExport, 'tickets/*')] }));
      environment.ATTACHMENTS_BUCKET_NAME = bucket.bucketName;
      Validations.of(this.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagBucketArn(this, bucket, resources.attachmentsBucketArnExport)}/tickets/*]`,
        reason: 'Presigned upload and download URLs of ticket attachments, whose keys (ticket id, attachment id) are only known at run time; PutObject/GetObject under tickets/ of the dedicated attachments bucket only.',
      });
    }

    if (feature.inboundMail) {
      const bucket = need(resources.inboundMailBucket, 'inboundMail');
      // Reads received mail under inbound/; CopyObject of unreadable mail to quarantine/ (a copy is a GET of the source and a PUT of the target).
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [objectsArn(this, bucket, resources.inboundMailBucketArnExport, 'inbound/*')] }));
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [objectsArn(this, bucket, resources.inboundMailBucketArnExport, 'quarantine/*')] }));
      environment.INBOUND_BUCKET = bucket.bucketName;
      environment.SUPPORT_EMAIL = resources.supportEmail ?? '';
      for (const prefix of ['inbound', 'quarantine']) {
        Validations.of(this.role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagBucketArn(this, bucket, resources.inboundMailBucketArnExport)}/${prefix}/*]`,
          reason: 'Received mail is stored by SES under a key named by its SES message id, only known at run time; GetObject under inbound/ and PutObject under quarantine/ of the dedicated inbound mail bucket only.',
        });
      }
    }

    this.fn = new NodejsFunction(this, 'Function', {
      // The code is built by lib/bundling.ts (split into an entry and lazily loaded chunks), which
      // NodejsFunction's own bundling cannot do.
      code: featureCode(feature.entry, feature.files),
      handler: 'index.handler',
      description: `crm-${props.name}: ${feature.description}`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: feature.memoryMb ?? 512,
      timeout: Duration.seconds(feature.timeoutSeconds ?? 10),
      // X-Ray stays off: active tracing without SDK instrumentation records only Lambda's own
      // segments ("on and empty"), and instrumenting every SDK client costs cold-start time.
      // Requests are followed end to end by the API request id instead (docs/operations.md).
      reservedConcurrentExecutions: props.reservedConcurrency,
      role: this.role,
      logGroup: this.logGroup,
      environment,
    });
  }
}

/**
 * How cdk-nag names the exports bucket's ARN in a finding: `<Logical.Arn>` in its own stack, the
 * export name when the function's stack imports it from the data stack.
 */
function nagBucketArn(scope: Construct, bucket: Bucket, arnExport: string | undefined): string {
  if (arnExport && Stack.of(scope) !== Stack.of(bucket)) return arnExport;
  return `<${Stack.of(bucket).resolve((bucket.node.defaultChild as CfnBucket).logicalId) as string}.Arn>`;
}

/** Objects of the bucket under `pattern`, by the explicit export when the bucket lives in another stack. */
function objectsArn(scope: Construct, bucket: Bucket, arnExport: string | undefined, pattern: string): string {
  return arnExport && Stack.of(scope) !== Stack.of(bucket) ? `${Fn.importValue(arnExport)}/${pattern}` : bucket.arnForObjects(pattern);
}
