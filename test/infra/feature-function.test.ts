/**
 * FeatureFunction grants for declarations no current feature uses yet (SES, exports), so the
 * first feature that declares them gets exactly these grants and a clean cdk-nag report.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../lib/app';
import { CursorSecret } from '../../lib/constructs/cursor-secret';
import { DataTable } from '../../lib/constructs/data-table';
import { ExportsBucket } from '../../lib/constructs/exports-bucket';
import { FeatureFunction } from '../../lib/constructs/feature-function';

let app: App;
let statements: { Action: string | string[]; Resource: unknown; Condition?: unknown }[];
let env: Record<string, unknown>;
let identityStatements: { Action: string | string[]; Resource: unknown; Condition?: unknown }[];
let identityEnv: Record<string, unknown>;
let checkerEnv: Record<string, unknown>;
let checkerActions: string[];

beforeAll(() => {
  app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'FeatureFunctionTest');
  const exportsBucket = new ExportsBucket(stack, 'Exports', { removalPolicy: RemovalPolicy.DESTROY, logRetentionDays: 7, corsOrigins: ['http://localhost:5173'] });
  new FeatureFunction(stack, 'Campaigns', {
    name: 'campaigns',
    feature: { entry: 'functions/jobs/handler.ts', description: 'test feature', sendEmail: true, writeExports: true },
    resources: {
      table: new DataTable(stack, 'Data', { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY }),
      eventBus: new EventBus(stack, 'Bus'),
      exportsBucket: exportsBucket.bucket,
      cursorSecret: new CursorSecret(stack, 'Cursor', { removalPolicy: RemovalPolicy.DESTROY }).secret,
      senderEmail: 'crm@mail.example.com',
    },
    stage: 'test',
    settings: { businessTimeZone: 'Europe/Berlin', appBaseUrl: 'https://crm.example.com' },
    logLevel: 'INFO',
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // Campaign sender identities (config senderIdentities): a sender and a checker in a stack of their own.
  const identities = new Stack(app, 'SenderIdentitiesTest');
  const common = {
    stage: 'test',
    settings: { businessTimeZone: 'Europe/Berlin', appBaseUrl: 'https://crm.example.com' },
    logLevel: 'INFO',
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
  };
  const senderResources = { senderEmail: 'crm@mail.example.com', senderIdentities: ['mail.example.com', 'news@other.example'] };
  new FeatureFunction(identities, 'Sender', { name: 'sender', feature: { entry: 'functions/jobs/handler.ts', description: 'sends', sendEmail: true }, resources: senderResources, ...common });
  new FeatureFunction(identities, 'Checker', { name: 'checker', feature: { entry: 'functions/marketing/handler.ts', description: 'checks', checksSender: true }, resources: senderResources, ...common });
  const template = Template.fromStack(stack).toJSON();
  const resources = Object.values(template.Resources as Record<string, any>);
  statements = resources.filter((r) => r.Type === 'AWS::IAM::Policy').flatMap((r) => r.Properties.PolicyDocument.Statement);
  env = resources.find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment).Properties.Environment.Variables;
  const idResources = Object.entries(Template.fromStack(identities).toJSON().Resources as Record<string, any>);
  const fn = (prefix: string) => idResources.find(([id, r]) => id.startsWith(prefix) && r.Type === 'AWS::Lambda::Function')![1].Properties.Environment.Variables;
  const policies = (prefix: string) => idResources.filter(([id, r]) => id.startsWith(prefix) && r.Type === 'AWS::IAM::Policy').flatMap(([, r]) => r.Properties.PolicyDocument.Statement);
  identityStatements = policies('Sender');
  identityEnv = fn('Sender');
  checkerEnv = fn('Checker');
  checkerActions = policies('Checker').flatMap((s: { Action: string | string[] }) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}, 60_000);

describe('FeatureFunction', () => {
  it('sendEmail: SES send only from the configured sender address', () => {
    const ses = statements.filter((s) => JSON.stringify(s.Action).includes('ses:Send'));
    expect(ses).toHaveLength(1);
    expect(ses[0]!.Action).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
    expect(ses[0]!.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'crm@mail.example.com' } });
    expect(JSON.stringify(ses[0]!.Resource)).toContain(':identity/crm@mail.example.com');
    expect(env.SENDER_EMAIL).toBe('crm@mail.example.com');
    // Reading the account's send rate (the limiter) is the only other SES action.
    const other = statements.filter((s) => JSON.stringify(s.Action).includes('ses:') && !JSON.stringify(s.Action).includes('ses:Send'));
    expect(other.map((s) => s.Action)).toEqual(['ses:GetAccount']);
  });

  it('sendEmail with sender identities: From the sender, any address at a listed domain, or a listed address — nothing else', () => {
    const ses = identityStatements.filter((s) => JSON.stringify(s.Action).includes('ses:Send'));
    expect(ses).toHaveLength(1);
    expect(ses[0]!.Condition).toEqual({ StringLike: { 'ses:FromAddress': ['crm@mail.example.com', '*@mail.example.com', 'news@other.example'] } });
    const resources = JSON.stringify(ses[0]!.Resource);
    for (const identity of ['crm@mail.example.com', 'mail.example.com', 'news@other.example']) expect(resources).toContain(`:identity/${identity}`);
    expect(identityEnv.SENDER_IDENTITIES).toBe('mail.example.com,news@other.example');
  });

  it('checksSender: the identities to check a campaign sender against, and no SES permission', () => {
    expect(checkerEnv.SENDER_IDENTITIES).toBe('mail.example.com,news@other.example');
    expect(checkerEnv.SENDER_EMAIL).toBeUndefined();
    expect(checkerActions.filter((a) => a.startsWith('ses:'))).toEqual([]);
  });

  it('writeExports: PutObject in the exports bucket only, nothing readable or deletable', () => {
    const s3 = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).filter((a) => a.startsWith('s3:'));
    expect(s3.sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    expect(env.EXPORTS_BUCKET_NAME).toBeDefined();
  });

  it('grants nothing undeclared (no table, bus or secret access)', () => {
    const actions = statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.filter((a) => /^(dynamodb|events|secretsmanager):/.test(a))).toEqual([]);
    expect(env.CURSOR_SECRET_ARN).toBeUndefined();
    expect(env.EVENT_BUS_NAME).toBeUndefined();
  });

  it('stays clean under cdk-nag', () => {
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});
