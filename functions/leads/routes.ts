/**
 * Route rows served by the `leads` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { BatchResult, LeadBatch } from '../../schemas/batch';
import { Export } from '../../schemas/exports';
import { LeadExportQuery } from '../../schemas/list-exports';
import { Lead, LeadConversion, LeadConvert, LeadCreate, LeadListQuery, LeadPage, LeadPatch } from '../../schemas/leads';

const led = IdParam('led');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_LEAD = 'only leads the caller owns (`ownerId`); any other answers 404, exactly like an unknown id';

export const routes = [
  // leads (C4): duplicate-checked on create, converted in one transaction; territories assign owners
  { method: 'POST', path: '/v1/leads', feature: 'leads', operation: 'createLead', tag: 'Leads', summary: 'Capture a lead (409 naming the open lead or live customer with the same email or phone)', permission: 'leads:write', scope: 'the new lead is owned by the caller (territory rules assign owners only for scope `all`); naming another `ownerId` answers 403', body: LeadCreate, response: { status: 201, schema: Lead }, errors: [409, 422], idempotent: true },
  { method: 'POST', path: '/v1/leads/batch', feature: 'leads', operation: 'batchLeads', tag: 'Leads', summary: 'Capture or change up to 100 leads, each on its own (207 Multi-Status: a status and record or problem per item; per-item idempotency keys)', permission: 'leads:write', scope: 'each item as its single call: new leads are owned by the caller; updates reach only leads the caller owns, any other answers that item 404', body: LeadBatch, response: { status: 207, schema: BatchResult } },
  { method: 'GET', path: '/v1/leads', feature: 'leads', operation: 'listLeads', tag: 'Leads', summary: 'List leads; filters owner, status, source and q (name prefix)', permission: 'leads:read', scope: 'lists only leads the caller owns; an `ownerId` filter naming someone else returns an empty page', query: LeadListQuery, response: { status: 200, schema: LeadPage } },
  { method: 'GET', path: '/v1/leads/export.csv', feature: 'leads', operation: 'exportLeadsCsv', tag: 'Leads', summary: 'Export the filtered lead list as CSV, every row (202: runs in the background; GET /v1/exports/{id} gives the download URLs; personal fields masked as in the list)', permission: 'leads:read', scope: 'exports only leads the caller owns, as the list shows them', query: LeadExportQuery, response: { status: 202, schema: Export } },
  { method: 'GET', path: '/v1/leads/{id}', feature: 'leads', operation: 'getLead', tag: 'Leads', summary: 'Read a lead', permission: 'leads:read', scope: OWN_LEAD, params: led, response: { status: 200, schema: Lead }, errors: [404] },
  { method: 'PATCH', path: '/v1/leads/{id}', feature: 'leads', operation: 'updateLead', tag: 'Leads', summary: 'Change or qualify / disqualify (with a reason) a lead', permission: 'leads:write', scope: `${OWN_LEAD}; changing \`ownerId\` to someone else answers 403`, params: led, body: LeadPatch, response: { status: 200, schema: Lead }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/leads/{id}', feature: 'leads', operation: 'deleteLead', tag: 'Leads', summary: 'Delete a lead (not a converted one); releases its email/phone', permission: 'leads:write', scope: OWN_LEAD, params: led, response: { status: 204 }, errors: [404, 409, 412], conditional: true },
  { method: 'POST', path: '/v1/leads/{id}/convert', feature: 'leads', operation: 'convertLead', tag: 'Leads', summary: 'Convert a lead: customer (or link one), contact and optional deal in one transaction; a repeat answers 409 naming them', permission: 'leads:convert', scope: `${OWN_LEAD}; converting into an existing \`customerId\` needs a customer the caller owns (404 otherwise)`, params: led, body: LeadConvert, response: { status: 200, schema: LeadConversion }, errors: [404, 409, 422], idempotent: true },
] as const satisfies readonly RouteDef[];
