/**
 * The monitoring stack: every alarm the issue asks for exists, notifies the alarm topic and links
 * a runbook entry that exists in docs/operations.md (and every runbook entry has an alarm).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../functions/api/features';
import { RUNBOOKS, type RunbookId, runbookLink } from '../../lib/constructs/monitoring';
import { templatesOf, type Templates } from './synth';

type Json = Record<string, any>;
let built: Templates;
let alarms: Json[];
let topicId: string;

const operations = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
const alarmsLinking = (id: RunbookId) => alarms.filter((a) => String(a.AlarmDescription).includes(runbookLink(id)));
const metricOf = (alarm: Json): string => alarm.MetricName ?? JSON.stringify(alarm.Metrics ?? []);
const dimensionsOf = (alarm: Json): string => JSON.stringify(alarm.Dimensions ?? alarm.Metrics ?? []);

beforeAll(async () => {
  built = await templatesOf({ alarmEmail: 'ops@example.com' });
  const monitoring = built.all.find(({ stack }) => stack === built.synthesized.monitoring)!.template.toJSON().Resources as Record<string, Json>;
  alarms = Object.values(monitoring).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
  topicId = Object.entries(monitoring).find(([, r]) => r.Type === 'AWS::SNS::Topic')![0];
  console.log(`Monitoring stack: ${alarms.length} alarms, ${Object.values(monitoring).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard').length} dashboard(s)`);
}, 120_000);

describe('alarms', () => {
  it('logical ids and alarm names are stable: none carries a token counter (a deploy would replace those alarms)', () => {
    for (const { stack, template } of built.all) {
      const resources = template.toJSON().Resources as Record<string, Json>;
      const unstable = Object.keys(resources).filter((id) => /TOKEN\d/.test(id));
      expect(unstable, stack.stackName).toEqual([]);
    }
    for (const alarm of alarms) expect(JSON.stringify(alarm.AlarmName ?? ''), 'alarm name').not.toMatch(/TOKEN\d/);
  });

  it('every alarm notifies the alarm topic and links a runbook entry that exists', () => {
    expect(alarms.length).toBeGreaterThan(0);
    const headings = [...operations.matchAll(/^#{3,4} (.+)$/gm)].map((m) => m[1]!.trim());
    for (const alarm of alarms) {
      expect(alarm.AlarmActions, alarm.AlarmName).toEqual([{ Ref: topicId }]);
      const id = (Object.keys(RUNBOOKS) as RunbookId[]).find((rid) => String(alarm.AlarmDescription).includes(runbookLink(rid)));
      expect(id, `${JSON.stringify(alarm.AlarmName)} links no runbook`).toBeDefined();
    }
    for (const [id, title] of Object.entries(RUNBOOKS)) {
      expect(headings, `docs/operations.md needs a "### ${title}" runbook`).toContain(title);
      expect(alarmsLinking(id as RunbookId).length, `runbook ${id} has no alarm`).toBeGreaterThan(0);
    }
  });

  it('covers errors and throttles of every function', () => {
    for (const id of ['lambda-errors', 'lambda-throttles'] as const) {
      const perFunction = alarmsLinking(id);
      expect(perFunction).toHaveLength(FEATURE_NAMES.length);
      for (const name of FEATURE_NAMES) {
        const fnId = built.stack.getLogicalId(built.stack.functions[name].fn.node.defaultChild as never);
        const dataFnId = built.data.getLogicalId(built.stack.functions[name].fn.node.defaultChild as never);
        expect(perFunction.some((a) => dimensionsOf(a).includes(fnId) || dimensionsOf(a).includes(dataFnId)), `${id} for ${name}`).toBe(true);
      }
    }
  });

  it('covers the API, the table, the publisher, dead letters, schedules, jobs and SES reputation', () => {
    expect(metricOf(alarmsLinking('api-5xx')[0]!)).toMatch(/5xx/);
    expect(metricOf(alarmsLinking('api-latency')[0]!)).toMatch(/Latency/);
    expect(alarmsLinking('dynamodb-throttles')).toHaveLength(2);
    expect(metricOf(alarmsLinking('dynamodb-errors')[0]!)).toMatch(/SystemErrors/);
    expect(metricOf(alarmsLinking('publisher-iterator-age')[0]!)).toMatch(/IteratorAge/);
    expect(metricOf(alarmsLinking('failed-events')[0]!)).toMatch(/OnFailureDestinationDeliveredEventCount/);
    const dlqs = alarmsLinking('dead-letters');
    expect(dlqs).toHaveLength(3);
    for (const alarm of dlqs) expect(alarm.Threshold).toBe(0);
    expect(alarmsLinking('schedule-failed').map(metricOf).sort()).toEqual(['InvocationDroppedCount', 'TargetErrorCount']);
    const heartbeat = alarmsLinking('job-heartbeat')[0]!;
    expect(heartbeat.MetricName).toBe('JobSucceeded');
    expect(heartbeat.Namespace).toBe('CRM/dev');
    expect(heartbeat.TreatMissingData).toBe('breaching');
    expect(metricOf(alarmsLinking('reminder-backlog')[0]!)).toBe('OldestDueReminderAgeSeconds');
    // SES reviews an account at a 5 % bounce or 0.1 % complaint rate; alarms fire at 80 % of that.
    expect(alarmsLinking('ses-bounces')[0]!.Threshold).toBe(0.04);
    expect(alarmsLinking('ses-complaints')[0]!.Threshold).toBe(0.0008);
  });

  it('subscribes the configured email, and monitoring=false drops the whole stack', async () => {
    const monitoring = built.all.find(({ stack }) => stack === built.synthesized.monitoring)!.template;
    monitoring.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    monitoring.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const without = await templatesOf({ monitoring: 'false' });
    expect(without.synthesized.monitoring).toBeUndefined();
    expect(without.all.map(({ stack }) => stack.stackName)).toEqual(['Crm-dev-Data', 'Crm-dev-App', 'Crm-dev-Routes', 'Crm-dev-MachineApi', 'Crm-dev-Analytics']);
  }, 60_000);

  it('is off by default on dev (about $14 a month a stage) and on by default elsewhere', async () => {
    expect((await templatesOf({ monitoring: undefined })).synthesized.monitoring).toBeUndefined();
    const prod = await templatesOf({ monitoring: undefined, stage: 'prod', senderEmail: 'crm@mail.example.com', corsOrigins: 'https://crm.example.com', appBaseUrl: 'https://crm.example.com' });
    expect(prod.all.map(({ stack }) => stack.stackName)).toEqual(['Crm-prod-Data', 'Crm-prod-App', 'Crm-prod-Routes', 'Crm-prod-MachineApi', 'Crm-prod-Analytics', 'Crm-prod-Monitoring']);
  }, 120_000);
});
