import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FEATURES, FEATURE_NAMES, type FeatureDef, type FeatureName } from '../functions/api/features';
import { ROUTES } from '../functions/api/routes';
import { SCHEDULES } from '../functions/api/schedules';
import type { CrmConfig } from './config';
import { Auth } from './constructs/auth';
import { CursorSecret } from './constructs/cursor-secret';
import { DataTable } from './constructs/data-table';
import { DomainEventBus, OutboxPublisher } from './constructs/domain-events';
import { ExportsBucket } from './constructs/exports-bucket';
import { FeatureFunction } from './constructs/feature-function';
import { CrmHttpApi } from './constructs/http-api';
import { Schedules } from './constructs/schedules';

export interface CrmStackProps extends StackProps {
  config: CrmConfig;
}

/**
 * The whole CRM for one stage. It only composes role-named constructs; what exists is decided
 * by the data tables in functions/ (FEATURES, ROUTES, SCHEDULES, TABLE_SPEC) and what differs
 * between stages by CrmConfig. No physical names are set, so stages share an account.
 */
export class CrmStack extends Stack {
  readonly functions: Record<FeatureName, FeatureFunction>;

  constructor(scope: Construct, id: string, props: CrmStackProps) {
    super(scope, id, props);
    const { config } = props;

    const data = new DataTable(this, 'Data', {
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
    });
    const events = new DomainEventBus(this, 'DomainEvents');
    const exports = new ExportsBucket(this, 'Exports', {
      removalPolicy: config.removalPolicy,
      logRetentionDays: config.logRetentionDays,
    });
    const cursorSecret = new CursorSecret(this, 'CursorSecret', { removalPolicy: config.removalPolicy });
    const auth = new Auth(this, 'Auth', {
      mfa: config.mfa,
      deletionProtection: config.deletionProtection,
      removalPolicy: config.removalPolicy,
    });

    const functions = {} as Record<FeatureName, FeatureFunction>;
    for (const name of FEATURE_NAMES) {
      const feature: FeatureDef = FEATURES[name];
      functions[name] = new FeatureFunction(this, `Feature-${name}`, {
        name,
        feature,
        resources: {
          table: data,
          eventBus: events.bus,
          exportsBucket: exports.bucket,
          cursorSecret: cursorSecret.secret,
          senderEmail: config.senderEmail,
        },
        stage: config.stage,
        logLevel: config.logLevel,
        settings: { businessTimeZone: config.businessTimeZone, appBaseUrl: config.appBaseUrl },
        logRetention: config.logRetentionDays,
        removalPolicy: config.removalPolicy,
      });
    }
    this.functions = functions;

    const api = new CrmHttpApi(this, 'Http', {
      routes: ROUTES,
      functions: Object.fromEntries(FEATURE_NAMES.map((name) => [name, functions[name].fn])),
      userPool: auth.userPool,
      client: auth.client,
      corsOrigins: config.corsOrigins,
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      logRetention: config.logRetentionDays,
      removalPolicy: config.removalPolicy,
    });

    new OutboxPublisher(this, 'Outbox', {
      table: data.table,
      publisher: functions['events-publisher'].fn,
      removalPolicy: config.removalPolicy,
    });

    new Schedules(this, 'Schedules', { schedules: SCHEDULES, target: functions.jobs.fn });

    new CfnOutput(this, 'ApiUrl', { value: api.url, description: 'Base URL of the CRM HTTP API' });
    new CfnOutput(this, 'UserPoolId', { value: auth.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: auth.client.userPoolClientId });
    new CfnOutput(this, 'TableName', { value: data.table.tableName });
    new CfnOutput(this, 'ExportsBucketName', { value: exports.bucket.bucketName });
    new CfnOutput(this, 'EventBusName', { value: events.bus.eventBusName });
  }
}
