import { Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  ContextAttribute, Schedule, ScheduleExpression, ScheduleGroup, ScheduleTargetInput, TimeWindow,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type ScheduleDef, isCron, rateMillis } from '../../functions/api/schedules';

export interface SchedulesProps {
  /** The schedule table (functions/api/schedules.ts). */
  schedules: readonly ScheduleDef[];
  /** The `jobs` feature function. */
  target: IFunction;
  /** IANA zone in which `cron(…)` rows run (CrmConfig.businessTimeZone). */
  timeZone: string;
  /** Applies to the dead-letter queue, the only part holding data (SNAPSHOT means RETAIN here). */
  removalPolicy: RemovalPolicy;
}

/**
 * One EventBridge Scheduler schedule per schedule-table row, in one schedule group, invoking the
 * jobs function with `{ job, time }` where `time` is the run's scheduled time, so a late retry
 * behaves like the run it stands for.
 *
 * - `cron(…)` rows run in `timeZone` (daylight-saving aware); `rate(…)` rows have no zone.
 * - Each row's retry policy (maximum retries and event age) comes from the table; flexible time
 *   window off, so a daily job runs at its minute.
 * - One shared dead-letter queue (SQS-managed encryption, TLS only, 14 days): an invocation
 *   Scheduler could not deliver after its retries lands there with the schedule's ARN among the
 *   message attributes and `{ job, time }` in its body. One queue instead of one per row keeps
 *   the stack's resource count flat as schedules are added, and one alarm covers them all.
 * - Scheduler invokes Lambda asynchronously: this covers delivery (throttling, permissions, a
 *   missing function); the function's own failures are retried by its async invoke configuration.
 * - The execution role can only invoke the jobs function (unqualified ARN, as targeted) and send
 *   to the dead-letter queue, and only Scheduler acting for this group can assume it.
 *
 * No physical names: CloudFormation names the schedules, CDK derives the group's from its path.
 */
export class Schedules extends Construct {
  readonly group: ScheduleGroup;
  readonly deadLetterQueue: Queue;
  /** By job name. */
  readonly schedules: Readonly<Record<string, Schedule>>;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);

    this.group = new ScheduleGroup(this, 'Group', {
      // Stateless, and its name is derived from the construct path: a retained group would make
      // re-creating the stage fail on "already exists". Deleting it deletes only these schedules.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy === RemovalPolicy.SNAPSHOT ? RemovalPolicy.RETAIN : props.removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the EventBridge Scheduler schedules; a message in it raises an alarm and an operator re-runs the job (npm run job, or the console) after reading it.',
    });

    this.role = new Role(this, 'Role', {
      description: 'EventBridge Scheduler: invokes the CRM jobs function and dead-letters what it cannot deliver',
      // Confused-deputy guard: only Scheduler acting for this account's schedule group.
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': this.group.scheduleGroupArn,
          },
        },
      }),
    });

    // "UTC" is an alias in the IANA database; Scheduler documents the canonical "Etc/UTC".
    const timeZone = TimeZone.of(props.timeZone === 'UTC' ? 'Etc/UTC' : props.timeZone);
    const schedules: Record<string, Schedule> = {};
    for (const row of props.schedules) {
      if (!isCron(row.expression) && rateMillis(row.expression) === undefined) {
        throw new Error(`Schedule ${row.name}: unsupported expression ${row.expression}`);
      }
      const schedule = new Schedule(this, `Job-${row.name}`, {
        description: `CRM job "${row.name}": ${row.description}`.slice(0, 512),
        scheduleGroup: this.group,
        schedule: ScheduleExpression.expression(row.expression, isCron(row.expression) ? timeZone : undefined),
        timeWindow: TimeWindow.off(),
        target: new InvokeUnqualified(props.target, {
          role: this.role,
          // Scheduler substitutes the context attribute inside the JSON string, giving
          // {"job":"…","time":"2026-03-12T09:00:00Z"}.
          input: ScheduleTargetInput.fromObject({ job: row.name, time: ContextAttribute.scheduledTime }),
          retryAttempts: row.retry.maxRetries,
          maxEventAge: Duration.seconds(row.retry.maxEventAgeSeconds),
          deadLetterQueue: this.deadLetterQueue,
        }),
      });
      // The schedule names its group by a literal name, which CloudFormation does not see as a
      // reference: without this the schedule could be created before its group.
      schedule.node.addDependency(this.group);
      schedules[row.name] = schedule;
    }
    this.schedules = schedules;
  }
}

/**
 * LambdaInvoke, granting `lambda:InvokeFunction` on the unqualified function ARN only. The stock
 * target grants the function and `:*` (every version and alias); the schedules target the
 * unqualified ARN, so the wider grant would never be used.
 */
class InvokeUnqualified extends LambdaInvoke {
  private readonly jobsFunction: IFunction;

  constructor(fn: IFunction, props: ScheduleTargetBaseProps) {
    super(fn, props);
    this.jobsFunction = fn;
  }

  protected override addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(new PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: [this.jobsFunction.functionArn],
    }));
  }
}
