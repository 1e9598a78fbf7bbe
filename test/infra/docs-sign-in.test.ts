/**
 * Signing in from the deployed `/docs` page, in the whole app: the data stack's user pool domain,
 * the app stack's docs client whose callback is the API's own `/docs`, the authorizer accepting
 * that client's tokens, and the system function told the domain and the client — plus problem
 * `type` URIs on the API's own `/problems/` pages — all without a cross-stack or in-stack cycle
 * (synthesis would fail).
 */
import { Stack } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { APP_STACK_FEATURES } from '../../lib/app-stack';
import { templatesOf, type Templates } from './synth';

type Json = Record<string, any>;

let built: Templates;
beforeAll(async () => {
  built = await templatesOf({ oauthCallbackUrls: 'https://crm.example.com/callback' });
}, 120_000);

const resourcesOf = (templates: Templates['template'], type: string): [string, Json][] =>
  Object.entries(templates.findResources(type) as Record<string, Json>);
const logicalId = (construct: { node: { defaultChild?: unknown } }) => {
  const cfn = construct.node.defaultChild as { logicalId: string };
  return Stack.of(construct as never).resolve(cfn.logicalId) as string;
};
const envOf = (fn: { node: { defaultChild?: unknown } }): Json => {
  const [, resource] = resourcesOf(built.template, 'AWS::Lambda::Function').find(([id]) => id === logicalId(fn))!;
  return resource.Properties.Environment.Variables;
};

describe('docs sign-in in AWS', () => {
  it('gives the user pool a domain, published as AuthDomainUrl', () => {
    expect(resourcesOf(built.dataTemplate, 'AWS::Cognito::UserPoolDomain')).toHaveLength(1);
    const output = built.dataTemplate.findOutputs('AuthDomainUrl');
    expect(JSON.stringify(output)).toContain('amazoncognito.com');
  });

  it('has a docs client in the app stack: code grant, openid/email/profile, callback and logout = the API\'s /docs', () => {
    const apiId = logicalId(built.stack.api.api);
    const [[, client]] = resourcesOf(built.template, 'AWS::Cognito::UserPoolClient') as [[string, Json]];
    const props = client.Properties;
    expect(props).toMatchObject({ AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'], GenerateSecret: false, SupportedIdentityProviders: ['COGNITO'] });
    expect([...props.AllowedOAuthScopes].sort()).toEqual(['email', 'openid', 'profile']);
    expect(props.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
    for (const urls of [props.CallbackURLs, props.LogoutURLs]) {
      expect(urls).toHaveLength(1);
      const url = JSON.stringify(urls[0]);
      expect(url).toContain(`{"Ref":"${apiId}"}`);
      expect(url).toContain('.execute-api.');
      expect(url).toMatch(/\/docs"\]\]\}$/);
    }
    // The pool is the data stack's, imported.
    expect(JSON.stringify(props.UserPoolId)).toContain('Fn::ImportValue');
  });

  it('lets the authorizer accept the app client\'s and the docs client\'s tokens', () => {
    const docsClientId = logicalId(built.stack.docsSignIn.client);
    // The staff authorizer, in the routes stack (the portal one trusts only the portal client).
    const routes = built.all.find(({ stack }) => stack === built.synthesized.routes)!.template;
    const staff = resourcesOf(routes, 'AWS::ApiGatewayV2::Authorizer')
      .filter(([, a]) => (a.Properties.JwtConfiguration.Audience as Json[]).length === 2);
    expect(staff).toHaveLength(1);
    const audience = staff[0]![1].Properties.JwtConfiguration.Audience as Json[];
    expect(JSON.stringify(audience[0])).toContain('Fn::ImportValue');
    // The docs client is the app stack's: imported into the routes stack.
    expect(JSON.stringify(audience[1])).toContain(`ExportsOutputRef${docsClientId}`);
  });

  it('tells the system function the domain (AUTH_DOMAIN_URL) and the docs client (DOCS_CLIENT_ID)', () => {
    const env = envOf(built.stack.functions.system.fn);
    expect(JSON.stringify(env.AUTH_DOMAIN_URL)).toContain('Fn::ImportValue');
    expect(env.DOCS_CLIENT_ID).toEqual({ Ref: logicalId(built.stack.docsSignIn.client) });
    expect(envOf(built.stack.functions.customers.fn).AUTH_DOMAIN_URL).toBeUndefined();
  });

  it('enables OAuth on the data stack\'s app client for the configured web client callbacks', () => {
    const [[, client]] = resourcesOf(built.dataTemplate, 'AWS::Cognito::UserPoolClient') as [[string, Json]];
    expect(client.Properties).toMatchObject({
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      CallbackURLs: ['https://crm.example.com/callback'],
      LogoutURLs: ['https://crm.example.com/callback'],
    });
  });
});

describe('problem type URIs in AWS', () => {
  it('point every app function at the API\'s own /problems/ pages by default', () => {
    const apiId = logicalId(built.stack.api.api);
    for (const name of APP_STACK_FEATURES) {
      const base = JSON.stringify(envOf(built.stack.functions[name].fn).PROBLEM_BASE_URL);
      expect(base, name).toContain(`{"Ref":"${apiId}"}`);
      expect(base, name).toMatch(/\/problems\/"\]\]\}$/);
    }
  });

  it('use a configured problemBaseUrl (e.g. the API\'s custom domain) as is', async () => {
    const custom = await templatesOf({ stage: 'dev', problemBaseUrl: 'https://api.crm.example.com/problems/' });
    const [, system] = Object.entries(custom.template.findResources('AWS::Lambda::Function') as Record<string, Json>)
      .find(([id]) => id === logicalId(custom.stack.functions.system.fn))!;
    expect(system.Properties.Environment.Variables.PROBLEM_BASE_URL).toBe('https://api.crm.example.com/problems/');
  }, 120_000);
});
