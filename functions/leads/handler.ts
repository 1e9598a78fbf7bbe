/** Leads feature: adapts routes to the service. Nothing but parameter plumbing lives here. */
import { startListExport } from '../exports/list-export';
import { createHttpHandler, created, noContent, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';
import { leadsBatch } from './batch';

export const handler = createHttpHandler('leads', routes, {
  createLead: async ({ principal, scope, body, now }) => {
    const lead = await service.createLead(principal, scope, body, now);
    return created(lead, `/v1/leads/${lead.id}`);
  },
  batchLeads: async ({ principal, body, requestId, now }) => leadsBatch(principal, requestId, now, body),
  listLeads: async ({ principal, scope, query }) => ok(await service.listLeads(principal, scope, query)),
  exportLeadsCsv: async ({ principal, scope, query, now }) => startListExport(principal, 'leads', service.planList(principal, scope, query), query, now),
  getLead: async ({ principal, params }) => ok(await service.getLead(principal, params.id)),
  updateLead: async ({ principal, scope, params, body, expectedVersion, now }) => ok(await service.updateLead(principal, scope, params.id, body, expectedVersion, now)),
  deleteLead: async ({ principal, params, expectedVersion, now }) => {
    await service.deleteLead(principal, params.id, expectedVersion, now);
    return noContent();
  },
  convertLead: async ({ principal, params, body, now }) => ok(await service.convertLead(principal, params.id, body, now)),
});
