/**
 * Route rows served by the `leads` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { Lead, LeadConversion, LeadConvert, LeadCreate, LeadListQuery, LeadPage, LeadPatch } from '../../schemas/leads';

const led = IdParam('led');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_LEAD = 'only leads the caller owns (`ownerId`); any other answers 404, exactly like an unknown id';

export const routes = [
  // leads (C4): duplicate-checked on create, converted in one transaction; territories assign owners
  { method: 'POST', path: '/v1/leads', feature: 'leads', operation: 'createLead', tag: 'Leads', summary: 'Capture a lead (409 naming the open lead or live customer with the same email or phone)', permission: 'leads:write', scope: 'the new lead is owned by the caller (territory rules assign owners only for scope `all`); naming another `ownerId` answers 403', body: LeadCreate, response: { status: 201, schema: Lead }, errors: [409, 422], idempotent: true },
  { method: 'GET', path: '/v1/leads', feature: 'leads', operation: 'listLeads', tag: 'Leads', summary: 'List leads; filters owner, status, source and q (name prefix)', permission: 'leads:read', scope: 'lists only leads the caller owns; an `ownerId` filter naming someone else returns an empty page', query: LeadListQuery, response: { status: 200, schema: LeadPage } },
  { method: 'GET', path: '/v1/leads/{id}', feature: 'leads', operation: 'getLead', tag: 'Leads', summary: 'Read a lead', permission: 'leads:read', scope: OWN_LEAD, params: led, response: { status: 200, schema: Lead }, errors: [404] },
  { method: 'PATCH', path: '/v1/leads/{id}', feature: 'leads', operation: 'updateLead', tag: 'Leads', summary: 'Change or qualify / disqualify (with a reason) a lead', permission: 'leads:write', scope: `${OWN_LEAD}; changing \`ownerId\` to someone else answers 403`, params: led, body: LeadPatch, response: { status: 200, schema: Lead }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/leads/{id}', feature: 'leads', operation: 'deleteLead', tag: 'Leads', summary: 'Delete a lead (not a converted one); releases its email/phone', permission: 'leads:write', scope: OWN_LEAD, params: led, response: { status: 204 }, errors: [404, 409, 412], conditional: true },
  { method: 'POST', path: '/v1/leads/{id}/convert', feature: 'leads', operation: 'convertLead', tag: 'Leads', summary: 'Convert a lead: customer (or link one), contact and optional deal in one transaction; a repeat answers 409 naming them', permission: 'leads:convert', scope: `${OWN_LEAD}; converting into an existing \`customerId\` needs a customer the caller owns (404 otherwise)`, params: led, body: LeadConvert, response: { status: 200, schema: LeadConversion }, errors: [404, 409, 422], idempotent: true },
] as const satisfies readonly RouteDef[];
