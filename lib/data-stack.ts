import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FEATURES, FEATURE_NAMES, type FeatureDef, type FeatureName } from '../functions/api/features';
import type { CrmConfig } from './config';
import { Auth } from './constructs/auth';
import { CursorSecret, LakeHashKey } from './constructs/cursor-secret';
import { DataTable } from './constructs/data-table';
import { DomainEventBus } from './constructs/domain-events';
import { ExportsBucket, FailedEventsBucket } from './constructs/exports-bucket';
import { AttachmentsBucket } from './constructs/attachments-bucket';
import { InboundMailBucket } from './constructs/inbound-mail';
import { FeatureFunction } from './constructs/feature-function';
import { PortalAuth } from './constructs/portal-auth';

export interface DataStackProps extends StackProps {
  config: CrmConfig;
}

/** Features whose functions live in the data stack (Cognito triggers; see FeatureDef.stack). */
export const DATA_STACK_FEATURES = FEATURE_NAMES.filter((name) => (FEATURES[name] as FeatureDef).stack === 'data');

/**
 * The stateful half of a stage (`Crm-<stage>-Data`): everything that holds data or identity —
 * the table, the user pool, the buckets, the event bus and the cursor key. It changes rarely and
 * is deployed first; the app stack (API, functions, schedules) can be replaced freely on top of
 * it. test/infra/stateful-ids.test.ts pins the logical ids of these resources, so a refactor can
 * never make CloudFormation replace the table or the user pool.
 */
export class DataStack extends Stack {
  readonly data: DataTable;
  readonly events: DomainEventBus;
  readonly exports: ExportsBucket;
  readonly failedEvents: FailedEventsBucket;
  /** Files of ticket messages (presigned URLs only). */
  readonly attachments: AttachmentsBucket;
  readonly inboundMail: InboundMailBucket;
  readonly cursorSecret: CursorSecret;
  readonly lakeHashKey: LakeHashKey;
  readonly auth: Auth;
  /** The self-service portal's own user pool (customers' contacts). */
  readonly portalAuth: PortalAuth;
  readonly functions: Partial<Record<FeatureName, FeatureFunction>>;

  /**
   * An explicit, stack-derived export name for the failed-events bucket: the app stack's IAM
   * grant then names it predictably (its cdk-nag acknowledgement can say which bucket).
   */
  /** Explicit export names the analytics stack imports (stable names keep its grants reviewable). */
  get exportsBucketArnExport(): string {
    return `${this.stackName}-ExportsBucketArn`;
  }

  get exportsBucketNameExport(): string {
    return `${this.stackName}-ExportsBucketName`;
  }

  get tableArnExport(): string {
    return `${this.stackName}-TableArn`;
  }

  get attachmentsBucketArnExport(): string {
    return `${this.stackName}-AttachmentsBucketArn`;
  }

  get inboundMailBucketArnExport(): string {
    return `${this.stackName}-InboundMailBucketArn`;
  }

  get failedEventsBucketArnExport(): string {
    return `${this.stackName}-FailedEventsBucketArn`;
  }

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.data = new DataTable(this, 'Data', {
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
    });
    this.events = new DomainEventBus(this, 'DomainEvents');
    this.exports = new ExportsBucket(this, 'Exports', {
      removalPolicy: config.removalPolicy,
      logRetentionDays: config.logRetentionDays,
      corsOrigins: config.corsOrigins,
    });
    this.failedEvents = new FailedEventsBucket(this, 'FailedEvents', {
      removalPolicy: config.removalPolicy,
      serverAccessLogs: this.exports.accessLogs,
    });
    this.attachments = new AttachmentsBucket(this, 'Attachments', {
      removalPolicy: config.removalPolicy,
      serverAccessLogs: this.exports.accessLogs,
      corsOrigins: config.corsOrigins,
    });
    this.inboundMail = new InboundMailBucket(this, 'InboundMail', {
      removalPolicy: config.removalPolicy,
      serverAccessLogs: this.exports.accessLogs,
    });
    this.cursorSecret = new CursorSecret(this, 'CursorSecret', { removalPolicy: config.removalPolicy });
    this.lakeHashKey = new LakeHashKey(this, 'LakeHashKey', { removalPolicy: config.removalPolicy });

    this.functions = {};
    for (const name of DATA_STACK_FEATURES) {
      this.functions[name] = new FeatureFunction(this, `Feature-${name}`, {
        name,
        feature: FEATURES[name],
        // The table for the portal pool's trigger (it reads a contact); a trigger that declares no table access gets none.
        resources: { table: this.data },
        stage: config.stage,
        logLevel: config.logLevel,
        settings: { businessTimeZone: config.businessTimeZone, appBaseUrl: config.appBaseUrl },
        logRetention: config.logRetentionDays,
        removalPolicy: config.removalPolicy,
      });
    }

    const preToken = this.functions['auth-pre-token'];
    this.auth = new Auth(this, 'Auth', {
      mfa: config.mfa,
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
      preTokenGeneration: preToken?.fn,
      threatProtection: config.threatProtection,
      emailThroughSes: config.cognitoEmailThroughSes,
      createSesIdentity: config.createSesIdentity,
      senderEmail: config.senderEmail,
      stage: config.stage,
      domain: { prefix: config.authDomainPrefix, customDomain: config.authCustomDomain, certificateArn: config.authCertificateArn },
      callbackUrls: config.oauthCallbackUrls,
      logoutUrls: config.oauthLogoutUrls,
    });

    this.portalAuth = new PortalAuth(this, 'PortalAuth', {
      mfa: config.mfa,
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
      preTokenGeneration: this.functions['auth-portal-pre-token']!.fn,
      threatProtection: config.threatProtection,
      email: this.auth.emailSettings,
    });

    new CfnOutput(this, 'UserPoolId', { value: this.auth.userPool.userPoolId });
    new CfnOutput(this, 'PortalUserPoolId', { value: this.portalAuth.userPool.userPoolId, description: 'The self-service portal\'s user pool (customers\' contacts; docs/service.md)' });
    new CfnOutput(this, 'PortalUserPoolClientId', { value: this.portalAuth.client.userPoolClientId, description: 'The portal\'s app client (SRP sign-in)' });
    new CfnOutput(this, 'UserPoolClientId', { value: this.auth.client.userPoolClientId });
    new CfnOutput(this, 'AuthDomainUrl', {
      value: this.auth.domainUrl,
      description: 'User pool domain: OAuth 2.0 endpoints (/oauth2/authorize, /oauth2/token, /logout) and the hosted sign-in UI',
    });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'ExportsBucketName', { value: this.exports.bucket.bucketName, exportName: this.exportsBucketNameExport });
    new CfnOutput(this, 'FailedEventsBucketName', {
      value: this.failedEvents.bucket.bucketName,
      description: 'Stream records the events publisher could not publish (npm run redrive -- --failures)',
    });
    new CfnOutput(this, 'ExportsBucketArn', {
      value: this.exports.bucket.bucketArn,
      exportName: this.exportsBucketArnExport,
      description: 'Imported by the analytics stack (DynamoDB exports, lake tables, Athena results)',
    });
    new CfnOutput(this, 'TableArn', {
      value: this.data.table.tableArn,
      exportName: this.tableArnExport,
      description: 'Imported by the analytics stack (exports and the lake checkpoint)',
    });
    new CfnOutput(this, 'FailedEventsBucketArn', {
      value: this.failedEvents.bucket.bucketArn,
      exportName: this.failedEventsBucketArnExport,
      description: 'Imported by the app stack (stream on-failure destination)',
    });
    new CfnOutput(this, 'AttachmentsBucketArn', {
      value: this.attachments.bucket.bucketArn,
      exportName: this.attachmentsBucketArnExport,
      description: 'Imported by the app stack (the service-desk function presigns attachment uploads and downloads)',
    });
    new CfnOutput(this, 'InboundMailBucketArn', {
      value: this.inboundMail.bucket.bucketArn,
      exportName: this.inboundMailBucketArnExport,
      description: 'Imported by the app stack (received support mail: the inbound-mail function reads inbound/, quarantines to quarantine/)',
    });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'CursorSecretArn', {
      value: this.cursorSecret.secret.secretArn,
      description: 'Key that signs pagination cursors (rotation: docs/operations.md)',
    });
  }
}
