/**
 * Route rows served by the `exports` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these.
 */
import type { RouteDef } from '../api/route-def';
import { Export, ExportIdParam, ExportInput, ExportListQuery, ExportPage } from '../../schemas/exports';

export const routes = [
  // on-demand exports (C7)
  { method: 'POST', path: '/v1/exports', feature: 'exports', operation: 'startExport', tag: 'Exports', summary: 'Start an export of chosen record types as CSV or Parquet files (runs in the background; personal data masked by your role; 403 naming a record type your role or key may not list in full)', permission: 'exports:create', body: ExportInput, response: { status: 202, schema: Export }, idempotent: true },
  { method: 'GET', path: '/v1/exports', feature: 'exports', operation: 'listExports', tag: 'Exports', summary: 'Your own exports, newest first', permission: 'exports:read', scope: 'lists the caller\'s own exports (every role, admins included)', query: ExportListQuery, response: { status: 200, schema: ExportPage } },
  { method: 'GET', path: '/v1/exports/{id}', feature: 'exports', operation: 'getExport', tag: 'Exports', summary: 'An export\'s progress (entities done, rows, bytes) and, once it succeeded, presigned download URLs', permission: 'exports:read', scope: 'only exports the caller started; any other answers 404', params: ExportIdParam, response: { status: 200, schema: Export }, errors: [404] },
] as const satisfies readonly RouteDef[];
