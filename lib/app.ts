import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AnalyticsStack } from './analytics-stack';
import { AppStack } from './app-stack';
import { readConfig } from './config';
import { DataStack } from './data-stack';
import { MonitoringStack } from './monitoring-stack';
import { MachineApiStack } from './machine-api-stack';
import { RoutesStack } from './routes-stack';

/**
 * CDK feature flags this app relies on, set here rather than only in cdk.json so that tests,
 * which build the app without the CLI, synthesize the same template.
 */
export const FEATURE_FLAGS = {
  // Grant S3 server-access-log delivery through a bucket policy (ACLs stay disabled).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  // Cross-stack references stay CloudFormation exports: the data stack cannot delete or replace
  // a resource the app stack still uses (producer-protecting), which is the point of the split.
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
};

export interface CrmApp {
  app: App;
  /** Stateful: table, user pool, buckets, bus, cursor key (`Crm-<stage>-Data`). */
  data: DataStack;
  /** Stateless: API, functions, stream mapping, schedules (`Crm-<stage>-App`). */
  stack: AppStack;
  /** The user API's routes, integrations and authorizers (`Crm-<stage>-Routes`). */
  routes: RoutesStack;
  /** The API key (machine client) API over the same functions (`Crm-<stage>-MachineApi`). */
  machineApi: MachineApiStack;
  /** Alarms, dashboard, alarm topic (`Crm-<stage>-Monitoring`); absent with monitoring=false. */
  monitoring?: MonitoringStack;
  /** The analytics lake (`Crm-<stage>-Analytics`); absent with analytics=false. */
  analytics?: AnalyticsStack;
}

/**
 * Builds the CDK app: per stage a stateful and a stateless stack (CDK's best practice: the
 * stateless one can be refactored, replaced or destroyed without touching data) plus a
 * monitoring stack, with the cdk-nag AwsSolutions rules as a validation plugin, so every synth
 * fails on an unacknowledged finding. bin/crm.ts and the infrastructure tests both use this, so
 * the tests check exactly what `cdk synth` produces. `cdk deploy --all` deploys them in order.
 */
export function buildApp(props: AppProps = {}): CrmApp {
  const app = new App({ ...props, context: { ...FEATURE_FLAGS, ...props.context } });
  const config = readConfig(app.node);
  const prefix = `Crm-${config.stage}`;
  const data = new DataStack(app, `${prefix}-Data`, {
    config,
    description: `Serverless CRM (${config.stage}): data — table, users, buckets, event bus`,
    terminationProtection: config.deletionProtection,
  });
  const stack = new AppStack(app, `${prefix}-App`, {
    config,
    data,
    description: `Serverless CRM (${config.stage}): API, functions and schedules`,
  });
  const routes = new RoutesStack(app, `${prefix}-Routes`, {
    data,
    app: stack,
    description: `Serverless CRM (${config.stage}): the HTTP API's routes and authorizers`,
  });
  const machineApi = new MachineApiStack(app, `${prefix}-MachineApi`, {
    config,
    app: stack,
    description: `Serverless CRM (${config.stage}): API for machine clients (API keys)`,
  });
  const analytics = config.analytics
    ? new AnalyticsStack(app, `${prefix}-Analytics`, {
      config,
      data,
      description: `Serverless CRM (${config.stage}): analytics lake — catalog, Athena, refresh workflow`,
    })
    : undefined;
  const monitoring = config.monitoring
    ? new MonitoringStack(app, `${prefix}-Monitoring`, {
      config,
      data,
      app: stack,
      analytics,
      description: `Serverless CRM (${config.stage}): alarms and dashboard`,
    })
    : undefined;
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, data, stack, routes, machineApi, monitoring, analytics };
}
