/**
 * Inbound email in AWS (lib/constructs/inbound-mail.ts), synthesized with a support address: a
 * receipt rule that stores the raw mail under inbound/ of the data stack's inbound bucket and then
 * invokes the inbound-mail function; SES alone (of this account) may write there; the function may
 * read inbound/ and write quarantine/ and nothing else of the bucket; cdk-nag stays clean. Without
 * the setting there is no rule (test/infra/stack.test.ts synthesizes the default).
 */
import { Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { templatesOf, type Templates } from './synth';

type Json = Record<string, any>;

let built: Templates;
beforeAll(async () => {
  built = await templatesOf({ supportEmail: 'Support@Help.Example.com', monitoring: 'false', analytics: 'false' });
}, 400_000);

const resourcesOf = (template: Templates['template'], type: string): [string, Json][] => Object.entries(template.findResources(type) as Record<string, Json>);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => {
  const cfn = construct.node.defaultChild as { logicalId: string };
  return Stack.of(construct as never).resolve(cfn.logicalId) as string;
};

describe('inbound email in AWS', () => {
  it('has a receipt rule for the support address: TLS, scanning, S3 (inbound/) then the function, asynchronously', () => {
    expect(resourcesOf(built.template, 'AWS::SES::ReceiptRuleSet')).toHaveLength(1);
    const [[, rule]] = resourcesOf(built.template, 'AWS::SES::ReceiptRule') as [[string, Json]];
    const props = rule.Properties.Rule;
    expect(props).toMatchObject({ Enabled: true, Recipients: ['support@help.example.com'], ScanEnabled: true, TlsPolicy: 'Require' });
    expect(props.Actions).toHaveLength(2);
    const [store, invoke] = props.Actions;
    expect(store.S3Action.ObjectKeyPrefix).toBe('inbound/');
    expect(JSON.stringify(store.S3Action.BucketName)).toContain('Fn::ImportValue');
    expect(invoke.LambdaAction.InvocationType).toBe('Event');
    expect(JSON.stringify(invoke.LambdaAction.FunctionArn)).toContain(logicalId(built.stack.functions['inbound-mail'].fn));
    // No physical names: two stages can coexist in one account.
    const [[, set]] = resourcesOf(built.template, 'AWS::SES::ReceiptRuleSet') as [[string, Json]];
    expect(set.Properties?.RuleSetName).toBeUndefined();
    expect(props.Name).toBeUndefined();
  });

  it('lets SES of this account only write inbound/ of the inbound bucket, and invoke the function', () => {
    const bucketId = logicalId(built.data.inboundMail.bucket);
    const policies = resourcesOf(built.dataTemplate, 'AWS::S3::BucketPolicy').filter(([, p]) => JSON.stringify(p.Properties.Bucket).includes(bucketId));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    const ses = statements.filter((s) => s.Principal?.Service === 'ses.amazonaws.com');
    expect(ses).toHaveLength(1);
    expect(ses[0]).toMatchObject({ Effect: 'Allow', Action: 's3:PutObject', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } });
    expect(JSON.stringify(ses[0]!.Resource)).toContain('/inbound/*');
    const permissions = resourcesOf(built.template, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'ses.amazonaws.com');
    expect(permissions).toHaveLength(1);
    expect(permissions[0]![1].Properties.SourceAccount).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('keeps the bucket private, encrypted, logged and expiring', () => {
    const [, bucket] = resourcesOf(built.dataTemplate, 'AWS::S3::Bucket').find(([id]) => id === logicalId(built.data.inboundMail.bucket))!;
    const props = bucket.Properties;
    expect(props.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect(props.LoggingConfiguration.LogFilePrefix).toBe('inbound-mail/');
    expect(props.BucketName).toBeUndefined();
    const rules = props.LifecycleConfiguration.Rules.map((r: Json) => [r.Prefix, r.ExpirationInDays]);
    expect(rules).toEqual([['inbound/', 30], ['quarantine/', 90]]);
  });

  it('grants the function GetObject on inbound/ and PutObject on quarantine/ only, with its settings', () => {
    const role = logicalId(built.stack.functions['inbound-mail'].role);
    const policies = resourcesOf(built.template, 'AWS::IAM::Policy').filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(role));
    const s3 = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]).filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3.map((s) => [s.Action, JSON.stringify(s.Resource).match(/\/(inbound|quarantine)\/\*/)?.[1]])).toEqual([['s3:GetObject', 'inbound'], ['s3:PutObject', 'quarantine']]);
    const [, fn] = resourcesOf(built.template, 'AWS::Lambda::Function').find(([id]) => id === logicalId(built.stack.functions['inbound-mail'].fn))!;
    expect(fn.Properties.Environment.Variables.SUPPORT_EMAIL).toBe('support@help.example.com');
    expect(fn.Properties.Environment.Variables.INBOUND_BUCKET).toBeDefined();
  });

  it('is clean under cdk-nag', () => {
    const report = new AwsSolutionsChecks().validateScope(built.synthesized.app);
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`))).toEqual([]);
  });

  it('refuses a support address that is neither an address nor a domain', async () => {
    await expect(templatesOf({ supportEmail: 'not a domain' })).rejects.toThrow(/supportEmail/);
  });
});
