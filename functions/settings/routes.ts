/**
 * Route rows served by the `settings` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { ServiceRules, ServiceRulesInput } from '../../schemas/settings';

export const routes = [
  // settings (admin configuration)
  { method: 'GET', path: '/v1/settings/service-rules', feature: 'settings', operation: 'getServiceRules', tag: 'Settings', summary: 'Service intervals, lead days, assignment, warranty and dormancy rules', permission: 'settings:read', response: { status: 200, schema: ServiceRules } },
  { method: 'PUT', path: '/v1/settings/service-rules', feature: 'settings', operation: 'putServiceRules', tag: 'Settings', summary: 'Replace the service rules (If-Match with the current ETag)', permission: 'settings:write', body: ServiceRulesInput, response: { status: 200, schema: ServiceRules }, errors: [409, 412], conditional: true },
] as const satisfies readonly RouteDef[];
