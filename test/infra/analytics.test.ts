/**
 * The analytics stack as synthesized: the Glue catalog (one Iceberg table per lake table, columns
 * from functions/analytics/lake.ts, plus the export-records table), the two Athena workgroups,
 * the saved queries, and the refresh workflow with its schedule, alarm and grants.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { glueType, lakeTables } from '../../functions/analytics/lake';
import { SAVED_QUERIES } from '../../functions/analytics/queries';
import { templatesOf } from './synth';

let template: Template;
let monitoringAlarms: any[];
let json: { Resources: Record<string, { Type: string; Properties: any }> };
const ofType = (type: string) => Object.values(json.Resources).filter((r) => r.Type === type).map((r) => r.Properties);

beforeAll(async () => {
  const built = await templatesOf();
  const analytics = built.all.find(({ stack }) => stack === built.synthesized.analytics)!;
  template = analytics.template;
  json = template.toJSON() as typeof json;
  const monitoring = built.all.find(({ stack }) => stack === built.synthesized.monitoring)!;
  monitoringAlarms = Object.values((monitoring.template.toJSON() as typeof json).Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm').map((r) => r.Properties);
}, 120_000);

describe('analytics stack', () => {
  it('catalogs every lake table as an Iceberg table with the generated columns, and the export files', () => {
    expect(ofType('AWS::Glue::Database')).toHaveLength(1);
    const tables = ofType('AWS::Glue::Table');
    for (const table of lakeTables()) {
      const glue = tables.find((t) => t.TableInput.Name === `${table.name}_current`);
      expect(glue, table.name).toBeDefined();
      expect(glue.OpenTableFormatInput).toEqual({ IcebergInput: { MetadataOperation: 'CREATE', Version: '2' } });
      expect(glue.TableInput.StorageDescriptor.Columns.map((c: any) => [c.Name, c.Type])).toEqual(table.columns.map((c) => [c.name, glueType(c.type)]));
    }
    const records = tables.find((t) => t.TableInput.Name === 'export_records');
    expect(records.TableInput.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.export_id.type': 'injected' });
    expect(tables).toHaveLength(lakeTables().length + 1);
  });

  it('has a workflow-only and an analyst workgroup: enforced, encrypted results, a scan limit', () => {
    const groups = ofType('AWS::Athena::WorkGroup');
    expect(groups).toHaveLength(2);
    for (const group of groups) {
      expect(group.WorkGroupConfiguration).toMatchObject({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_S3' } },
      });
    }
    expect(ofType('AWS::Athena::NamedQuery').map((q) => q.Name).sort()).toEqual(SAVED_QUERIES.map((q) => q.name).sort());
  });

  it('runs the workflow on a schedule: export, wait, MERGE every table, then the checkpoint', () => {
    const [machine] = ofType('AWS::StepFunctions::StateMachine');
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.LoggingConfiguration.Level).toBe('ALL');
    const definition = JSON.stringify(machine.DefinitionString);
    for (const table of lakeTables()) {
      expect(definition, table.name).toContain(`${table.name}_current`);
    }
    expect(definition).toContain('MERGE INTO');
    expect(definition).toContain('INCREMENTAL_EXPORT');
    expect(definition).toContain('attribute_not_exists(pk) OR exportedTo = :last');
    // The hash key is read at run time, never written into the template.
    expect(definition).toContain('__LAKE_SALT__');
    const [schedule] = ofType('AWS::Scheduler::Schedule');
    expect(schedule.ScheduleExpression).toBe('rate(1 hour)');
    expect(schedule.Target.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 2 });
    // The monitoring stack alarms on failed runs, linking the runbook.
    const alarm = monitoringAlarms.find((a) => a.MetricName === 'ExecutionsFailed');
    expect(String(alarm?.AlarmDescription)).toContain('docs/operations.md#analytics-lake-refresh-failed');
  });

  it('grants S3 only under the lake and result prefixes, the table only for its checkpoint, and no action on every bucket', () => {
    const statements = ofType('AWS::IAM::Policy').flatMap((p) => p.PolicyDocument.Statement);
    const checkpoint = statements.find((s) => JSON.stringify(s.Action) === JSON.stringify(['dynamodb:GetItem', 'dynamodb:PutItem']));
    expect(checkpoint.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ANALYTICS#LAKE'] } });
    expect(statements.some((s) => /dynamodb:(getItem|putItem)/.test(JSON.stringify(s.Action)) && !s.Condition)).toBe(false);
    for (const s of statements) {
      const actions = [s.Action].flat() as string[];
      if (actions.some((a) => a.startsWith('s3:')) && s.Resource === '*') throw new Error(`S3 on every bucket: ${actions.join(',')}`);
    }
    const wildcard = statements.filter((s) => s.Resource === '*').flatMap((s) => [s.Action].flat());
    expect(wildcard.filter((a) => !/^(logs:|xray:|lakeformation:GetDataAccess$)/.test(a))).toEqual([]);
  });

  it('has no restricted (unmasked) database unless the deployment opts in', () => {
    expect(ofType('AWS::IAM::Group')).toHaveLength(0);
    expect(JSON.stringify(json)).not.toContain('_restricted');
  });

  it('opt-in: a restricted database with the unmasked columns, filled by the workflow, readable through its own workgroup and managed policy', async () => {
    const built = await templatesOf({ analyticsRestricted: 'true' });
    const restricted = built.all.find(({ stack }) => stack === built.synthesized.analytics)!.template.toJSON() as typeof json;
    const of = (type: string) => Object.values(restricted.Resources).filter((r) => r.Type === type).map((r) => r.Properties);
    const databases = of('AWS::Glue::Database').map((d) => d.DatabaseInput.Name as string);
    expect(databases).toHaveLength(2);
    const name = databases.find((d) => d.endsWith('_restricted'))!;
    expect(name).toBeDefined();
    const tables = of('AWS::Glue::Table').filter((t) => t.DatabaseName === name);
    expect(tables).toHaveLength(lakeTables('clear').length);
    const customers = tables.find((t) => t.TableInput.Name === 'customers_current');
    const columns = customers.TableInput.StorageDescriptor.Columns.map((c: any) => c.Name);
    // Personal data in clear here, and only here.
    expect(columns).toEqual(expect.arrayContaining(['email', 'phone', 'tax_id', 'address_line1', 'address_postal_code']));
    expect(lakeTables().find((t) => t.name === 'customers')!.columns.map((c) => c.name)).not.toContain('phone');
    expect(JSON.stringify(customers.TableInput.StorageDescriptor.Location)).toMatch(/lake\/restricted\/customers/);
    // Its own workgroup, results under their own prefix.
    const groups = of('AWS::Athena::WorkGroup');
    expect(groups).toHaveLength(3);
    const group = groups.find((g) => String(g.Name).endsWith('-restricted'))!;
    expect(JSON.stringify(group.WorkGroupConfiguration.ResultConfiguration.OutputLocation)).toContain('athena-results/restricted/');
    // The workflow fills it with the same export, unmasked.
    const definition = JSON.stringify(of('AWS::StepFunctions::StateMachine')[0].DefinitionString);
    expect(definition).toContain(`${name}`);
    // A managed policy on the restricted analyst group: that database, that workgroup, lake/restricted/ only.
    const [policy] = of('AWS::IAM::ManagedPolicy');
    const [group2] = of('AWS::IAM::Group');
    expect(group2.ManagedPolicyArns).toHaveLength(1);
    const text = JSON.stringify(policy.PolicyDocument);
    expect(text).toContain(`database/${name}`);
    expect(text).toContain('lake/restricted/*');
    expect(text).toContain('-restricted');
    expect(text).not.toContain('lake/tables');
    expect(text).not.toMatch(/"s3:[A-Za-z]+"[^}]*"Resource":"\*"/);
  }, 120_000);

  it('can be left out', async () => {
    expect((await templatesOf({ analytics: 'false' })).synthesized.analytics).toBeUndefined();
  }, 120_000);
});
