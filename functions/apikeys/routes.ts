/** Route rows served by the `apikeys` feature (admins signed in as users: `apikeys:manage`). */
import type { RouteDef } from '../api/route-def';
import { ApiKey, ApiKeyCreate, ApiKeyIdParam, ApiKeyListQuery, ApiKeyPage, ApiKeyPatch, ApiKeyWithSecret } from '../../schemas/apikeys';

export const routes = [
  { method: 'POST', path: '/v1/api-keys', feature: 'apikeys', operation: 'createApiKey', tag: 'API keys', summary: 'Create an API key bound to a role (optionally fewer permissions); the key is in this answer only', permission: 'apikeys:manage', body: ApiKeyCreate, response: { status: 201, schema: ApiKeyWithSecret } },
  { method: 'GET', path: '/v1/api-keys', feature: 'apikeys', operation: 'listApiKeys', tag: 'API keys', summary: 'List API keys, newest first (status, last use; never the key)', permission: 'apikeys:manage', query: ApiKeyListQuery, response: { status: 200, schema: ApiKeyPage } },
  { method: 'PATCH', path: '/v1/api-keys/{id}', feature: 'apikeys', operation: 'updateApiKey', tag: 'API keys', summary: 'Rename a key or change its rate limit (requests per minute; null = the stage default); in AWS effective within 60 s', permission: 'apikeys:manage', params: ApiKeyIdParam, body: ApiKeyPatch, response: { status: 200, schema: ApiKey }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/api-keys/{id}', feature: 'apikeys', operation: 'revokeApiKey', tag: 'API keys', summary: 'Revoke an API key (permanent; in AWS effective within 60 s)', permission: 'apikeys:manage', params: ApiKeyIdParam, response: { status: 200, schema: ApiKey }, errors: [404] },
] as const satisfies readonly RouteDef[];
