/**
 * Route rows served by the `customfields` feature: the definitions of custom fields. The values
 * live on the records (`custom`) and are checked by the features that write them.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { CustomField, CustomFieldCreate, CustomFieldListQuery, CustomFieldPage, CustomFieldPatch } from '../../schemas/customfields';

const cfd = IdParam('cfd', 'fieldId');

export const routes = [
  { method: 'POST', path: '/v1/custom-fields', feature: 'customfields', operation: 'createCustomField', tag: 'Custom fields', summary: 'Define a custom field of customers, contacts, leads or deals (409 when its key is taken)', permission: 'custom-fields:manage', body: CustomFieldCreate, response: { status: 201, schema: CustomField }, errors: [409, 422], idempotent: true },
  { method: 'GET', path: '/v1/custom-fields', feature: 'customfields', operation: 'listCustomFields', tag: 'Custom fields', summary: 'The custom fields (of one entity with ?entity=): the metadata of records\' `custom` values', permission: 'custom-fields:read', query: CustomFieldListQuery, response: { status: 200, schema: CustomFieldPage } },
  { method: 'GET', path: '/v1/custom-fields/{fieldId}', feature: 'customfields', operation: 'getCustomField', tag: 'Custom fields', summary: 'Read a custom field', permission: 'custom-fields:read', params: cfd, response: { status: 200, schema: CustomField }, errors: [404] },
  { method: 'PATCH', path: '/v1/custom-fields/{fieldId}', feature: 'customfields', operation: 'updateCustomField', tag: 'Custom fields', summary: 'Change a custom field\'s label and rules (stored values stay)', permission: 'custom-fields:manage', params: cfd, body: CustomFieldPatch, response: { status: 200, schema: CustomField }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/custom-fields/{fieldId}', feature: 'customfields', operation: 'deleteCustomField', tag: 'Custom fields', summary: 'Remove a custom field (stored values stay on records; its key is not reused)', permission: 'custom-fields:manage', params: cfd, response: { status: 204 }, errors: [404, 409, 412], conditional: true },
] as const satisfies readonly RouteDef[];
