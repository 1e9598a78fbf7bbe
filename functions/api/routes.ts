/**
 * THE route table. One row per endpoint drives:
 *  - the CDK HTTP API routes and which feature function serves them (lib/),
 *  - the local gateway (local/gateway.ts),
 *  - the OpenAPI 3.1 document (functions/api/openapi.ts),
 *  - validation and authorization in the shared middleware (functions/http/chain.ts),
 *  - the route × role authorization test (test/integration/authorization.test.ts).
 * The rows live next to their feature, in functions/<feature>/routes.ts; this module only
 * assembles them, in this order, into the one table. Each feature handler hands its own rows to
 * createHttpHandler, so a feature's bundle carries its own schemas only, never this module (only
 * `system`, which serves the OpenAPI document, imports it). The row type and routeKey() live in
 * ./route-def, which imports no schemas.
 * Adding an endpoint is one row in the feature's routes.ts plus its operation in the feature's
 * handler; a new feature's rows are also added to ROUTES below.
 */
import type { FeatureName } from './features';
import { type RouteDef, routesIn } from './route-def';
import { routes as systemRoutes } from '../system/routes';
import { routes as customersRoutes } from '../customers/routes';
import { routes as tasksRoutes } from '../tasks/routes';
import { routes as notificationsRoutes } from '../notifications/routes';
import { routes as activitiesRoutes } from '../activities/routes';
import { routes as assetsRoutes } from '../assets/routes';
import { routes as settingsRoutes } from '../settings/routes';
import { routes as leadsRoutes } from '../leads/routes';
import { routes as territoriesRoutes } from '../territories/routes';
import { routes as productsRoutes } from '../products/routes';
import { routes as quotesRoutes } from '../quotes/routes';
import { routes as commissionsRoutes } from '../commissions/routes';
import { routes as pipelinesRoutes } from '../pipelines/routes';
import { routes as dealsRoutes } from '../deals/routes';
import { routes as forecastRoutes } from '../forecast/routes';
import { routes as webhooksRoutes } from '../webhooks/routes';
import { routes as apikeysRoutes } from '../apikeys/routes';
import { routes as marketingRoutes } from '../marketing/routes';
import { routes as signupRoutes } from '../signup/routes';
import { routes as contractsRoutes } from '../contracts/routes';
import { routes as ticketsRoutes } from '../tickets/routes';
import { routes as serviceDeskRoutes } from '../service-desk/routes';
import { routes as kbRoutes } from '../kb/routes';
import { routes as portalRoutes } from '../portal/routes';
import { routes as exportsRoutes } from '../exports/routes';
import { routes as importsRoutes } from '../imports/routes';
import { routes as dashboardRoutes } from '../dashboard/routes';
import { routes as customfieldsRoutes } from '../customfields/routes';
import { routes as mergeRoutes } from '../merge/routes';

export { type HttpMethod, type RouteDef, routeKey } from './route-def';
export { Problem } from '../../schemas/common';

export const ROUTES: readonly RouteDef[] = [
  ...systemRoutes,
  ...customersRoutes,
  ...tasksRoutes,
  ...notificationsRoutes,
  ...activitiesRoutes,
  ...assetsRoutes,
  ...settingsRoutes,
  ...leadsRoutes,
  ...territoriesRoutes,
  ...productsRoutes,
  ...quotesRoutes,
  ...commissionsRoutes,
  ...pipelinesRoutes,
  ...dealsRoutes,
  ...forecastRoutes,
  ...webhooksRoutes,
  ...apikeysRoutes,
  ...marketingRoutes,
  ...signupRoutes,
  ...contractsRoutes,
  ...ticketsRoutes,
  ...serviceDeskRoutes,
  ...kbRoutes,
  ...portalRoutes,
  ...exportsRoutes,
  ...importsRoutes,
  ...dashboardRoutes,
  ...customfieldsRoutes,
  ...mergeRoutes,
];

export function routesOf(feature: FeatureName): RouteDef[] {
  return routesIn(ROUTES, feature);
}
