import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SCHEDULES, rateMillis } from '../functions/api/schedules';
import type { AnalyticsStack } from './analytics-stack';
import type { AppStack } from './app-stack';
import type { CrmConfig } from './config';
import type { DataStack } from './data-stack';
import { metricsNamespace } from './constructs/feature-function';
import { Monitoring } from './constructs/monitoring';

export interface MonitoringStackProps extends StackProps {
  config: CrmConfig;
  data: DataStack;
  app: AppStack;
  /** The analytics stack, when deployed: its refresh workflow gets an alarm. */
  analytics?: AnalyticsStack;
}

const HEARTBEAT_JOB = 'heartbeat';

/**
 * Alarms, the dashboard and the alarm topic of a stage (`Crm-<stage>-Monitoring`), apart from the
 * app stack so that ~50 alarms never compete with ~180 routes for CloudFormation's resource limit,
 * and so that `-c monitoring=false` drops them (alarms cost $0.10 a month each, idle or not).
 */
export class MonitoringStack extends Stack {
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config, data, app } = props;
    const heartbeat = SCHEDULES.find((schedule) => schedule.name === HEARTBEAT_JOB);
    const heartbeatMillis = heartbeat ? rateMillis(heartbeat.expression) : undefined;
    if (!heartbeatMillis) throw new Error(`The schedule table needs a rate(…) row "${HEARTBEAT_JOB}" for the heartbeat alarm`);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      namePrefix: app.stackName,
      metricsNamespace: metricsNamespace(config.stage),
      alarmEmail: config.alarmEmail,
      api: app.api.api,
      table: data.data.table,
      functions: Object.fromEntries(Object.entries(app.functions).map(([name, fn]) => [name, fn.fn])),
      publisher: app.functions['events-publisher'].fn,
      publisherMappingId: app.outbox.mappingId,
      deadLetterQueues: {
        ScheduleDeadLetters: app.schedules.deadLetterQueue,
        JobFailures: app.jobFailures,
        CampaignEmailEventDeadLetters: app.campaignEmail.deadLetters,
      },
      scheduleGroupName: app.schedules.group.scheduleGroupName,
      heartbeatJob: HEARTBEAT_JOB,
      heartbeatEveryMinutes: heartbeatMillis / 60_000,
      lakeWorkflowArn: props.analytics?.analytics.stateMachine.stateMachineArn,
    });

    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.monitoring.topic.topicArn,
      description: 'SNS topic every alarm notifies; subscribe email, chat or paging here',
    });
  }
}
