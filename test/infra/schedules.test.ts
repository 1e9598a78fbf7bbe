/**
 * The recurring jobs in the synthesized app, driven by the schedule table (SCHEDULES): one
 * EventBridge Scheduler schedule per row with its expression, business time zone, input, retry
 * policy and dead-letter queue, and an execution role that can do nothing else. Adding a row is
 * checked here without editing this file.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULES, isCron } from '../../functions/api/schedules';
import { buildTestApp } from './synth';

type Json = Record<string, any>;
interface Scheduled { stack: Stack; resources: Record<string, Json>; schedules: Json[] }

/** Synthesizes the app and finds the one stack holding the job schedules, wherever the app puts them. */
async function scheduledStack(context: Record<string, unknown> = {}): Promise<Scheduled> {
  const { app } = await buildTestApp(context);
  const stacks = app.node.children.filter((child): child is Stack => child instanceof Stack);
  const withSchedules = stacks
    .map((stack) => ({ stack, resources: Template.fromStack(stack).toJSON().Resources as Record<string, Json> }))
    .filter(({ resources }) => Object.values(resources).some(isJobSchedule));
  expect(withSchedules).toHaveLength(1);
  // Every stack, not just this one: no legacy scheduled rule may remain anywhere.
  for (const stack of stacks) {
    const rules = Object.values(Template.fromStack(stack).findResources('AWS::Events::Rule'));
    expect(rules.filter((rule) => rule.Properties?.ScheduleExpression !== undefined), stack.stackName).toEqual([]);
  }
  const { stack, resources } = withSchedules[0]!;
  return { stack, resources, schedules: Object.values(resources).filter(isJobSchedule).map((r) => r.Properties) };
}

/** A schedule of the jobs table (input `{"job": …}`); the analytics stack's lake schedule starts a workflow instead. */
function isJobSchedule(resource: Json): boolean {
  return resource.Type === 'AWS::Scheduler::Schedule' && /"job"/.test(String(resource.Properties?.Target?.Input ?? ''));
}

const ofType = (resources: Record<string, Json>, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const jobOf = (schedule: Json): string => JSON.parse(schedule.Target.Input as string).job as string;
const getAttId = (value: Json, attribute = 'Arn'): string => {
  expect(Object.keys(value)).toEqual(['Fn::GetAtt']);
  expect(value['Fn::GetAtt'][1]).toBe(attribute);
  return value['Fn::GetAtt'][0] as string;
};
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The logical id of the jobs feature function (its Powertools service name is crm-jobs). */
function jobsFunctionId(resources: Record<string, Json>): string {
  const jobs = ofType(resources, 'AWS::Lambda::Function')
    .filter(([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'crm-jobs');
  expect(jobs).toHaveLength(1);
  return jobs[0]![0];
}

describe('schedules (driven by SCHEDULES), default configuration', () => {
  let synthesized: Scheduled;
  beforeAll(async () => { synthesized = await scheduledStack(); }, 120_000);

  it('has one EventBridge Scheduler schedule per row, with the row\'s expression, in one group', () => {
    const { schedules, resources, stack } = synthesized;
    expect(schedules.map(jobOf).sort()).toEqual(SCHEDULES.map((s) => s.name).sort());
    const [groupId, group] = ofType(resources, 'AWS::Scheduler::ScheduleGroup').at(0)!;
    expect(ofType(resources, 'AWS::Scheduler::ScheduleGroup')).toHaveLength(1);
    // CDK derives the group name from the construct path (stack name without dashes first), so
    // it differs per stage; the schedules themselves get names from CloudFormation.
    expect(group.Properties.Name).toContain(stack.stackName.replace(/-/g, ''));
    for (const row of SCHEDULES) {
      const schedule = schedules.find((s) => jobOf(s) === row.name)!;
      expect(schedule.ScheduleExpression, row.name).toBe(row.expression);
      expect(schedule.Name, row.name).toBeUndefined();
      expect(schedule.GroupName, row.name).toBe(group.Properties.Name);
      expect(schedule.State ?? 'ENABLED', row.name).toBe('ENABLED');
      expect(schedule.FlexibleTimeWindow, row.name).toEqual({ Mode: 'OFF' });
    }
    // The group name is a literal, so the schedules must depend on the group explicitly.
    for (const [id, resource] of ofType(resources, 'AWS::Scheduler::Schedule')) {
      expect(asList(resource.DependsOn ?? []), id).toContain(groupId);
    }
  });

  it('passes { job, time } with Scheduler\'s scheduled time inside the JSON string', () => {
    for (const schedule of synthesized.schedules) {
      const input = JSON.parse(schedule.Target.Input as string);
      expect(input).toEqual({ job: jobOf(schedule), time: '<aws.scheduler.scheduled-time>' });
      // What the jobs handler receives after substitution is still valid JSON with an ISO time.
      const delivered = JSON.parse((schedule.Target.Input as string).replace('<aws.scheduler.scheduled-time>', '2026-03-12T09:00:00Z'));
      expect(new Date(delivered.time).toISOString()).toBe('2026-03-12T09:00:00.000Z');
    }
  });

  it('runs cron rows in the business time zone (UTC by default); rate rows have no zone of their own', () => {
    for (const row of SCHEDULES) {
      const schedule = synthesized.schedules.find((s) => jobOf(s) === row.name)!;
      if (isCron(row.expression)) expect(schedule.ScheduleExpressionTimezone, row.name).toBe('Etc/UTC');
      else expect([undefined, 'UTC', 'Etc/UTC'], row.name).toContain(schedule.ScheduleExpressionTimezone);
    }
  });

  it('targets the jobs function with the row\'s retry policy and the shared dead-letter queue', () => {
    const { schedules, resources } = synthesized;
    const jobsId = jobsFunctionId(resources);
    const queueIds = new Set<string>();
    for (const row of SCHEDULES) {
      const { Target: target } = schedules.find((s) => jobOf(s) === row.name)!;
      expect(getAttId(target.Arn), row.name).toBe(jobsId);
      expect(target.RetryPolicy, row.name).toEqual({
        MaximumRetryAttempts: row.retry.maxRetries,
        MaximumEventAgeInSeconds: row.retry.maxEventAgeSeconds,
      });
      queueIds.add(getAttId(target.DeadLetterConfig.Arn));
    }
    expect(queueIds.size).toBe(1);
    const [queueId] = [...queueIds];
    const queue = resources[queueId!]!;
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    expect(queue.Properties.FifoQueue).toBeUndefined(); // Scheduler does not support FIFO dead-letter queues
    const tlsOnly = ofType(resources, 'AWS::SQS::QueuePolicy')
      .filter(([, policy]) => JSON.stringify(policy.Properties.Queues).includes(`"${queueId}"`))
      .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Json[])
      .filter((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
    expect(tlsOnly).toHaveLength(1);
  });

  it('the execution role can only invoke the jobs function and send to the dead-letter queue, and only Scheduler for this group assumes it', () => {
    const { schedules, resources } = synthesized;
    const roleIds = new Set(schedules.map((s) => getAttId(s.Target.RoleArn)));
    expect(roleIds.size).toBe(1);
    const [roleId] = [...roleIds];
    const role = resources[roleId!]!;
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();

    const trust = role.Properties.AssumeRolePolicyDocument.Statement as Json[];
    expect(trust).toHaveLength(1);
    expect(trust[0]!.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    const groupId = ofType(resources, 'AWS::Scheduler::ScheduleGroup')[0]![0];
    expect(trust[0]!.Condition.StringEquals['aws:SourceArn']).toEqual({ 'Fn::GetAtt': [groupId, 'Arn'] });
    expect(trust[0]!.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });

    const inline = (role.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement as Json[]);
    const attached = ofType(resources, 'AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles ?? []).includes(`"${roleId}"`))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    const grants = [...inline, ...attached].map((s) => ({ effect: s.Effect, actions: asList(s.Action).sort(), resources: asList(s.Resource) }));
    const queueId = getAttId(schedules[0]!.Target.DeadLetterConfig.Arn);
    expect(grants).toHaveLength(2);
    expect(grants).toEqual(expect.arrayContaining([
      { effect: 'Allow', actions: ['lambda:InvokeFunction'], resources: [{ 'Fn::GetAtt': [jobsFunctionId(resources), 'Arn'] }] },
      { effect: 'Allow', actions: ['sqs:SendMessage'], resources: [{ 'Fn::GetAtt': [queueId, 'Arn'] }] },
    ]));
  });
});

describe('schedules with businessTimeZone=America/New_York', () => {
  let synthesized: Scheduled;
  beforeAll(async () => { synthesized = await scheduledStack({ businessTimeZone: 'America/New_York' }); }, 120_000);

  it('cron rows run at their hour in New York, the zone the jobs compute "today" in', () => {
    const cronRows = SCHEDULES.filter((row) => isCron(row.expression));
    expect(cronRows.length).toBeGreaterThan(0);
    for (const row of cronRows) {
      const schedule = synthesized.schedules.find((s) => jobOf(s) === row.name)!;
      expect(schedule.ScheduleExpressionTimezone, row.name).toBe('America/New_York');
    }
    const jobs = synthesized.resources[jobsFunctionId(synthesized.resources)]!;
    expect(jobs.Properties.Environment.Variables.BUSINESS_TIME_ZONE).toBe('America/New_York');
  });
});
