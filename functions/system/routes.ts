/**
 * Route rows served by the `system` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { Health, Me, ProblemTypeParam } from '../../schemas/system';

export const routes = [
  // system
  { method: 'GET', path: '/v1/health', feature: 'system', operation: 'health', tag: 'System', summary: 'Liveness and readiness (no token needed)', permission: 'public', response: { status: 200, schema: Health }, errors: [503] },
  { method: 'GET', path: '/v1/openapi.json', feature: 'system', operation: 'openapi', tag: 'System', summary: 'This OpenAPI 3.1 document', permission: 'public', response: { status: 200, contentType: 'application/json' } },
  { method: 'GET', path: '/docs', feature: 'system', operation: 'docs', tag: 'System', summary: 'Interactive API documentation page', permission: 'public', response: { status: 200, contentType: 'text/html' } },
  { method: 'GET', path: '/problems/{type}', feature: 'system', operation: 'problemType', tag: 'System', summary: 'The page a problem `type` URI names: when it happens and what to do', permission: 'public', params: ProblemTypeParam, response: { status: 200, contentType: 'text/html' }, errors: [404] },
  { method: 'GET', path: '/v1/me', feature: 'system', operation: 'me', tag: 'System', summary: 'The caller, their role and permissions', permission: 'me:read', response: { status: 200, schema: Me } },
] as const satisfies readonly RouteDef[];
