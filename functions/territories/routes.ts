/**
 * Route rows served by the `territories` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { Territories, TerritoriesInput } from '../../schemas/territories';

export const routes = [
  // territories (C4): the rules that assign owners to new leads
  { method: 'GET', path: '/v1/settings/territories', feature: 'territories', operation: 'getTerritories', tag: 'Territories', summary: 'Territory rules (country / region / industry → owner or round-robin team)', permission: 'territories:read', response: { status: 200, schema: Territories } },
  { method: 'PUT', path: '/v1/settings/territories', feature: 'territories', operation: 'putTerritories', tag: 'Territories', summary: 'Replace the territory rules (If-Match with the current ETag)', permission: 'territories:write', body: TerritoriesInput, response: { status: 200, schema: Territories }, errors: [409, 412], conditional: true },
] as const satisfies readonly RouteDef[];
