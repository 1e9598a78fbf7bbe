import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from './config';
import { CrmStack } from './crm-stack';

/**
 * CDK feature flags this app relies on, set here rather than only in cdk.json so that tests,
 * which build the app without the CLI, synthesize the same template.
 */
export const FEATURE_FLAGS = {
  // Grant S3 server-access-log delivery through a bucket policy (ACLs stay disabled).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

/**
 * Builds the CDK app: one stack per stage (`Crm-<stage>`), with the cdk-nag AwsSolutions rules
 * as a validation plugin, so every synth fails on an unacknowledged finding. bin/crm.ts and the
 * infrastructure tests both use this, so the tests check exactly what `cdk synth` produces.
 */
export function buildApp(props: AppProps = {}): { app: App; stack: CrmStack } {
  const app = new App({ ...props, context: { ...FEATURE_FLAGS, ...props.context } });
  const config = readConfig(app.node);
  const stack = new CrmStack(app, `Crm-${config.stage}`, {
    config,
    description: `Serverless CRM (${config.stage})`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
