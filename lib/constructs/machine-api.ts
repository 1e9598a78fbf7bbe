import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi as CdkHttpApi, HttpMethod, type HttpRoute, type HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type RouteDef, routeKey } from '../../functions/api/routes';
import { authorizerOf } from '../../functions/api/route-def';
import { ACCESS_LOG_FIELDS } from './http-api';

export interface MachineApiProps {
  routes: readonly RouteDef[];
  /** The function serving each feature (the app stack's; the same code answers both APIs). */
  functions: Record<string, IFunction>;
  /** The `apikeys-authorizer` feature function. */
  authorizer: IFunction;
  throttleRateLimit: number;
  throttleBurstLimit: number;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

/**
 * The machine API: the same routes and functions as the user API (CrmHttpApi), behind a Lambda
 * request authorizer that accepts API keys (`Authorization: ApiKey <key>` or `x-api-key`;
 * functions/apikeys/authorizer.ts) instead of Cognito JWTs. Why a second HTTP API rather than a
 * second authorizer on the same routes: an HTTP API route carries exactly one authorizer, and
 * replacing the managed JWT authorizer with a Lambda that checks both would change every user
 * request; a second API keeps the JWT routes exactly as they were and keeps the paths identical,
 * so `event.routeKey` — what the functions route on — is the same on both. Public routes (health,
 * docs) stay on the user API only; machine clients are servers, so no CORS.
 *
 * Caching: API Gateway caches authorizer results per identity source, and with two accepted
 * headers there is no single one (a request must carry all listed sources), so its cache is off
 * and the authorizer caches verifications in its container for 60 s (functions/apikeys/verify.ts).
 * A revoked key therefore stops working within 60 s.
 */
export class MachineApi extends Construct {
  readonly api: CdkHttpApi;
  readonly stage: HttpStage;
  readonly authorizer: HttpLambdaAuthorizer;
  readonly routes = new Map<string, HttpRoute>();

  constructor(scope: Construct, id: string, props: MachineApiProps) {
    super(scope, id);
    this.api = new CdkHttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-machine`,
      description: 'CRM HTTP API for machine clients (API keys)',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify({ ...ACCESS_LOG_FIELDS, apiKeyId: '$context.authorizer.apiKeyId' })),
      },
    });
    this.authorizer = new HttpLambdaAuthorizer('ApiKeys', props.authorizer, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of props.routes) {
      // Public routes stay on the user API; portal routes are for signed-in contacts, never keys.
      if (authorizerOf(route) !== 'staff') continue;
      const fn = props.functions[route.feature];
      if (!fn) throw new Error(`Route ${routeKey(route)} names feature "${route.feature}", which has no function`);
      let integration = integrations.get(route.feature);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.feature}-integration`, fn, { scopePermissionToRoute: false });
        integrations.set(route.feature, integration);
      }
      const [httpRoute] = this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration, authorizer: this.authorizer });
      this.routes.set(routeKey(route), httpRoute!);
    }
  }

  get url(): string {
    return this.stage.url;
  }
}
