/**
 * Renders the OpenAPI document into functions/system/openapi.json, which the system function
 * serves as is (rendered at build time so that function carries no schema; docs/performance.md).
 * Run after changing a route or a schema; test/unit/openapi.test.ts fails while the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { renderOpenApiJson } from '../functions/api/openapi';

const file = new URL('../functions/system/openapi.json', import.meta.url);
writeFileSync(file, renderOpenApiJson());
console.log('functions/system/openapi.json updated');
