import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ROUTES } from '../functions/api/routes';
import { APP_STACK_FEATURES, type AppStack } from './app-stack';
import type { DataStack } from './data-stack';
import { CrmHttpRoutes } from './constructs/http-api';

export interface RoutesStackProps extends StackProps {
  data: DataStack;
  app: AppStack;
}

/**
 * The user API's routes (`Crm-<stage>-Routes`): every ROUTES row as a route of the app stack's
 * HTTP API, with one integration and one invoke permission per function and the staff and portal
 * JWT authorizers. A stack of its own because each route is one CloudFormation resource: in the
 * app stack, ~190 routes next to ~45 functions (each a function, role, policy and log group) left
 * no room for the routes still to come. The API itself (and its URL, which functions are told)
 * stays in the app stack; this stack only references it and the functions. Stateless: deleting
 * and recreating it loses nothing (requests get 404 meanwhile).
 */
export class RoutesStack extends Stack {
  readonly routes: CrmHttpRoutes;

  constructor(scope: Construct, id: string, props: RoutesStackProps) {
    super(scope, id, props);
    const { data, app } = props;
    this.routes = new CrmHttpRoutes(this, 'Http', {
      apiId: app.api.api.apiId,
      routes: ROUTES,
      functions: Object.fromEntries(APP_STACK_FEATURES.map((name) => [name, app.functions[name].fn])),
      userPool: data.auth.userPool,
      client: data.auth.client,
      portal: { userPool: data.portalAuth.userPool, client: data.portalAuth.client },
      moreAudiences: [app.docsSignIn.client.userPoolClientId],
    });
  }
}
