import { Duration, Names, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { CfnNamedQuery, CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { Group, ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import {
  Choice, Condition, CustomState, DefinitionBody, Fail, LogLevel, Map as MapState, Pass, ProvideItems,
  QueryLanguage, StateMachine, Succeed, Wait, WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  LAKE_CHECKPOINT_KEY, LAKE_EXPORT_PREFIX, type LakeTable, athenaFullStatements, athenaIncrementalStatements, glueType, lakeTables,
} from '../../functions/analytics/lake';
import { SAVED_QUERIES } from '../../functions/analytics/queries';

export interface AnalyticsProps {
  table: ITable;
  /** Exports land under lake/exports/, Iceberg tables under lake/tables/, query results under athena-results/. */
  bucket: IBucket;
  /** `cron(…)` or `rate(…)` for the lake refresh (hourly by default). */
  schedule: string;
  timeZone: string;
  /** Athena stops a query that would scan more than this. */
  bytesScannedCutoffPerQuery: number;
  /**
   * Keys the email hashes in the lake. Read by the workflow at run time and substituted into its
   * statements (never in the template); those run in the workflow's own workgroup, whose query
   * history analysts cannot read.
   */
  hashSalt: ISecret;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
  /** Export names the table's and bucket's ARNs were imported by (how cdk-nag names their resources). */
  importNames: { table: string; bucket: string; bucketName: string };
  /**
   * Opt-in (config `analyticsRestricted`): a second Glue database with the same tables and every
   * personal field in clear, filled by the same workflow run, readable only through its own
   * workgroup and the managed policy of the restricted analyst group.
   */
  restricted?: boolean;
}

/** Tokens the statements carry: the export being applied and the hash key, replaced per run. */
const EXPORT_ID_TOKEN = '__EXPORT_ID__';
const SALT_TOKEN = '__LAKE_SALT__';

/**
 * The analytics lake in AWS (docs/analytics.md): a Glue database with one Apache Iceberg table per
 * lake table (no crawler: columns come from functions/analytics/lake.ts, i.e. from the API's
 * schemas) and an external table over DynamoDB's export files; an Athena workgroup with enforced,
 * encrypted results and a per-query scan limit; the saved queries; and a Step Functions workflow,
 * started by an EventBridge Scheduler schedule, that exports the table (full the first time, then
 * incremental windows from the checkpoint), waits for the export, applies it with the generated
 * statements (MERGE per table) and only then moves the checkpoint — so a failed or repeated run
 * neither loses nor duplicates a change. The monitoring stack alarms when a run fails.
 */
export class Analytics extends Construct {
  readonly database: CfnDatabase;
  /** The workflow's own workgroup (its query history holds the hash key): only the workflow uses it. */
  readonly workGroup: CfnWorkGroup;
  /** The analysts' workgroup (same results bucket, encryption and scan limit). */
  readonly analystWorkGroup: CfnWorkGroup;
  readonly analystWorkGroupName: string;
  readonly stateMachine: StateMachine;
  readonly databaseName: string;
  /** The unmasked database and what may read it (only with `restricted`). */
  readonly restricted?: { databaseName: string; workGroupName: string; policy: ManagedPolicy; group: Group };

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Glue and Athena need names; they are derived from the construct path (unique per stage and
    // account), never written by hand.
    this.databaseName = Names.uniqueResourceName(this, { maxLength: 64, separator: '_' }).toLowerCase().replace(/[^a-z0-9_]/g, '_');
    const workGroupName = Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    const lakeLocation = (path: string) => `s3://${props.bucket.bucketName}/${path}`;

    this.database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'CRM analytics lake: one Iceberg table per record type (docs/analytics.md)' },
    });

    const tables = lakeTables();
    const icebergTables = (prefix: string, database: CfnDatabase, databaseName: string, lake: LakeTable[], location: string) => {
      for (const table of lake) {
        const glueTable = new CfnTable(this, `${prefix}${table.name}`, {
          catalogId: stack.account,
          databaseName,
          openTableFormatInput: { icebergInput: { metadataOperation: 'CREATE', version: '2' } },
          tableInput: {
            name: `${table.name}_current`,
            description: table.description,
            tableType: 'EXTERNAL_TABLE',
            storageDescriptor: {
              location: lakeLocation(`${location}/${table.name}`),
              columns: table.columns.map((c) => ({ name: c.name, type: glueType(c.type), comment: c.description?.slice(0, 255) })),
            },
          },
        });
        glueTable.addResourceDependency(database);
      }
    };
    icebergTables('Table-', this.database, this.databaseName, tables, 'lake/tables');

    // Every export's data files as text lines, one partition per export (projected, never crawled).
    const records = new CfnTable(this, 'ExportRecords', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: 'export_records',
        description: 'DynamoDB export data files (full and incremental), one line per record; query with export_id = …',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [{ name: 'export_id', type: 'string' }],
        parameters: {
          'projection.enabled': 'true',
          'projection.export_id.type': 'injected',
          'storage.location.template': `${lakeLocation(`${LAKE_EXPORT_PREFIX}/AWSDynamoDB`)}/\${export_id}/data/`,
          classification: 'json',
          compressionType: 'gzip',
        },
        storageDescriptor: {
          location: lakeLocation(`${LAKE_EXPORT_PREFIX}/AWSDynamoDB/`),
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          // Each line whole, as one string column (a field delimiter that never occurs).
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe', parameters: { 'field.delim': '\u0001' } },
          columns: [{ name: 'line', type: 'string' }],
        },
      },
    });
    records.addResourceDependency(this.database);

    const workGroup = (id: string, name: string, description: string, results: string) => new CfnWorkGroup(this, id, {
      name,
      description,
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: lakeLocation(results),
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
    this.workGroup = workGroup('WorkGroup', workGroupName, 'CRM analytics: the lake refresh workflow only', 'athena-results/workflow/');
    this.analystWorkGroupName = Names.uniqueResourceName(this, { maxLength: 120, separator: '-' }) + '-analysts';
    this.analystWorkGroup = workGroup('AnalystWorkGroup', this.analystWorkGroupName, 'CRM analytics: analysts (saved queries)', 'athena-results/analysts/');

    for (const saved of SAVED_QUERIES) {
      new CfnNamedQuery(this, `Query-${saved.name}`, {
        name: saved.name,
        description: saved.description,
        database: this.databaseName,
        workGroup: this.analystWorkGroup.ref,
        queryString: saved.sql,
      }).addResourceDependency(this.analystWorkGroup);
    }

    if (props.restricted) {
      const databaseName = `${this.databaseName.slice(0, 53)}_restricted`;
      const database = new CfnDatabase(this, 'RestrictedDatabase', {
        catalogId: stack.account,
        databaseInput: { name: databaseName, description: 'CRM analytics lake with personal data in clear: restricted analysts only (docs/analytics.md)' },
      });
      icebergTables('RestrictedTable-', database, databaseName, lakeTables('clear'), 'lake/restricted');
      const restrictedWorkGroupName = `${this.analystWorkGroupName.slice(0, 100)}-restricted`;
      const restrictedWorkGroup = workGroup('RestrictedWorkGroup', restrictedWorkGroupName, 'CRM analytics: restricted analysts (personal data in clear)', 'athena-results/restricted/');
      const policy = new ManagedPolicy(this, 'RestrictedAnalystPolicy', {
        description: 'Query the CRM lake\'s restricted database (personal data in clear) through its own workgroup',
        statements: [
          new PolicyStatement({
            actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup', 'athena:ListNamedQueries', 'athena:GetNamedQuery', 'athena:BatchGetNamedQuery'],
            resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: restrictedWorkGroupName })],
          }),
          new PolicyStatement({
            actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions'],
            resources: [
              stack.formatArn({ service: 'glue', resource: 'catalog', resourceName: undefined }),
              stack.formatArn({ service: 'glue', resource: 'database', resourceName: databaseName }),
              stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${databaseName}/*` }),
            ],
          }),
          new PolicyStatement({ actions: ['s3:GetObject'], resources: [props.bucket.arnForObjects('lake/restricted/*')] }),
          new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], resources: [props.bucket.arnForObjects('athena-results/restricted/*')] }),
          new PolicyStatement({ actions: ['s3:ListBucket', 's3:GetBucketLocation'], resources: [props.bucket.bucketArn] }),
          new PolicyStatement({ actions: ['lakeformation:GetDataAccess'], resources: ['*'] }),
        ],
      });
      const group = new Group(this, 'RestrictedAnalysts', { managedPolicies: [policy] });
      const bucket = props.importNames.bucket;
      const ack = (resource: string, reason: string) => Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
      ack(`${bucket}/lake/restricted/*`, 'Athena reads the restricted Iceberg tables\' data and metadata files, whose keys are only known at run time, under lake/restricted/ only.');
      ack(`${bucket}/athena-results/restricted/*`, 'Athena writes each query\'s results under a new query id, under the restricted workgroup\'s result prefix only.');
      ack(`arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${databaseName}/*`, `The catalog entries of the restricted database's tables (${databaseName}) only.`);
      ack('*', 'lakeformation:GetDataAccess, which Athena asks on every query, has no resource scope.');
      this.restricted = { databaseName, workGroupName: restrictedWorkGroupName, policy, group };
      void restrictedWorkGroup;
    }

    this.stateMachine = this.workflow(props, tables, workGroupName);

    const schedule = new Schedule(this, 'Schedule', {
      description: 'Refresh the CRM analytics lake',
      schedule: ScheduleExpression.expression(props.schedule, props.schedule.startsWith('cron(') ? TimeZone.of(props.timeZone === 'UTC' ? 'Etc/UTC' : props.timeZone) : undefined),
      timeWindow: TimeWindow.off(),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        input: ScheduleTargetInput.fromObject({ full: false }),
        retryAttempts: 2,
        maxEventAge: Duration.hours(1),
      }),
    });
    void schedule;
  }

  private workflow(props: AnalyticsProps, tables: LakeTable[], workGroupName: string): StateMachine {
    const table = props.table;
    const key = { pk: { S: LAKE_CHECKPOINT_KEY.pk }, sk: { S: LAKE_CHECKPOINT_KEY.sk } };

    // The checkpoint item is read and written through plain Task states so that the role's grant
    // can carry a LeadingKeys condition (grantLake): the workflow touches no other item.
    const dynamodb = (action: string) => `arn:${Stack.of(this).partition}:states:::dynamodb:${action}`;
    const readCheckpoint = new CustomState(this, 'ReadCheckpoint', {
      stateJson: {
        Type: 'Task',
        Resource: dynamodb('getItem'),
        Arguments: { TableName: table.tableName, Key: key, ConsistentRead: true },
        Assign: {
          last: '{% $exists($states.result.Item) ? $states.result.Item.exportedTo.S : null %}',
          full: '{% $states.input.full = true or $not($exists($states.result.Item)) %}',
          startedAt: '{% $now() %}',
        },
      },
    });

    const readSalt = CallAwsService.jsonata(this, 'ReadHashKey', {
      service: 'secretsmanager',
      action: 'getSecretValue',
      parameters: { SecretId: props.hashSalt.secretArn },
      iamResources: [props.hashSalt.secretArn],
      assign: { salt: '{% $states.result.SecretString %}' },
      outputs: {},
    });

    const exportParams = {
      TableArn: table.tableArn,
      S3Bucket: props.bucket.bucketName,
      S3Prefix: LAKE_EXPORT_PREFIX,
      S3SseAlgorithm: 'AES256',
      ExportFormat: 'DYNAMODB_JSON',
    };
    const exportAssign = {
      exportArn: '{% $states.result.ExportDescription.ExportArn %}',
      exportId: '{% $split($states.result.ExportDescription.ExportArn, "/")[-1] %}',
    };
    const exportGrants = [
      new PolicyStatement({ actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [props.bucket.arnForObjects(`${LAKE_EXPORT_PREFIX}/*`)] }),
    ];
    const fullExport = CallAwsService.jsonata(this, 'StartFullExport', {
      service: 'dynamodb',
      action: 'exportTableToPointInTime',
      parameters: { ...exportParams, ExportType: 'FULL_EXPORT', ExportTime: '{% $startedAt %}' },
      iamResources: [table.tableArn],
      additionalIamStatements: exportGrants,
      assign: { ...exportAssign, exportedTo: '{% $startedAt %}' },
    });
    // A window is at most 24 hours (DynamoDB's limit): a lake that fell behind catches up run by run.
    const to = '$fromMillis($min([$toMillis($startedAt), $toMillis($last) + 86400000]))';
    const incrementalExport = CallAwsService.jsonata(this, 'StartIncrementalExport', {
      service: 'dynamodb',
      action: 'exportTableToPointInTime',
      parameters: {
        ...exportParams,
        ExportType: 'INCREMENTAL_EXPORT',
        IncrementalExportSpecification: { ExportFromTime: '{% $last %}', ExportToTime: `{% ${to} %}`, ExportViewType: 'NEW_AND_OLD_IMAGES' },
      },
      iamResources: [table.tableArn],
      additionalIamStatements: exportGrants,
      assign: { ...exportAssign, exportedTo: `{% ${to} %}` },
    });

    const wait = new Wait(this, 'WaitForExport', { queryLanguage: QueryLanguage.JSONATA, time: WaitTime.duration(Duration.minutes(1)) });
    const describe = CallAwsService.jsonata(this, 'DescribeExport', {
      service: 'dynamodb',
      action: 'describeExport',
      parameters: { ExportArn: '{% $exportArn %}' },
      iamResources: [`${table.tableArn}/export/*`],
      outputs: { status: '{% $states.result.ExportDescription.ExportStatus %}' },
    });
    const exportFailed = new Fail(this, 'ExportFailed', { queryLanguage: QueryLanguage.JSONATA, error: 'ExportFailed', cause: 'The DynamoDB export did not complete' });

    // A plain Task state on Athena's .sync integration: the CDK task construct would also grant
    // S3 read on every bucket (`*`); the statements below grant exactly what the queries touch.
    const statement = (id: string) => new CustomState(this, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::athena:startQueryExecution.sync`,
        Arguments: {
          QueryString: `{% $replace($replace($states.input, "${EXPORT_ID_TOKEN}", $exportId), "${SALT_TOKEN}", $salt) %}`,
          QueryExecutionContext: { Database: this.databaseName },
          WorkGroup: workGroupName,
        },
        Output: {},
        Retry: [{ ErrorEquals: ['Athena.TooManyRequestsException', 'States.TaskFailed'], IntervalSeconds: 30, MaxAttempts: 3, BackoffRate: 2 }],
      },
    });
    const applyFull = MapState.jsonata(this, 'ApplyFullExport', {
      items: ProvideItems.jsonArray([
        ...athenaFullStatements(tables, EXPORT_ID_TOKEN, SALT_TOKEN),
        ...(this.restricted ? athenaFullStatements(lakeTables('clear'), EXPORT_ID_TOKEN, SALT_TOKEN, this.restricted.databaseName) : []),
      ]),
      maxConcurrency: 1,
      outputs: {},
    }).itemProcessor(statement('RunFullStatement'));
    const applyIncremental = MapState.jsonata(this, 'ApplyIncrementalExport', {
      items: ProvideItems.jsonArray([
        ...athenaIncrementalStatements(tables, EXPORT_ID_TOKEN, SALT_TOKEN),
        ...(this.restricted ? athenaIncrementalStatements(lakeTables('clear'), EXPORT_ID_TOKEN, SALT_TOKEN, this.restricted.databaseName) : []),
      ]),
      maxConcurrency: 1,
      outputs: {},
    }).itemProcessor(statement('RunIncrementalStatement'));

    // Moves only forward from the window this run started at: a concurrent or replayed run fails here.
    const saveCheckpoint = new CustomState(this, 'SaveCheckpoint', {
      stateJson: {
        Type: 'Task',
        Resource: dynamodb('putItem'),
        Arguments: {
          TableName: table.tableName,
          Item: { ...key, kind: { S: 'lake-checkpoint' }, exportedTo: { S: '{% $exportedTo %}' }, exportArn: { S: '{% $exportArn %}' } },
          ConditionExpression: 'attribute_not_exists(pk) OR exportedTo = :last',
          ExpressionAttributeValues: { ':last': { S: '{% $last = null ? "-" : $last %}' } },
        },
        Output: {},
      },
    });

    const nothingToDo = new Succeed(this, 'WindowTooShort', { queryLanguage: QueryLanguage.JSONATA, comment: 'Less than 15 minutes since the last window (DynamoDB minimum)' });
    const done = new Pass(this, 'Done', { queryLanguage: QueryLanguage.JSONATA });

    const afterExport = wait.next(describe).next(new Choice(this, 'ExportStatus', { queryLanguage: QueryLanguage.JSONATA })
      .when(Condition.jsonata('{% $states.input.status = "COMPLETED" %}'), new Choice(this, 'WhichExport', { queryLanguage: QueryLanguage.JSONATA })
        .when(Condition.jsonata('{% $full %}'), applyFull.next(saveCheckpoint))
        .otherwise(applyIncremental.next(saveCheckpoint)))
      .when(Condition.jsonata('{% $states.input.status = "FAILED" %}'), exportFailed)
      .otherwise(wait));
    saveCheckpoint.next(done);

    const definition = readCheckpoint.next(readSalt).next(new Choice(this, 'FullOrIncremental', { queryLanguage: QueryLanguage.JSONATA })
      .when(Condition.jsonata('{% $full %}'), fullExport.next(afterExport))
      .when(Condition.jsonata('{% $toMillis($startedAt) - $toMillis($last) < 900000 %}'), nothingToDo)
      .otherwise(incrementalExport.next(afterExport)));

    const logs = new LogGroup(this, 'WorkflowLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const machine = new StateMachine(this, 'Workflow', {
      queryLanguage: QueryLanguage.JSONATA,
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: false },
      comment: 'CRM analytics lake refresh: DynamoDB export → Athena MERGE into Iceberg tables → checkpoint',
    });
    this.grantLake(machine, props, workGroupName);
    return machine;
  }

  /** What Athena needs, acting for the workflow: the catalog, the lake's objects and the workgroup. */
  private grantLake(machine: StateMachine, props: AnalyticsProps, workGroupName: string): void {
    const stack = Stack.of(this);
    const glue = (resource: string) => stack.formatArn({ service: 'glue', resource, resourceName: undefined });
    machine.addToRolePolicy(new PolicyStatement({
      actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:UpdateTable', 'glue:GetPartitions'],
      resources: [
        glue('catalog'),
        stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/*` }),
        ...(this.restricted ? [
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.restricted.databaseName }),
          stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.restricted.databaseName}/*` }),
        ] : []),
      ],
    }));
    machine.addToRolePolicy(new PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      resources: [props.bucket.arnForObjects('lake/*'), props.bucket.arnForObjects('athena-results/workflow/*')],
    }));
    machine.addToRolePolicy(new PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      resources: [props.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [LAKE_CHECKPOINT_KEY.pk] } },
    }));
    machine.addToRolePolicy(new PolicyStatement({
      actions: ['s3:ListBucket', 's3:GetBucketLocation'],
      resources: [props.bucket.bucketArn],
    }));
    machine.addToRolePolicy(new PolicyStatement({
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults', 'athena:StopQueryExecution', 'athena:GetWorkGroup'],
      resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: workGroupName })],
    }));
    // Athena asks Lake Formation for data access on every query; the action has no resource scope.
    machine.addToRolePolicy(new PolicyStatement({ actions: ['lakeformation:GetDataAccess'], resources: ['*'] }));
    const glueArn = (kind: string) => `arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:${kind}/${this.databaseName}/*`;
    const bucket = props.importNames.bucket;
    const acknowledge = (resource: string, reason: string) => Validations.of(machine.role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    acknowledge(`${bucket}/lake/exports/*`, 'DynamoDB writes each export under a new export id (lake/exports/AWSDynamoDB/<id>/…), only known at run time; the grant is PutObject/AbortMultipartUpload under that prefix of the exports bucket.');
    acknowledge(`${bucket}/lake/*`, 'Athena reads the export files and reads and writes the Iceberg tables\' data and metadata files, whose keys are only known at run time, under the lake/ prefix of the exports bucket only.');
    acknowledge(`${bucket}/athena-results/workflow/*`, 'Athena writes each query\'s results under a new query id, under the workflow workgroup\'s result prefix only.');
    acknowledge(`${props.importNames.table}/export/*`, 'DescribeExport is authorised on the export\'s ARN, table/<table>/export/<id>, whose id is only known once the export started; limited to this table\'s exports.');
    acknowledge(glueArn('table'), `Athena needs the catalog entries of the lake's tables, all in this lake's Glue database (${this.databaseName}) only.`);
    if (this.restricted) acknowledge(`arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/${this.restricted.databaseName}/*`, `The workflow fills the restricted database's tables (${this.restricted.databaseName}) with the same statements, unmasked.`);
    acknowledge('*', 'Actions AWS does not scope to a resource: lakeformation:GetDataAccess (Athena asks it on every query), the CloudWatch Logs delivery actions Step Functions needs to log to its log group, and X-Ray trace segments.');
  }
}
