import { Duration } from 'aws-cdk-lib';
import { EventField, Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { ScheduleDef } from '../../functions/api/schedules';

export interface SchedulesProps {
  schedules: readonly ScheduleDef[];
  /** The `jobs` feature function. */
  target: IFunction;
}

/**
 * One EventBridge rule per schedule-table row, invoking the jobs function with
 * `{ job, time }`; jobs take "now" from `time`, so a late or repeated delivery behaves like the
 * run it stands for. Failed invocations are retried by EventBridge for up to an hour.
 */
export class Schedules extends Construct {
  readonly rules: Rule[];

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    this.rules = props.schedules.map((schedule) => new Rule(this, `Job-${schedule.name}`, {
      description: `CRM job "${schedule.name}": ${schedule.description}`,
      schedule: Schedule.expression(schedule.expression),
      targets: [new LambdaFunction(props.target, {
        event: RuleTargetInput.fromObject({ job: schedule.name, time: EventField.time }),
        retryAttempts: 8,
        maxEventAge: Duration.hours(1),
      })],
    }));
  }
}
