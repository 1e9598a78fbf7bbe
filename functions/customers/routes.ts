/**
 * Route rows served by the `customers` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { Empty, IdParam } from '../../schemas/common';
import {
  Contact, ContactCreate, ContactPage, ContactPatch, Customer, CustomerCreate, CustomerListQuery, CustomerPage,
  CustomerPatch, HistoryPage, ListQuery,
} from '../../schemas/customers';
import { BatchResult, ContactBatch, CustomerBatch } from '../../schemas/batch';
import { Export } from '../../schemas/exports';
import { CustomerExportQuery } from '../../schemas/list-exports';

const cus = IdParam('cus');
const con = IdParam('con');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_CUSTOMER = 'only customers the caller owns (`ownerId`); any other answers 404, exactly like an unknown id';
const OWN_CONTACT = 'only contacts of customers the caller owns; any other answers 404, exactly like an unknown id';

export const routes = [
  // customers
  { method: 'POST', path: '/v1/customers', feature: 'customers', operation: 'createCustomer', tag: 'Customers', summary: 'Create a customer (409 on a duplicate email or phone)', permission: 'customers:create', scope: 'the new customer is owned by the caller; naming another `ownerId` answers 403', body: CustomerCreate, response: { status: 201, schema: Customer }, errors: [409, 422], idempotent: true },
  { method: 'POST', path: '/v1/customers/batch', feature: 'customers', operation: 'batchCustomers', tag: 'Customers', summary: 'Create or change up to 100 customers, each on its own (207 Multi-Status: a status and record or problem per item; per-item idempotency keys)', permission: 'customers:create', scope: 'each item as its single call: creates are owned by the caller; updates (which also need customers:update) reach only customers the caller owns, any other answers that item 404', body: CustomerBatch, response: { status: 207, schema: BatchResult } },
  { method: 'GET', path: '/v1/customers', feature: 'customers', operation: 'listCustomers', tag: 'Customers', summary: 'List customers with index-backed filters', permission: 'customers:read', scope: 'lists only customers the caller owns; an `ownerId` filter naming someone else returns an empty page', query: CustomerListQuery, response: { status: 200, schema: CustomerPage } },
  { method: 'GET', path: '/v1/customers/export.csv', feature: 'customers', operation: 'exportCustomersCsv', tag: 'Customers', summary: 'Export the filtered customer list as CSV, every row (202: runs in the background; GET /v1/exports/{id} gives the download URLs; personal fields masked as in the list)', permission: 'customers:read', scope: 'exports only customers the caller owns, as the list shows them', query: CustomerExportQuery, response: { status: 202, schema: Export } },
  { method: 'GET', path: '/v1/contacts/export.csv', feature: 'customers', operation: 'exportContactsCsv', tag: 'Contacts', summary: 'Export the contacts of the customers a customer-list filter selects as CSV (202: runs in the background; GET /v1/exports/{id} gives the download URLs)', permission: 'contacts:read', scope: 'exports only contacts of customers the caller owns', query: CustomerExportQuery, response: { status: 202, schema: Export } },
  { method: 'GET', path: '/v1/customers/{id}', feature: 'customers', operation: 'getCustomer', tag: 'Customers', summary: 'Read a customer', permission: 'customers:read', scope: OWN_CUSTOMER, params: cus, response: { status: 200, schema: Customer }, errors: [404] },
  { method: 'PATCH', path: '/v1/customers/{id}', feature: 'customers', operation: 'updateCustomer', tag: 'Customers', summary: 'Change a customer', permission: 'customers:update', scope: `${OWN_CUSTOMER}; changing \`ownerId\` to someone else answers 403`, params: cus, body: CustomerPatch, response: { status: 200, schema: Customer }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/customers/{id}', feature: 'customers', operation: 'archiveCustomer', tag: 'Customers', summary: 'Archive a customer (hidden from lists, restorable)', permission: 'customers:archive', scope: OWN_CUSTOMER, params: cus, response: { status: 200, schema: Customer }, errors: [404, 412], conditional: true },
  { method: 'POST', path: '/v1/customers/{id}/restore', feature: 'customers', operation: 'restoreCustomer', tag: 'Customers', summary: 'Restore an archived customer', permission: 'customers:archive', scope: OWN_CUSTOMER, params: cus, body: Empty, response: { status: 200, schema: Customer }, errors: [404, 409], idempotent: true },
  { method: 'GET', path: '/v1/customers/{id}/history', feature: 'customers', operation: 'customerHistory', tag: 'Customers', summary: 'Change history of a customer and its contacts, newest first', permission: 'customers:history', scope: OWN_CUSTOMER, params: cus, query: ListQuery, response: { status: 200, schema: HistoryPage }, errors: [404] },

  // contacts (served by the customers feature: they live in the customer's partition)
  { method: 'POST', path: '/v1/customers/{id}/contacts', feature: 'customers', operation: 'createContact', tag: 'Contacts', summary: 'Add a contact to a customer', permission: 'contacts:write', scope: 'only on customers the caller owns; any other customer answers 404', params: cus, body: ContactCreate, response: { status: 201, schema: Contact }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/customers/{id}/contacts', feature: 'customers', operation: 'listContacts', tag: 'Contacts', summary: 'List a customer\'s contacts', permission: 'contacts:read', scope: 'only contacts of customers the caller owns; any other customer answers 404', params: cus, query: ListQuery, response: { status: 200, schema: ContactPage }, errors: [404] },
  { method: 'POST', path: '/v1/contacts/batch', feature: 'customers', operation: 'batchContacts', tag: 'Contacts', summary: 'Create or change up to 100 contacts, each on its own (207 Multi-Status: a status and record or problem per item; per-item idempotency keys)', permission: 'contacts:write', scope: 'each item as its single call: only contacts of customers the caller owns; any other answers that item 404', body: ContactBatch, response: { status: 207, schema: BatchResult } },
  { method: 'GET', path: '/v1/contacts/{id}', feature: 'customers', operation: 'getContact', tag: 'Contacts', summary: 'Read a contact', permission: 'contacts:read', scope: OWN_CONTACT, params: con, response: { status: 200, schema: Contact }, errors: [404] },
  { method: 'PATCH', path: '/v1/contacts/{id}', feature: 'customers', operation: 'updateContact', tag: 'Contacts', summary: 'Change a contact', permission: 'contacts:write', scope: OWN_CONTACT, params: con, body: ContactPatch, response: { status: 200, schema: Contact }, errors: [404, 412], conditional: true },
  { method: 'DELETE', path: '/v1/contacts/{id}', feature: 'customers', operation: 'deleteContact', tag: 'Contacts', summary: 'Delete a contact', permission: 'contacts:write', scope: OWN_CONTACT, params: con, response: { status: 204 }, errors: [404, 412], conditional: true },
] as const satisfies readonly RouteDef[];
