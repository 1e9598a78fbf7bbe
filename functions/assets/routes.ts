/**
 * Route rows served by the `assets` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { Asset, AssetCreate, AssetListQuery, AssetPage, AssetPatch } from '../../schemas/assets';

const cus = IdParam('cus');
const ast = IdParam('ast');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_ASSET = 'only assets of customers the caller owns; any other answers 404, exactly like an unknown id';

export const routes = [
  // customer assets (products owned, warranties): row level follows the customer
  { method: 'POST', path: '/v1/customers/{id}/assets', feature: 'assets', operation: 'createAsset', tag: 'Assets', summary: 'Record a product the customer owns', permission: 'assets:write', scope: 'only on customers the caller owns; any other customer answers 404', params: cus, body: AssetCreate, response: { status: 201, schema: Asset }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/customers/{id}/assets', feature: 'assets', operation: 'listAssets', tag: 'Assets', summary: 'A customer\'s assets by purchase date', permission: 'assets:read', scope: 'only assets of customers the caller owns; any other customer answers 404', params: cus, query: AssetListQuery, response: { status: 200, schema: AssetPage }, errors: [404] },
  { method: 'GET', path: '/v1/assets/{id}', feature: 'assets', operation: 'getAsset', tag: 'Assets', summary: 'Read an asset', permission: 'assets:read', scope: OWN_ASSET, params: ast, response: { status: 200, schema: Asset }, errors: [404] },
  { method: 'PATCH', path: '/v1/assets/{id}', feature: 'assets', operation: 'updateAsset', tag: 'Assets', summary: 'Change an asset (service and warranty dates are recomputed)', permission: 'assets:write', scope: OWN_ASSET, params: ast, body: AssetPatch, response: { status: 200, schema: Asset }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/assets/{id}', feature: 'assets', operation: 'deleteAsset', tag: 'Assets', summary: 'Delete an asset (its reminders stop)', permission: 'assets:write', scope: OWN_ASSET, params: ast, response: { status: 204 }, errors: [404, 409, 412], conditional: true },
] as const satisfies readonly RouteDef[];
