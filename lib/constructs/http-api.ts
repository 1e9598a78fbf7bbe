import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod, HttpApi as CdkHttpApi, HttpMethod, HttpRoute, HttpRouteKey, type HttpStage, LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IUserPoolClient, UserPool } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECONDS } from '../../functions/api/cors';
import { type RouteDef, routeKey } from '../../functions/api/routes';
import { authorizerOf } from '../../functions/api/route-def';

export { CORS_ALLOW_HEADERS, CORS_EXPOSE_HEADERS };

/**
 * Access-log line: one JSON object per request. API Gateway cannot log bodies here, and the line
 * deliberately leaves out the caller's IP address and user agent (personal data); the request id
 * ties it to the function's logs.
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  // The Lambda invocation's request id: function logs carry both ids (function_request_id and
  // apiRequestId), so one failing request can be followed from the access log into the function.
  integrationRequestId: '$context.integration.requestId',
  integrationStatus: '$context.integration.status',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
} as const;

export interface HttpApiProps {
  corsOrigins: string[];
  throttleRateLimit: number;
  throttleBurstLimit: number;
  logRetention: RetentionDays;
  removalPolicy: RemovalPolicy;
}

export interface HttpRoutesProps {
  /** Id of the API the routes belong to (CrmHttpApi's; imported into the routes' own stack). */
  apiId: string;
  routes: readonly RouteDef[];
  /** The function serving each feature; one integration per feature serves all its routes. */
  functions: Record<string, IFunction>;
  userPool: UserPool;
  client: IUserPoolClient;
  /**
   * The self-service portal's user pool and client: the portal routes' JWT authorizer
   * (authorizerOf in functions/api/route-def.ts) trusts these and nothing else.
   */
  portal: { userPool: UserPool; client: IUserPoolClient };
  /** Further client ids the staff authorizer accepts (the docs page's sign-in client). */
  moreAudiences?: string[];
}

/**
 * The HTTP API itself: the API, its `$default` stage (auto-deploys, JSON access logs, throttling
 * per configuration) and CORS. It lives in the app stack so that functions can be told its URL
 * (links in emails, problem types, the docs page). Its routes, integrations and authorizers are in
 * a stack of their own (CrmHttpRoutes in lib/routes-stack.ts): each route is one CloudFormation
 * resource, and the stack that holds the functions must keep room for them.
 */
export class CrmHttpApi extends Construct {
  readonly api: CdkHttpApi;
  readonly stage: HttpStage;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    this.api = new CdkHttpApi(this, 'Api', {
      // API names need not be unique; the stack name (`Crm-<stage>`) tells stages apart in the console.
      apiName: Stack.of(this).stackName,
      description: 'CRM HTTP API',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.corsOrigins,
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.PATCH, CorsHttpMethod.DELETE, CorsHttpMethod.OPTIONS],
        allowHeaders: CORS_ALLOW_HEADERS,
        exposeHeaders: CORS_EXPOSE_HEADERS,
        maxAge: Duration.seconds(CORS_MAX_AGE_SECONDS),
      },
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
  }

  /** Base URL of the API (the `$default` stage). */
  get url(): string {
    return this.stage.url;
  }
}

/**
 * The HTTP API's routes, driven by the route table: one route per ROUTES row with its exact path,
 * each integrated with its feature's function. Each route costs one CloudFormation resource: the
 * integration is shared by a feature's routes and the function carries ONE invoke permission
 * scoped to this API (not one per route). Every route whose permission is not `public` carries
 * the Cognito JWT authorizer (issuer = the user pool, audience = the app client); the function's
 * middleware then checks the `cognito:groups` claim against the permission matrix. Portal routes
 * carry the portal pool's authorizer instead. The `$default` stage auto-deploys every change.
 */
export class CrmHttpRoutes extends Construct {
  readonly authorizer: HttpJwtAuthorizer;
  /** The portal routes' authorizer (the portal user pool). */
  readonly portalAuthorizer: HttpJwtAuthorizer;
  /** Routes by route key (`GET /v1/customers/{id}`). */
  readonly routes = new Map<string, HttpRoute>();

  constructor(scope: Construct, id: string, props: HttpRoutesProps) {
    super(scope, id);
    // Imported here, so the integrations, authorizers and invoke permissions that CDK creates in
    // the API's scope are this stack's resources, not the app stack's.
    const api = CdkHttpApi.fromHttpApiAttributes(this, 'Api', { httpApiId: props.apiId });
    this.authorizer = new HttpJwtAuthorizer('CognitoJwt', props.userPool.userPoolProviderUrl, {
      jwtAudience: [props.client.userPoolClientId, ...(props.moreAudiences ?? [])],
      identitySource: ['$request.header.Authorization'],
    });
    // Portal routes: the portal pool's tokens only. The staff authorizer never accepts them (another
    // issuer), and this one never accepts a staff token.
    this.portalAuthorizer = new HttpJwtAuthorizer('PortalJwt', props.portal.userPool.userPoolProviderUrl, {
      jwtAudience: [props.portal.client.userPoolClientId],
      identitySource: ['$request.header.Authorization'],
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of props.routes) {
      const fn = props.functions[route.feature];
      if (!fn) throw new Error(`Route ${routeKey(route)} names feature "${route.feature}", which has no function`);
      let integration = integrations.get(route.feature);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.feature}-integration`, fn, { scopePermissionToRoute: false });
        integrations.set(route.feature, integration);
      }
      const isPublic = route.permission === 'public';
      const method = HttpMethod[route.method];
      const httpRoute = new HttpRoute(api, `${method}${route.path}`, {
        httpApi: api,
        routeKey: HttpRouteKey.with(route.path, method),
        integration,
        authorizer: isPublic ? undefined : authorizerOf(route) === 'portal' ? this.portalAuthorizer : this.authorizer,
      });
      if (isPublic) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey(route)} is public by design (permission "public" in functions/api/routes.ts): health checks, API documentation and the RFC 8058 one-click unsubscribe (a signed token in the URL, no login) must be reachable without a token.`,
        });
      }
      this.routes.set(routeKey(route), httpRoute);
    }
  }
}
