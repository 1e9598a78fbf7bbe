/** Customers feature: adapts routes to the service. Nothing but parameter plumbing lives here. */
import { startListExport } from '../exports/list-export';
import { createHttpHandler, created, noContent, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';
import { contactsBatch, customersBatch } from './batch';

export const handler = createHttpHandler('customers', routes, {
  createCustomer: async ({ principal, scope, body, now }) => {
    const customer = await service.createCustomer(principal, scope, body, now);
    return created(customer, `/v1/customers/${customer.id}`);
  },
  batchCustomers: async ({ principal, body, requestId, now }) => customersBatch(principal, requestId, now, body),
  batchContacts: async ({ principal, body, requestId, now }) => contactsBatch(principal, requestId, now, body),
  listCustomers: async ({ principal, scope, query }) => ok(await service.listCustomers(principal, scope, query)),
  exportCustomersCsv: async ({ principal, scope, query, now }) => startListExport(principal, 'customers', service.planList(principal, scope, query), query, now),
  exportContactsCsv: async ({ principal, scope, query, now }) => startListExport(principal, 'contacts', service.planList(principal, scope, query), query, now),
  getCustomer: async ({ principal, params }) => ok(await service.getCustomer(principal, params.id)),
  updateCustomer: async ({ principal, scope, params, body, expectedVersion, now }) =>
    ok(await service.updateCustomer(principal, scope, params.id, body, expectedVersion, now)),
  archiveCustomer: async ({ principal, params, expectedVersion, now }) => ok(await service.archiveCustomer(principal, params.id, expectedVersion, now)),
  restoreCustomer: async ({ principal, params, now }) => ok(await service.restoreCustomer(principal, params.id, now)),
  customerHistory: async ({ principal, params, query }) => ok(await service.customerHistory(principal, params.id, query)),
  createContact: async ({ principal, params, body, now }) => {
    const contact = await service.createContact(principal, params.id, body, now);
    return created(contact, `/v1/contacts/${contact.id}`);
  },
  listContacts: async ({ principal, params, query }) => ok(await service.listContacts(principal, params.id, query)),
  getContact: async ({ principal, params }) => ok(await service.getContact(principal, params.id)),
  updateContact: async ({ principal, params, body, expectedVersion, now }) =>
    ok(await service.updateContact(principal, params.id, body, expectedVersion, now)),
  deleteContact: async ({ principal, params, expectedVersion, now }) => {
    await service.deleteContact(principal, params.id, expectedVersion, now);
    return noContent();
  },
});
