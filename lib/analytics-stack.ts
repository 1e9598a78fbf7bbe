import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { Analytics } from './constructs/analytics';
import type { CrmConfig } from './config';
import type { DataStack } from './data-stack';

export interface AnalyticsStackProps extends StackProps {
  config: CrmConfig;
  data: DataStack;
}

/**
 * `Crm-<stage>-Analytics`: the lake's catalog, workgroups, saved queries and refresh workflow
 * (lib/constructs/analytics.ts). Stateless in CloudFormation's sense — its data lives in the data
 * stack's exports bucket and table — so it can be destroyed and re-created; after a re-creation,
 * start the workflow once with `{"full": true}` (docs/analytics.md).
 */
export class AnalyticsStack extends Stack {
  readonly analytics: Analytics;

  constructor(scope: Construct, id: string, props: AnalyticsStackProps) {
    super(scope, id, props);
    const { config, data } = props;
    this.analytics = new Analytics(this, 'Lake', {
      // Imported by explicit export names, so the grants' resources read the same in every stage.
      table: Table.fromTableArn(this, 'Table', Fn.importValue(data.tableArnExport)),
      bucket: Bucket.fromBucketAttributes(this, 'Exports', {
        bucketArn: Fn.importValue(data.exportsBucketArnExport),
        bucketName: Fn.importValue(data.exportsBucketNameExport),
      }),
      importNames: { table: data.tableArnExport, bucket: data.exportsBucketArnExport, bucketName: data.exportsBucketNameExport },
      schedule: config.analyticsSchedule,
      timeZone: config.businessTimeZone,
      bytesScannedCutoffPerQuery: Math.round(config.athenaScanLimitGb * 1024 ** 3),
      hashSalt: data.lakeHashKey.secret,
      logRetention: config.logRetentionDays,
      removalPolicy: config.removalPolicy,
      restricted: config.analyticsRestricted,
    });
    new CfnOutput(this, 'LakeDatabase', { value: this.analytics.databaseName, description: 'Glue database of the lake (Athena: choose it in the query editor)' });
    new CfnOutput(this, 'AthenaWorkGroup', { value: this.analytics.analystWorkGroupName, description: 'Athena workgroup for analysts' });
    if (this.analytics.restricted) {
      new CfnOutput(this, 'RestrictedLakeDatabase', { value: this.analytics.restricted.databaseName, description: 'Glue database with personal data in clear (restricted analysts)' });
      new CfnOutput(this, 'RestrictedAthenaWorkGroup', { value: this.analytics.restricted.workGroupName, description: 'Athena workgroup of the restricted database' });
      new CfnOutput(this, 'RestrictedAnalystGroup', { value: this.analytics.restricted.group.groupName, description: 'IAM group whose members may query the restricted database (add users to it)' });
    }
    new CfnOutput(this, 'LakeWorkflowArn', { value: this.analytics.stateMachine.stateMachineArn, description: 'Start with {"full": true} to rebuild the lake from a full export' });
  }
}
