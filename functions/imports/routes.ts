/**
 * Route rows served by the `imports` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these.
 */
import type { RouteDef } from '../api/route-def';
import { Empty } from '../../schemas/common';
import { Import, ImportCreate, ImportIdParam, ImportListQuery, ImportPage, ImportPreview, ImportPreviewInput } from '../../schemas/imports';

const OWN_IMPORT = 'only imports the caller started; any other answers 404, exactly like an unknown id';

export const routes = [
  // CSV imports (C1, migration): docs/imports.md
  { method: 'POST', path: '/v1/imports', feature: 'imports', operation: 'createImport', tag: 'Imports', summary: 'Create a CSV import (entity — customers, contacts, leads, products, or list-members of a static list — column mapping, dedupe mode) and get a presigned URL to upload the file to', permission: 'imports:manage', scope: 'the import is the caller\'s; its rows are written with the caller\'s own create/update permissions (403 when the role lacks them)', body: ImportCreate, response: { status: 201, schema: Import }, errors: [403], idempotent: true },
  { method: 'GET', path: '/v1/imports', feature: 'imports', operation: 'listImports', tag: 'Imports', summary: 'Imports, newest first: the caller\'s own, or every import for a role with scope all (admins)', permission: 'imports:manage', scope: 'own: the imports the caller started; all: every import', query: ImportListQuery, response: { status: 200, schema: ImportPage } },
  { method: 'GET', path: '/v1/imports/{id}', feature: 'imports', operation: 'getImport', tag: 'Imports', summary: 'An import\'s state and counts (read, created, updated, skipped, rejected) and, when done, the rejected-rows CSV (presigned URL)', permission: 'imports:manage', scope: OWN_IMPORT, params: ImportIdParam, response: { status: 200, schema: Import }, errors: [404] },
  { method: 'POST', path: '/v1/imports/{id}/preview', feature: 'imports', operation: 'previewImport', tag: 'Imports', summary: 'Dry run of the uploaded file\'s first rows: mapped values and per-row validation errors; writes nothing', permission: 'imports:manage', scope: OWN_IMPORT, params: ImportIdParam, body: ImportPreviewInput, response: { status: 200, schema: ImportPreview }, errors: [404, 409, 422] },
  { method: 'POST', path: '/v1/imports/{id}/start', feature: 'imports', operation: 'startImport', tag: 'Imports', summary: 'Start importing the uploaded file (runs in the background, in chunks; follow it with GET)', permission: 'imports:manage', scope: OWN_IMPORT, params: ImportIdParam, body: Empty, response: { status: 202, schema: Import }, errors: [404, 409, 422] },
] as const satisfies readonly RouteDef[];
