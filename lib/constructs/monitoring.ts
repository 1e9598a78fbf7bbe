import { Duration, Validations } from 'aws-cdk-lib';
import { ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  DefaultDashboardFactory, MetricStatistic, MonitoringFacade, SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';

/**
 * Every alarm kind of the monitoring stack and the heading of its runbook entry in
 * docs/operations.md (test/infra/monitoring.test.ts checks both directions: each alarm links a
 * runbook that exists, each runbook entry belongs to an alarm).
 */
export const RUNBOOKS = {
  'api-5xx': 'API 5xx rate',
  'api-latency': 'API p99 latency',
  'lambda-errors': 'Function errors',
  'lambda-throttles': 'Function throttles',
  'dynamodb-throttles': 'DynamoDB throttled requests',
  'dynamodb-errors': 'DynamoDB system errors',
  'publisher-iterator-age': 'Events publisher falling behind',
  'failed-events': 'Events sent to the failure bucket',
  'dead-letters': 'Dead-letter queue not empty',
  'schedule-failed': 'A schedule failed to invoke its job',
  'job-heartbeat': 'Job heartbeat stale',
  'reminder-backlog': 'Reminders overdue',
  'ses-bounces': 'SES bounce rate near the review threshold',
  'ses-complaints': 'SES complaint rate near the review threshold',
  'lake-refresh-failed': 'Analytics lake refresh failed',
} as const;

export type RunbookId = keyof typeof RUNBOOKS;

/** `docs/operations.md#api-5xx-rate` — GitHub's anchor for a runbook heading. */
export function runbookLink(id: RunbookId): string {
  const anchor = RUNBOOKS[id].toLowerCase().replace(/[^a-z0-9 -]/g, '').trim().replace(/ /g, '-');
  return `docs/operations.md#${anchor}`;
}

export interface MonitoringProps {
  /** Prefix of alarm and dashboard names (the stage's stack prefix, so stages never collide). */
  namePrefix: string;
  /** Namespace of the CRM's own EMF metrics (feature-function.ts metricsNamespace). */
  metricsNamespace: string;
  /** Email subscribed to the alarm topic; anything else can subscribe later. */
  alarmEmail?: string;
  api: IHttpApi;
  table: ITable;
  /** Every function of the stage by feature name. */
  functions: Record<string, IFunction>;
  /** The outbox events publisher (iterator age) and its stream mapping's UUID. */
  publisher: IFunction;
  publisherMappingId: string;
  /** Queues whose every message means something failed for good. */
  deadLetterQueues: Record<string, IQueue>;
  /** The EventBridge Scheduler schedule group of the jobs. */
  scheduleGroupName: string;
  /** Job whose successful runs prove the scheduler and the jobs function work. */
  heartbeatJob: string;
  /** Minutes between heartbeat runs. */
  heartbeatEveryMinutes: number;
  /** The analytics lake's refresh workflow, when the analytics stack is deployed. */
  lakeWorkflowArn?: string;
}

/**
 * Alarms, a dashboard and the alarm topic for one stage, built with cdk-monitoring-constructs:
 * the API (5xx rate, p99 latency), every function (errors, throttles), the table (throttles,
 * system errors), the events publisher (iterator age, records sent to the failure bucket), every
 * dead-letter queue (not empty), the schedules (failed invocations), the jobs (heartbeat stale,
 * oldest due reminder) and SES reputation (bounce and complaint rates at 80 % of the rates at
 * which SES reviews an account: 5 % and 0.1 %). Each alarm's description links its runbook.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly facade: MonitoringFacade;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    this.topic = new Topic(this, 'AlarmTopic', { displayName: `${props.namePrefix} alarms`, enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'Alarm notifications carry alarm names and metric values only, no customer data; an AWS-managed SNS key cannot be used by CloudWatch alarms, and a customer-managed KMS key would cost $1/month per stage even when idle.',
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: props.namePrefix,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: this.topic }),
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
      },
      metricFactoryDefaults: {},
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: props.namePrefix,
        // One dashboard: the first three are free, every further one costs $3 a month.
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });
    const facade = this.facade;
    const runbook = (rid: RunbookId) => ({ runbookLink: runbookLink(rid) });

    // Without a friendly name the facade derives alarm construct ids from the API id and table
    // name, which are tokens whose numbering shifts between synths: every deploy would replace
    // (and momentarily reset) those alarms.
    facade.monitorApiGatewayV2HttpApi({
      api: props.api,
      alarmFriendlyName: 'Api',
      add5xxRateAlarm: { Critical: { maxErrorRate: 0.01, datapointsToAlarm: 3, evaluationPeriods: 5, ...runbook('api-5xx') } },
      addLatencyP99Alarm: { Warning: { maxLatency: Duration.seconds(3), datapointsToAlarm: 3, evaluationPeriods: 5, ...runbook('api-latency') } },
    });

    for (const [name, fn] of Object.entries(props.functions)) {
      const isPublisher = fn === props.publisher;
      facade.monitorLambdaFunction({
        lambdaFunction: fn,
        humanReadableName: name,
        alarmFriendlyName: name,
        addFaultCountAlarm: { Critical: { maxErrorCount: 0, ...runbook('lambda-errors') } },
        addThrottlesCountAlarm: { Warning: { maxErrorCount: 0, ...runbook('lambda-throttles') } },
        ...(isPublisher
          ? { addMaxIteratorAgeAlarm: { Critical: { maxAgeInMillis: 5 * 60_000, datapointsToAlarm: 2, evaluationPeriods: 3, ...runbook('publisher-iterator-age') } } }
          : {}),
      });
    }

    facade.monitorDynamoTable({
      table: props.table,
      alarmFriendlyName: 'Table',
      addReadThrottledEventsCountAlarm: { Warning: { maxThrottledEventsThreshold: 0, ...runbook('dynamodb-throttles') } },
      addWriteThrottledEventsCountAlarm: { Warning: { maxThrottledEventsThreshold: 0, ...runbook('dynamodb-throttles') } },
      addSystemErrorCountAlarm: { Critical: { maxErrorCount: 0, ...runbook('dynamodb-errors') } },
    });

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      facade.monitorSqsQueue({
        queue,
        humanReadableName: name,
        alarmFriendlyName: name,
        addQueueMaxSizeAlarm: { Critical: { maxMessageCount: 0, ...runbook('dead-letters') } },
      });
    }

    const sum = (namespace: string, metricName: string, dimensionsMap: Record<string, string>, period = Duration.minutes(5)) =>
      new Metric({ namespace, metricName, dimensionsMap, statistic: MetricStatistic.SUM, period });
    const max = (namespace: string, metricName: string, dimensionsMap: Record<string, string>, period = Duration.minutes(5)) =>
      new Metric({ namespace, metricName, dimensionsMap, statistic: MetricStatistic.MAX, period });
    const above = (threshold: number, rid: RunbookId, extra: object = {}) => ({
      Critical: {
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingDataOverride: TreatMissingData.NOT_BREACHING,
        ...runbook(rid),
        ...extra,
      },
    });

    facade.monitorCustom({
      alarmFriendlyName: 'Events',
      humanReadableName: 'Domain events',
      metricGroups: [
        {
          title: 'Published / failed',
          metrics: [
            sum(props.metricsNamespace, 'EventsPublished', { service: 'crm-events-publisher' }),
            sum(props.metricsNamespace, 'EventsFailed', { service: 'crm-events-publisher' }),
            sum(props.metricsNamespace, 'EventsUnreadable', { service: 'crm-events-publisher' }),
            {
              metric: sum('AWS/Lambda', 'OnFailureDestinationDeliveredEventCount', { EventSourceMappingUUID: props.publisherMappingId }),
              alarmFriendlyName: 'FailedEvents',
              addAlarm: above(0, 'failed-events'),
            },
          ],
        },
      ],
    });

    facade.monitorCustom({
      alarmFriendlyName: 'Jobs',
      humanReadableName: 'Scheduled jobs',
      metricGroups: [
        {
          title: 'Schedules',
          metrics: [
            {
              metric: sum('AWS/Scheduler', 'TargetErrorCount', { ScheduleGroup: props.scheduleGroupName }),
              alarmFriendlyName: 'ScheduleTargetErrors',
              addAlarm: above(0, 'schedule-failed'),
            },
            {
              metric: sum('AWS/Scheduler', 'InvocationDroppedCount', { ScheduleGroup: props.scheduleGroupName }),
              alarmFriendlyName: 'ScheduleDropped',
              addAlarm: above(0, 'schedule-failed'),
            },
          ],
        },
        {
          title: 'Heartbeat and reminders',
          metrics: [
            {
              // Missing data is the failure: no successful heartbeat for three intervals.
              metric: sum(props.metricsNamespace, 'JobSucceeded', { service: 'crm-jobs', job: props.heartbeatJob }, Duration.minutes(props.heartbeatEveryMinutes * 3)),
              alarmFriendlyName: 'JobHeartbeat',
              addAlarm: {
                Critical: {
                  threshold: 1,
                  comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
                  treatMissingDataOverride: TreatMissingData.BREACHING,
                  ...runbook('job-heartbeat'),
                },
              },
            },
            {
              metric: max(props.metricsNamespace, 'OldestDueReminderAgeSeconds', { service: 'crm-jobs', job: 'reminders' }),
              alarmFriendlyName: 'ReminderBacklog',
              addAlarm: above(15 * 60, 'reminder-backlog', { datapointsToAlarm: 2, evaluationPeriods: 3 }),
            },
          ],
        },
      ],
    });

    if (props.lakeWorkflowArn) {
      facade.monitorCustom({
        alarmFriendlyName: 'Lake',
        humanReadableName: 'Analytics lake refresh',
        metricGroups: [
          {
            title: 'Workflow runs',
            metrics: [
              {
                metric: sum('AWS/States', 'ExecutionsFailed', { StateMachineArn: props.lakeWorkflowArn }, Duration.hours(1)),
                alarmFriendlyName: 'LakeRefreshFailed',
                addAlarm: above(0, 'lake-refresh-failed'),
              },
            ],
          },
        ],
      });
    }

    facade.monitorCustom({
      alarmFriendlyName: 'SES',
      humanReadableName: 'SES sending reputation (account)',
      metricGroups: [
        {
          title: 'Bounce and complaint rates',
          metrics: [
            {
              metric: max('AWS/SES', 'Reputation.BounceRate', {}, Duration.hours(1)),
              alarmFriendlyName: 'SesBounceRate',
              addAlarm: above(0.04, 'ses-bounces'),
            },
            {
              metric: max('AWS/SES', 'Reputation.ComplaintRate', {}, Duration.hours(1)),
              alarmFriendlyName: 'SesComplaintRate',
              addAlarm: above(0.0008, 'ses-complaints'),
            },
          ],
        },
      ],
    });
  }
}
