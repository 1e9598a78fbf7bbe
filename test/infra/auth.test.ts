/**
 * The Auth construct on its own, in a small stack: the V2_0 pre-token-generation trigger, threat
 * protection as a setting, Cognito email through SES and the optional SES identity with DKIM and
 * a configuration set, the sign-in domain and the app client's OAuth settings — and cdk-nag clean
 * in every combination, with the COG8 acknowledgement present only when threat protection is off.
 * The docs page's client and the system function's sign-in settings, in the whole app:
 * test/infra/docs-sign-in.test.ts.
 */
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { Auth, type AuthProps } from '../../lib/constructs/auth';

function build(props: Partial<AuthProps> & { trigger?: boolean } = {}) {
  const app = new App();
  // Environment-agnostic like the CRM stacks: the region is a token at synth time.
  const stack = new Stack(app, 'AuthTest');
  const trigger = props.trigger === false ? undefined : new LambdaFunction(stack, 'PreToken', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async (e) => e;'),
  });
  const auth = new Auth(stack, 'Auth', {
    mfa: 'required',
    deletionProtection: false,
    removalPolicy: RemovalPolicy.DESTROY,
    preTokenGeneration: trigger,
    ...props,
  });
  return { app, stack, auth, template: Template.fromStack(stack) };
}

/** cdk-nag findings on the Auth construct (the stand-in trigger function is not under test). */
function nagFindings(app: App): string[] {
  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((v) => v.violatingResources
    .filter((r) => r.constructPath?.includes('/Auth/'))
    .map((r) => `${v.ruleName} at ${r.constructPath}`));
}

function acknowledged(auth: Auth): Record<string, string> {
  return Object.assign({}, ...auth.userPool.node.metadata
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .map((entry) => Object.fromEntries(Object.entries(entry.data as Record<string, string>).map(([id, reason]) => [id.replace(/^annotation::/i, ''), reason]))));
}

const poolProps = (template: Template) => Object.values(template.findResources('AWS::Cognito::UserPool'))[0]!;

describe('pre-token-generation trigger', () => {
  it('is wired as the V2_0 trigger (access-token customisation), and Cognito may invoke it from this pool only', () => {
    const { template, stack } = build();
    const fnId = stack.getLogicalId(stack.node.findChild('PreToken').node.defaultChild as never);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: { 'Fn::GetAtt': [fnId, 'Arn'] }, LambdaVersion: 'V2_0' } },
    });
    // V1-style PreTokenGeneration would customise the ID token only.
    expect(poolProps(template).Properties.LambdaConfig.PreTokenGeneration).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'cognito-idp.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('UserPool'), 'Arn'] },
    });
  });

  it('keeps the verified address until a changed one is verified', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
    });
  });

  it('is absent when no function is given', () => {
    const { template } = build({ trigger: false });
    expect(poolProps(template).Properties.LambdaConfig).toBeUndefined();
  });
});

describe('threat protection', () => {
  it('on: Plus plan with standard threat protection enforced, nag-clean without acknowledgement', () => {
    const { template, app, auth } = build({ threatProtection: true });
    template.hasResourceProperties('AWS::Cognito::UserPool', { UserPoolTier: 'PLUS', UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' } });
    expect(acknowledged(auth)).not.toHaveProperty('AwsSolutions-COG8');
    expect(nagFindings(app)).toEqual([]);
  });

  it('off: Essentials (still enough for V2_0 triggers), COG8 acknowledged with the true reason', () => {
    const { template, app, auth } = build({ threatProtection: false });
    template.hasResourceProperties('AWS::Cognito::UserPool', { UserPoolTier: 'ESSENTIALS' });
    expect(poolProps(template).Properties.UserPoolAddOns).toBeUndefined();
    const reason = acknowledged(auth)['AwsSolutions-COG8'];
    expect(reason).toMatch(/-c threatProtection=true/);
    expect(reason).toMatch(/on by default for every stage except dev/);
    expect(reason).toMatch(/billed per monthly active user/);
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('Cognito email', () => {
  it('uses Cognito\'s default sender unless told otherwise', () => {
    const { template } = build();
    const config = poolProps(template).Properties.EmailConfiguration;
    expect(config?.EmailSendingAccount ?? 'COGNITO_DEFAULT').toBe('COGNITO_DEFAULT');
    expect(template.findResources('AWS::SES::EmailIdentity')).toEqual({});
  });

  it('goes through SES from the sender address in the stack\'s region', () => {
    const { template } = build({ emailThroughSes: true, senderEmail: 'crm@example.com' });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      EmailConfiguration: {
        EmailSendingAccount: 'DEVELOPER',
        From: 'crm@example.com',
        SourceArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':ses:'), { Ref: 'AWS::Region' }, ':identity/crm@example.com'])] },
      },
    });
    expect(template.findResources('AWS::SES::EmailIdentity')).toEqual({});
  });

  it('with createSesIdentity: a DKIM-signed domain identity and a configuration set with reputation metrics, used by Cognito', () => {
    const { template, auth, stack } = build({ emailThroughSes: true, createSesIdentity: true, senderEmail: 'crm@mail.example.com' });
    const setId = stack.getLogicalId(auth.configurationSet!.node.defaultChild as never);
    const identityId = stack.getLogicalId(auth.emailIdentity!.node.defaultChild as never);
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { ReputationOptions: { ReputationMetricsEnabled: true } });
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'mail.example.com',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' }, // Easy DKIM
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: setId } },
    });
    const pool = poolProps(template);
    expect(pool.Properties.EmailConfiguration).toMatchObject({
      EmailSendingAccount: 'DEVELOPER',
      From: 'crm@mail.example.com',
      ConfigurationSet: { Ref: setId },
    });
    expect(JSON.stringify(pool.Properties.EmailConfiguration.SourceArn)).toContain(':identity/mail.example.com');
    // The identity exists before the pool that sends with it.
    expect(pool.DependsOn).toEqual(expect.arrayContaining([identityId]));
    const outputs = Object.entries(template.findOutputs('*')).filter(([name]) => name.includes('SenderDkimRecord'));
    expect(outputs).toHaveLength(3);
  });

  it('can create the identity while Cognito keeps its default sender (verify first, switch later)', () => {
    const { template } = build({ createSesIdentity: true, senderEmail: 'crm@example.com' });
    expect(Object.keys(template.findResources('AWS::SES::EmailIdentity'))).toHaveLength(1);
    expect(poolProps(template).Properties.EmailConfiguration?.EmailSendingAccount ?? 'COGNITO_DEFAULT').toBe('COGNITO_DEFAULT');
  });

  it('refuses SES settings without a sender address', () => {
    expect(() => build({ emailThroughSes: true })).toThrow(/senderEmail/);
    expect(() => build({ createSesIdentity: true })).toThrow(/senderEmail/);
  });

  it('stays nag-clean with every email option on', () => {
    const { app } = build({ threatProtection: true, emailThroughSes: true, createSesIdentity: true, senderEmail: 'crm@example.com' });
    expect(nagFindings(app)).toEqual([]);
  });
});

const clientsOf = (template: Template) => Object.values(template.findResources('AWS::Cognito::UserPoolClient')) as { Properties: Record<string, any> }[];

describe('sign-in domain and OAuth 2.0', () => {
  it('has a prefix domain derived from the stage and the stack\'s own id (no hard-coded name), classic hosted UI', () => {
    const { template, auth, stack } = build({ stage: 'qa' });
    const poolId = stack.getLogicalId(auth.userPool.node.defaultChild as never);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      UserPoolId: { Ref: poolId },
      Domain: { 'Fn::Join': ['-', ['crm-qa', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }]] },
      ManagedLoginVersion: 1,
    });
    // AUTH_DOMAIN_URL: https://<prefix>.auth.<region>.amazoncognito.com
    const url = JSON.stringify(stack.resolve(auth.domainUrl));
    expect(url).toContain('https://');
    expect(url).toContain('.auth.');
    expect(url).toContain('amazoncognito.com');
  });

  it('takes an explicit prefix, or a custom domain with its certificate (and says which DNS record to publish)', () => {
    build({ domain: { prefix: 'acme-crm' } }).template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'acme-crm' });
    const custom = build({ domain: { customDomain: 'auth.crm.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' } });
    custom.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'auth.crm.example.com',
      CustomDomainConfig: { CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
    });
    expect(custom.auth.domainUrl).toBe('https://auth.crm.example.com');
    expect(Object.keys(custom.template.findOutputs('*')).some((name) => name.includes('DomainAlias'))).toBe(true);
    expect(() => build({ domain: { customDomain: 'auth.crm.example.com' } })).toThrow(/certificateArn/);
  });

  it('keeps the app client on SRP only until the stage names its web client\'s callbacks', () => {
    const [client] = clientsOf(build().template);
    expect(client!.Properties.AllowedOAuthFlowsUserPoolClient).toBe(false);
    expect(client!.Properties.CallbackURLs).toBeUndefined();
  });

  it('with callback URLs: the app client signs in through the domain (code grant, openid/email/profile, logout URLs)', () => {
    const { template, app } = build({ callbackUrls: ['https://crm.example.com/callback'], logoutUrls: ['https://crm.example.com/'] });
    const [client] = clientsOf(template);
    expect(client!.Properties).toMatchObject({
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      CallbackURLs: ['https://crm.example.com/callback'],
      LogoutURLs: ['https://crm.example.com/'],
      SupportedIdentityProviders: ['COGNITO'],
      GenerateSecret: false,
    });
    expect([...client!.Properties.AllowedOAuthScopes].sort()).toEqual(['email', 'openid', 'profile']);
    expect([...client!.Properties.ExplicitAuthFlows].sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    expect(nagFindings(app)).toEqual([]);
  });
});
