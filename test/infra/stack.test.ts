/**
 * Security and wiring properties of the synthesized CRM stacks (data, app, monitoring), driven by
 * the same data tables the stacks are built from (ROUTES, FEATURES, SCHEDULES, TABLE_SPEC, ROLES):
 * adding a row there is checked here without editing this file.
 */
import { Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURES, FEATURE_NAMES, type FeatureDef, type FeatureName } from '../../functions/api/features';
import { ROUTES, routeKey } from '../../functions/api/routes';
import { TABLE_SPEC, keyAttributeNames } from '../../functions/data/table';
import { OUTBOX_STREAM_FILTER } from '../../functions/events/outbox';
import { authorizerOf } from '../../functions/api/route-def';
import { STAFF_ROLES } from '../../functions/security/permissions';
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS } from '../../lib/constructs/http-api';
import type { AppStack } from '../../lib/app-stack';
import type { DataStack } from '../../lib/data-stack';
import { templatesOf, type Templates } from './synth';

type Json = Record<string, any>;
interface Statement { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown }

let built: Templates;
/** The app stack's template (API, functions, schedules). */
let template: Template;
let dataTemplate: Template;
let stack: AppStack;
let data: DataStack;
/** Resources of every stack of the stage, by logical id. */
let resources: Record<string, Json>;

beforeAll(async () => {
  built = await templatesOf();
  ({ template, stack, data, dataTemplate } = built);
  resources = {};
  machineResources = {};
  for (const { stack: s, template: t } of built.all) {
    for (const [id, resource] of Object.entries(t.toJSON().Resources as Record<string, Json>)) {
      expect(resources[id] ?? machineResources[id], `logical id ${id} in two stacks`).toBeUndefined();
      // The machine API (API keys) is the same routes behind a second HTTP API: checked on its own below.
      if (s === built.synthesized.machineApi) machineResources[id] = resource;
      else resources[id] = resource;
    }
  }
}, 60_000);
/** Resources of the machine API stack (Crm-<stage>-MachineApi), by logical id. */
let machineResources: Record<string, Json>;

const logicalId = (construct: { node: { defaultChild?: unknown } } | CfnFunction): string => {
  const cfn = ('node' in construct && construct.node.defaultChild ? construct.node.defaultChild : construct) as CfnFunction;
  return Stack.of(cfn).resolve(cfn.logicalId) as string;
};
/** The logical id of the authorizer a JWT authorizer object created when it was bound to its routes. */
const authorizerIdOf = (authorizer: { authorizerId: string }): string => (stack.resolve(authorizer.authorizerId) as { Ref: string }).Ref;
const ofType = (type: string): [string, Json][] =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);
const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0]!;
};
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every statement of every policy attached to a feature function's role. */
function statementsOf(feature: FeatureName): Statement[] {
  const roleId = logicalId(stack.functions[feature].role);
  const role = resources[roleId]!;
  const inline = (role.Properties.Policies ?? []).flatMap((policy: Json) => policy.PolicyDocument.Statement);
  const attached = ofType('AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties.Roles ?? []).includes(`"${roleId}"`))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}
const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => asList(s.Action));
/**
 * Whether `value` references resource `id` (its attribute, or its Ref) — in the same stack, or in
 * another one through CDK's generated export (`Crm-dev-Data:ExportsOutputFnGetAtt<id><attribute>…`).
 */
const refersTo = (value: unknown, id: string, attribute?: string): boolean => {
  const json = JSON.stringify(value);
  if (json.includes(attribute ? `["${id}","${attribute}"]` : `"${id}"`)) return true;
  return json.includes(attribute ? `:ExportsOutputFnGetAtt${id}${attribute}` : `:ExportsOutputRef${id}`);
};

describe('table (derived from TABLE_SPEC)', () => {
  it('is on demand with PITR, SSE, TTL and a NEW_AND_OLD_IMAGES stream', () => {
    dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE_SPEC.ttlAttribute, Enabled: true },
      StreamSpecification: { StreamViewType: TABLE_SPEC.stream },
    });
  });

  it('has the key schema and every index of TABLE_SPEC, all string keys, projection ALL', () => {
    const [, table] = only(ofType('AWS::DynamoDB::Table'));
    const props = table.Properties;
    expect(props.TableName).toBeUndefined();
    expect(props.KeySchema).toEqual([
      { AttributeName: TABLE_SPEC.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SPEC.sortKey, KeyType: 'RANGE' },
    ]);
    expect(props.AttributeDefinitions).toEqual(
      expect.arrayContaining(keyAttributeNames().map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
    );
    expect(props.AttributeDefinitions).toHaveLength(keyAttributeNames().length);
    expect(props.GlobalSecondaryIndexes).toEqual(TABLE_SPEC.globalIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })));
  });
});

describe('HTTP API (driven by ROUTES)', () => {
  const routes = () => ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);
  const routeFor = (key: string) => only(routes().filter((route) => route.RouteKey === key));

  it('has exactly one route per ROUTES row', () => {
    expect(routes()).toHaveLength(ROUTES.length);
    expect(routes().map((route) => route.RouteKey).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  it('puts the Cognito JWT authorizer on every non-public route — the portal pool\'s on portal routes — and none on public ones', () => {
    const authorizerId = authorizerIdOf(built.synthesized.routes.routes.authorizer);
    const portalAuthorizerId = authorizerIdOf(built.synthesized.routes.routes.portalAuthorizer);
    expect(ofType('AWS::ApiGatewayV2::Authorizer').map(([id]) => id).sort()).toEqual([authorizerId, portalAuthorizerId].sort());
    for (const route of ROUTES) {
      const props = routeFor(routeKey(route));
      if (route.permission === 'public') {
        expect(props.AuthorizationType ?? 'NONE', routeKey(route)).toBe('NONE');
        expect(props.AuthorizerId, routeKey(route)).toBeUndefined();
      } else {
        expect(props.AuthorizationType, routeKey(route)).toBe('JWT');
        expect(props.AuthorizerId, routeKey(route)).toEqual({ Ref: authorizerOf(route) === 'portal' ? portalAuthorizerId : authorizerId });
      }
    }
    expect(ROUTES.filter((route) => route.permission === 'public').map(routeKey).sort())
      .toEqual(['GET /dashboard', 'GET /docs', 'GET /problems/{type}', 'GET /v1/csat', 'GET /v1/health', 'GET /v1/openapi.json', 'GET /v1/signup/confirm', 'GET /v1/unsubscribe', 'POST /v1/csat', 'POST /v1/signup', 'POST /v1/signup/confirm', 'POST /v1/unsubscribe']);
  });

  it('authorizer trusts the user pool as issuer and the app client as audience', () => {
    const poolId = logicalId(data.auth.userPool);
    const clientId = logicalId(data.auth.client);
    const authorizer = resources[authorizerIdOf(built.synthesized.routes.routes.authorizer)]!;
    expect(authorizer.Properties.AuthorizerType).toBe('JWT');
    expect(authorizer.Properties.IdentitySource).toEqual(['$request.header.Authorization']);
    // The app client and the docs page's own client (test/infra/docs-sign-in.test.ts).
    expect(authorizer.Properties.JwtConfiguration.Audience).toHaveLength(2);
    expect(refersTo(authorizer.Properties.JwtConfiguration.Audience[0], clientId)).toBe(true);
    expect(refersTo(authorizer.Properties.JwtConfiguration.Audience[1], logicalId(stack.docsSignIn.client))).toBe(true);
    // The issuer URL is built from the pool's ProviderURL (imported from the data stack).
    expect(JSON.stringify(authorizer.Properties.JwtConfiguration.Issuer)).toContain(poolId);
    // The portal routes' authorizer: the portal pool as issuer, its one client as audience.
    const portal = resources[authorizerIdOf(built.synthesized.routes.routes.portalAuthorizer)]!;
    expect(portal.Properties.JwtConfiguration.Audience).toHaveLength(1);
    expect(refersTo(portal.Properties.JwtConfiguration.Audience[0], logicalId(data.portalAuth.client))).toBe(true);
    expect(JSON.stringify(portal.Properties.JwtConfiguration.Issuer)).toContain(logicalId(data.portalAuth.userPool));
    expect(JSON.stringify(portal.Properties.JwtConfiguration.Issuer)).not.toContain(poolId);
  });

  it('sends each route to its feature function, one integration per feature', () => {
    const integrations = Object.fromEntries(ofType('AWS::ApiGatewayV2::Integration'));
    for (const route of ROUTES) {
      const target = routeFor(routeKey(route)).Target as Json;
      const integrationId = JSON.stringify(target).match(/"Ref":"([^"]+)"/)![1]!;
      const uri = integrations[integrationId]!.Properties.IntegrationUri;
      expect(refersTo(uri, logicalId(stack.functions[route.feature].fn), 'Arn'), routeKey(route)).toBe(true);
    }
    const routedFeatures = new Set(ROUTES.map((route) => route.feature));
    expect(Object.keys(integrations)).toHaveLength(routedFeatures.size);
  });

  it('grants API Gateway ONE invoke permission per routed function, scoped to this API (not one per route)', () => {
    const [apiId] = only(ofType('AWS::ApiGatewayV2::Api'));
    const permissions = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties)
      .filter((p) => p.Principal === 'apigateway.amazonaws.com');
    const routedFeatures = [...new Set(ROUTES.map((route) => route.feature))];
    expect(permissions).toHaveLength(routedFeatures.length);
    for (const feature of routedFeatures) {
      const fnId = logicalId(stack.functions[feature].fn);
      const permission = only(permissions.filter((p) => refersTo(p.FunctionName, fnId, 'Arn')));
      expect(permission.Action).toBe('lambda:InvokeFunction');
      expect(refersTo(permission.SourceArn, apiId)).toBe(true);
      expect(JSON.stringify(permission.SourceArn)).toMatch(/\/\*\/\*/);
    }
  });

  it('allows the configured CORS origins and the headers the API conventions need', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['http://localhost:3000', 'http://localhost:5173'],
        AllowHeaders: Match.arrayWith(CORS_ALLOW_HEADERS),
        ExposeHeaders: Match.arrayWith(CORS_EXPOSE_HEADERS),
      }),
    });
    expect(CORS_ALLOW_HEADERS).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'if-match']));
    expect(CORS_EXPOSE_HEADERS).toEqual(expect.arrayContaining(['etag', 'location']));
  });

  it('has a throttled, auto-deployed $default stage with JSON access logs and no bodies', () => {
    const [, stage] = only(ofType('AWS::ApiGatewayV2::Stage'));
    const props = stage.Properties;
    expect(props.StageName).toBe('$default');
    expect(props.AutoDeploy).toBe(true);
    expect(props.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const format = JSON.parse(props.AccessLogSettings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    // The function logs the same two ids: an access-log line leads to the function's log lines.
    expect(format.integrationRequestId).toBe('$context.integration.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/body|identity\.sourceIp|userAgent/i);
    const logGroupId = JSON.stringify(props.AccessLogSettings.DestinationArn).match(/"Fn::GetAtt":\["([^"]+)"/)![1]!;
    expect(resources[logGroupId]!.Type).toBe('AWS::Logs::LogGroup');
    expect(resources[logGroupId]!.Properties.RetentionInDays).toBe(30);
  });

});

describe('feature functions (one per FEATURES entry)', () => {
  it('are arm64 Node.js 24 without X-Ray, with their own log group and the shared environment', () => {
    expect(Object.keys(stack.functions).sort()).toEqual([...FEATURE_NAMES].sort());
    for (const name of FEATURE_NAMES) {
      const fn = resources[logicalId(stack.functions[name].fn)]!.Properties;
      expect(fn.Runtime).toBe('nodejs24.x');
      expect(fn.Architectures).toEqual(['arm64']);
      // Tracing is off rather than on and empty (no SDK instrumentation): docs/operations.md.
      expect(fn.TracingConfig, name).toBeUndefined();
      expect(fn.FunctionName).toBeUndefined();
      expect(fn.LoggingConfig.LogGroup).toEqual({ Ref: logicalId(stack.functions[name].logGroup) });
      expect(resources[logicalId(stack.functions[name].logGroup)]!.Properties.RetentionInDays).toBe(30);
      const env = fn.Environment.Variables;
      expect(env).toMatchObject({
        STAGE: 'dev',
        LOG_LEVEL: 'INFO',
        POWERTOOLS_SERVICE_NAME: `crm-${name}`,
        POWERTOOLS_METRICS_NAMESPACE: 'CRM/dev',
        BUSINESS_TIME_ZONE: 'UTC',
        APP_BASE_URL: 'http://localhost:5173',
      });
      const feature: FeatureDef = FEATURES[name];
      expect('TABLE_NAME' in env, name).toBe(Boolean(feature.table));
      // Source maps are not loaded at run time: measured at 15–30 ms per cold start.
      expect(env.NODE_OPTIONS, name).toBeUndefined();
      expect('CURSOR_SECRET_ARN' in env, name).toBe(Boolean(feature.cursorSecret));
      expect('EVENT_BUS_NAME' in env, name).toBe(Boolean(feature.publishEvents));
      if (feature.memoryMb) expect(fn.MemorySize).toBe(feature.memoryMb);
      if (feature.timeoutSeconds) expect(fn.Timeout).toBe(feature.timeoutSeconds);
    }
  });

  it('use roles without AWS managed policies', () => {
    for (const name of FEATURE_NAMES) {
      const role = resources[logicalId(stack.functions[name].role)]!.Properties;
      expect(role.ManagedPolicyArns, name).toBeUndefined();
    }
  });
});

describe('least privilege (IAM policies of each function)', () => {
  const table = () => only(ofType('AWS::DynamoDB::Table'))[0];

  it('no function has a wildcard action, and "*" resources carry only actions that have no resource ARN', () => {
    const starOnly = new Set(['dynamodb:ListStreams', 'ses:GetAccount']);
    for (const name of FEATURE_NAMES) {
      const statements = statementsOf(name);
      for (const action of actionsOf(statements)) expect(action, name).not.toContain('*');
      for (const statement of statements) expect(statement.Effect).toBe('Allow');
      for (const statement of statements.filter((s) => asList(s.Resource as unknown).includes('*'))) {
        for (const action of asList(statement.Action)) expect(starOnly.has(action), `${name}: ${action} on *`).toBe(true);
      }
    }
  });

  // Table grants per feature (actions, indexes, LeadingKeys) are checked in grants.test.ts.

  it('the read-only system function gets no write action on anything', () => {
    const actions = actionsOf(statementsOf('system'));
    expect(actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite|TransactWrite|PartiQL)/.test(a))).toEqual([]);
    expect(actions.filter((a) => /^(s3:Put|s3:Delete|events:Put|ses:Send|sqs:Send)/.test(a))).toEqual([]);
  });

  it('events-publisher reads only the stream and only puts events on the bus', () => {
    const statements = statementsOf('events-publisher');
    const dynamo = actionsOf(statements).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamo.sort()).toEqual(['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams']);
    for (const statement of statements.filter((s) => actionsOf([s]).some((a) => a !== 'dynamodb:ListStreams' && a.startsWith('dynamodb:')))) {
      expect(refersTo(statement.Resource, table(), 'StreamArn')).toBe(true);
    }
    const [busId] = only(ofType('AWS::Events::EventBus'));
    const putEvents = statements.filter((s) => actionsOf([s]).includes('events:PutEvents'));
    expect(putEvents).toHaveLength(1);
    expect(actionsOf(putEvents)).toEqual(['events:PutEvents']);
    expect(refersTo(putEvents[0]!.Resource, busId, 'Arn')).toBe(true);
  });

  it('only features that publish may put events, and only cursorSecret features read the secret', () => {
    // The cursor key; the other secret (the lake's hash key) is read by the lake workflow only.
    const [secretId] = only(ofType('AWS::SecretsManager::Secret').filter(([id]) => id.startsWith('CursorSecret')));
    for (const name of FEATURE_NAMES) {
      const feature: FeatureDef = FEATURES[name];
      const statements = statementsOf(name);
      expect(actionsOf(statements).includes('events:PutEvents'), name).toBe(Boolean(feature.publishEvents));
      const secretReads = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('secretsmanager:')));
      expect(secretReads.length > 0, name).toBe(Boolean(feature.cursorSecret));
      for (const statement of secretReads) expect(refersTo(statement.Resource, secretId)).toBe(true);
      expect(actionsOf(statements).some((a) => a.startsWith('ses:')), name).toBe(Boolean(feature.sendEmail));
      // The publisher's only S3 grant is writing failed batches (checked under "outbox publisher").
      if (name !== 'events-publisher') expect(actionsOf(statements).some((a) => a.startsWith('s3:')), name).toBe(Boolean(feature.writeExports || feature.readExports || feature.inboundMail || feature.attachments || feature.importFiles));
    }
  });
});

describe('outbox publisher', () => {
  it('consumes the table stream filtered to outbox items, with bisect, partial failures and whole failed batches kept in S3', () => {
    const publisherRef = { Ref: logicalId(stack.functions['events-publisher'].fn) };
    const [, mapping] = only(ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify(publisherRef)));
    const props = mapping.Properties;
    const failedBucketId = logicalId(data.failedEvents.bucket);
    expect(refersTo(props.EventSourceArn, only(ofType('AWS::DynamoDB::Table'))[0], 'StreamArn')).toBe(true);
    expect(props.FunctionName).toEqual({ Ref: logicalId(stack.functions['events-publisher'].fn) });
    expect(props.StartingPosition).toBe('TRIM_HORIZON');
    expect(props.BisectBatchOnFunctionError).toBe(true);
    expect(props.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(props.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(props.FilterCriteria.Filters.map((f: Json) => JSON.parse(f.Pattern))).toEqual([OUTBOX_STREAM_FILTER]);
    expect(props.MetricsConfig).toEqual({ Metrics: ['EventCount'] });
    // An S3 destination keeps the records themselves (an SQS one only batch metadata).
    const destination = JSON.stringify(props.DestinationConfig.OnFailure.Destination);
    expect(destination).toContain(data.failedEventsBucketArnExport);
    dataTemplate.hasOutput('FailedEventsBucketArn', {
      Value: { 'Fn::GetAtt': [failedBucketId, 'Arn'] },
      Export: { Name: data.failedEventsBucketArnExport },
    });
    // The publisher may only add objects there: no read, no delete.
    const s3 = statementsOf('events-publisher').filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:')));
    expect(actionsOf(s3).sort()).toEqual(['s3:ListBucket', 's3:PutObject']);
  });
});

describe('jobs function', () => {
  it('has an explicit async invoke configuration (retries, on-failure queue) and reserved concurrency', () => {
    const jobsId = logicalId(stack.functions.jobs.fn);
    const [, config] = only(ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => JSON.stringify(c.Properties.FunctionName) === JSON.stringify({ Ref: jobsId })));
    expect(config.Properties.MaximumRetryAttempts).toBe(2);
    expect(config.Properties.MaximumEventAgeInSeconds).toBe(3600);
    const queueId = logicalId(stack.jobFailures);
    expect(config.Properties.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': [queueId, 'Arn'] });
    expect(resources[queueId]!.Properties.SqsManagedSseEnabled).toBe(true);
    expect(resources[jobsId]!.Properties.ReservedConcurrentExecutions).toBe(5);
    const others = FEATURE_NAMES.filter((name) => name !== 'jobs');
    for (const name of others) expect(resources[logicalId(stack.functions[name].fn)]!.Properties.ReservedConcurrentExecutions, name).toBeUndefined();
  });
});

describe('buckets', () => {
  it('block all public access, encrypt, and deny requests without TLS', () => {
    const buckets = ofType('AWS::S3::Bucket');
    expect(buckets.length).toBeGreaterThanOrEqual(2);
    for (const [id, bucket] of buckets) {
      expect(bucket.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption, id).toBeDefined();
      const policies = ofType('AWS::S3::BucketPolicy').filter(([, p]) => refersTo(p.Properties.Bucket, id));
      const denies = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
        .filter((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
      expect(denies.length, id).toBeGreaterThan(0);
    }
  });

  it('the exports bucket is versioned and sends access logs to the log bucket', () => {
    const exportsId = logicalId(data.exports.bucket);
    const logsId = logicalId(data.exports.accessLogs);
    const props = resources[exportsId]!.Properties;
    expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(props.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logsId });
  });
});

describe('inbound email', () => {
  it('has no SES receipt rule without a support address (test/infra/inbound-mail.test.ts sets one)', () => {
    expect(stack.inboundMail).toBeUndefined();
    expect(ofType('AWS::SES::ReceiptRuleSet')).toEqual([]);
  });
});

describe('Cognito', () => {
  it('keeps portal users in a pool of their own: admin-created, an immutable contact link the client cannot write, the V2_0 trigger', () => {
    const pool = resources[logicalId(data.portalAuth.userPool)]!.Properties;
    expect(pool.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
    expect(pool.Schema).toContainEqual(expect.objectContaining({ Name: 'contactId', AttributeDataType: 'String', Mutable: false }));
    expect(pool.LambdaConfig.PreTokenGenerationConfig).toEqual({
      LambdaArn: { 'Fn::GetAtt': [logicalId(data.functions['auth-portal-pre-token']!.fn), 'Arn'] }, LambdaVersion: 'V2_0',
    });
    const client = resources[logicalId(data.portalAuth.client)]!.Properties;
    expect(client.GenerateSecret).toBe(false);
    expect(client.WriteAttributes).not.toContain('custom:contactId');
    expect(client.ReadAttributes).toContain('custom:contactId');
    // Its trigger reads contacts and nothing else.
    const trigger = resources[logicalId(data.functions['auth-portal-pre-token']!.role)]!;
    expect(JSON.stringify(trigger)).not.toContain('dynamodb:PutItem');
  });
  it('has one group per role of the permission matrix', () => {
    const groups = ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties.GroupName as string);
    // Staff roles only: customers sign in through the portal's own pool, which has no groups.
    expect(groups.sort()).toEqual([...STAFF_ROLES].sort());
  });

  it('admin-created users only, email sign-in, strong passwords, MFA; public SRP client', () => {
    dataTemplate.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      MfaConfiguration: 'ON',
      Policies: { PasswordPolicy: Match.objectLike({
        MinimumLength: Match.anyValue(), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true,
      }) },
    });
    const pool = resources[logicalId(data.auth.userPool)]!;
    expect(pool.Properties.Policies.PasswordPolicy.MinimumLength).toBeGreaterThanOrEqual(12);
    // The app client (data stack); the docs page's own client: test/infra/docs-sign-in.test.ts.
    const client = resources[logicalId(data.auth.client)]!;
    expect(client.Properties.GenerateSecret).toBe(false);
    expect([...client.Properties.ExplicitAuthFlows].sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
  });
});

// Schedules (EventBridge Scheduler, one per SCHEDULES row): test/infra/schedules.test.ts.

describe('outputs', () => {
  it('exposes what clients and operators need', () => {
    const outputs = built.all.flatMap(({ template: t }) => Object.keys(t.toJSON().Outputs ?? {}));
    expect(outputs).toEqual(expect.arrayContaining([
      'ApiUrl', 'UserPoolId', 'UserPoolClientId', 'TableName', 'ExportsBucketName', 'EventBusName',
      'FailedEventsBucketName', 'AlarmTopicArn',
    ]));
  });
});

describe('stages', () => {
  /**
   * Properties that would pin an account-unique physical name and stop a second stage deploying
   * into the account (IAM inline policy names and Cognito group names are scoped to their role
   * or pool, so they are not listed).
   */
  const PHYSICAL_NAME_PROPERTIES = [
    'TableName', 'BucketName', 'FunctionName', 'RoleName', 'UserPoolName', 'QueueName', 'TopicName',
    'LogGroupName', 'ArchiveName',
  ];
  const NAMED_BY_NAME = ['AWS::SecretsManager::Secret', 'AWS::Scheduler::Schedule'];
  const PROD_CONTEXT = {
    stage: 'prod',
    senderEmail: 'crm@mail.example.com',
    appBaseUrl: 'https://crm.example.com',
    // As `-c key=value` delivers them: strings.
    throttleRateLimit: '7',
    throttleBurstLimit: '9',
    corsOrigins: 'https://crm.example.com,https://admin.example.com',
    logRetentionDays: '90',
  };

  it('two stages synthesize side by side without hard-coded physical names', async () => {
    const dev = built;
    const prod = await templatesOf(PROD_CONTEXT);
    expect(dev.all.map(({ stack: s }) => s.stackName)).toEqual(['Crm-dev-Data', 'Crm-dev-App', 'Crm-dev-Routes', 'Crm-dev-MachineApi', 'Crm-dev-Analytics', 'Crm-dev-Monitoring']);
    expect(prod.all.map(({ stack: s }) => s.stackName)).toEqual(['Crm-prod-Data', 'Crm-prod-App', 'Crm-prod-Routes', 'Crm-prod-MachineApi', 'Crm-prod-Analytics', 'Crm-prod-Monitoring']);
    for (const t of [...dev.all, ...prod.all].map(({ template: tt }) => tt)) {
      for (const [id, resource] of Object.entries(t.toJSON().Resources as Record<string, Json>)) {
        // A reference to another resource's generated name is fine; a literal string is not.
        for (const property of PHYSICAL_NAME_PROPERTIES) expect(typeof resource.Properties?.[property], `${id}.${property}`).not.toBe('string');
        if (NAMED_BY_NAME.includes(resource.Type)) expect(resource.Properties?.Name, `${id}.Name`).toBeUndefined();
      }
    }
    // Names CloudFormation requires are generated from the stack, so they differ per stage.
    const busName = (t: Template) => only(Object.values(t.findResources('AWS::Events::EventBus')))!.Properties.Name;
    expect(busName(dev.dataTemplate)).not.toEqual(busName(prod.dataTemplate));
    const apiName = (t: Template) => only(Object.values(t.findResources('AWS::ApiGatewayV2::Api')))!.Properties.Name;
    expect(apiName(dev.template)).not.toEqual(apiName(prod.template));

    // Stage defaults: a dev stage is disposable, every other stage keeps its data.
    dev.dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    prod.dataTemplate.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    prod.dataTemplate.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    expect(prod.data.terminationProtection).toBe(true);
    // A dev stage's buckets are emptied on destroy, so `cdk destroy` succeeds; prod keeps them.
    expect(Object.keys(dev.dataTemplate.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(
      Object.keys(dev.dataTemplate.findResources('AWS::S3::Bucket')).length,
    );
    expect(Object.keys(prod.dataTemplate.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(0);
    prod.template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ STAGE: 'prod' }) } });

    // Configuration comes from context, not code.
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: Match.objectLike({ ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 }),
    });
    prod.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://crm.example.com', 'https://admin.example.com'] }),
    });
    // Browsers upload imports and fetch exports and attachments through presigned URLs: those
    // buckets allow the same origins (PUT and GET only), and no other bucket has CORS.
    const cors = Object.values(prod.dataTemplate.findResources('AWS::S3::Bucket')).map((b) => b.Properties.CorsConfiguration).filter(Boolean);
    expect(cors).toHaveLength(2);
    for (const rule of cors) {
      expect(rule.CorsRules).toEqual([expect.objectContaining({ AllowedOrigins: ['https://crm.example.com', 'https://admin.example.com'], AllowedMethods: ['PUT', 'GET'] })]);
    }
    for (const { template: t } of prod.all) {
      for (const [, logGroup] of Object.entries(t.findResources('AWS::Logs::LogGroup'))) {
        expect(logGroup.Properties.RetentionInDays).toBe(90);
      }
    }
  }, 90_000);

  it('outside dev, refuses to synthesize with placeholder sender, CORS origins or app URL', async () => {
    await expect(templatesOf({ stage: 'prod' })).rejects.toThrow(/Stage "prod" needs "senderEmail", "corsOrigins", "appBaseUrl" set explicitly/);
    await expect(templatesOf({ stage: 'prod', senderEmail: 'crm@mail.example.com', corsOrigins: 'https://crm.example.com' })).rejects.toThrow(/needs "appBaseUrl"/);
  }, 30_000);

  it('rejects invalid configuration with a message naming the context key', async () => {
    await expect(templatesOf({ logRetentionDays: '13' })).rejects.toThrow(/logRetentionDays/);
    await expect(templatesOf({ stage: 'Prod Stage' })).rejects.toThrow(/stage/);
    await expect(templatesOf({ deletionProtection: 'yes' })).rejects.toThrow(/deletionProtection/);
    await expect(templatesOf({ businessTimeZone: 'Mars/Olympus' })).rejects.toThrow(/businessTimeZone/);
    await expect(templatesOf({ jobsReservedConcurrency: '-1' })).rejects.toThrow(/jobsReservedConcurrency/);
    await expect(templatesOf({ alarmEmail: 'not-an-address' })).rejects.toThrow(/alarmEmail/);
  }, 30_000);
});

describe('machine API (API keys)', () => {
  const machineOfType = (type: string): Json[] => Object.values(machineResources).filter((r) => r.Type === type);
  it('routes every non-public ROUTES row through the API key authorizer, and nothing else', () => {
    const routes = machineOfType('AWS::ApiGatewayV2::Route').map((r) => r.Properties);
    const expected = ROUTES.filter((r) => authorizerOf(r) === 'staff').map(routeKey).sort();
    // No portal route on the machine API: keys never act as a customer's contact.
    expect(machineOfType('AWS::ApiGatewayV2::Route').filter((r) => String(r.Properties.RouteKey).includes('/v1/portal/'))).toEqual([]);
    expect(routes.map((r) => r.RouteKey).filter((k: string) => expected.includes(k)).sort()).toEqual(expected);
    const [authorizer] = machineOfType('AWS::ApiGatewayV2::Authorizer');
    expect(authorizer?.Properties.AuthorizerType).toBe('REQUEST');
    for (const route of routes.filter((r) => expected.includes(r.RouteKey))) expect(route.AuthorizationType, route.RouteKey).toBe('CUSTOM');
  });
});
