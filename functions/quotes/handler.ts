/** Quotes feature (quotes and the orders accepting them creates): adapts routes to the service. */
import { createHttpHandler, created, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('quotes', routes, {
  createQuote: async ({ principal, params, body, now }) => {
    const quote = await service.createQuote(principal, params.id, body, now);
    return created(quote, `/v1/quotes/${quote.id}`);
  },
  listDealQuotes: async ({ principal, params, query, now }) => ok(await service.listDealQuotes(principal, params.id, query, now)),
  getQuote: async ({ principal, params, now }) => ok(await service.getQuote(principal, params.id, now)),
  updateQuote: async ({ principal, params, body, expectedVersion, now }) => ok(await service.updateQuote(principal, params.id, body, expectedVersion, now)),
  sendQuote: async ({ principal, params, now }) => ok(await service.sendQuote(principal, params.id, now)),
  acceptQuote: async ({ principal, params, now }) => ok(await service.acceptQuote(principal, params.id, now)),
  rejectQuote: async ({ principal, params, body, now }) => ok(await service.rejectQuote(principal, params.id, body, now)),
  reviseQuote: async ({ principal, params, body, now }) => {
    const quote = await service.reviseQuote(principal, params.id, body, now);
    return created(quote, `/v1/quotes/${quote.id}`);
  },
  listCustomerOrders: async ({ principal, params, query }) => ok(await service.listCustomerOrders(principal, params.id, query)),
  getOrder: async ({ principal, params }) => ok(await service.getOrder(principal, params.id)),
});
