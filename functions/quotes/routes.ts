/**
 * Route rows served by the `quotes` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { Empty, IdParam } from '../../schemas/common';
import { Order, OrderListQuery, OrderPage, Quote, QuoteCreate, QuoteListQuery, QuotePage, QuotePatch, QuoteReject, QuoteRevise } from '../../schemas/quotes';

const cus = IdParam('cus');
const quoParam = IdParam('quo');
const ordParam = IdParam('ord');
const quoteDealParam = IdParam('deal');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_QUOTE = 'only quotes of deals the caller owns (the deal\'s `ownerId`, not the customer\'s); any other answers 404, exactly like an unknown id';
const OWN_ORDER = 'only orders of customers the caller owns; any other answers 404, exactly like an unknown id';

export const routes = [
  // quotes and orders (C4): quotes follow the deal's owner, orders the customer's owner
  { method: 'POST', path: '/v1/deals/{id}/quotes', feature: 'quotes', operation: 'createQuote', tag: 'Quotes', summary: 'Create a draft quote on a deal; totals computed on the server (docs/quotes.md)', permission: 'quotes:write', scope: 'only on deals the caller owns (the deal\'s `ownerId`); any other deal answers 404', params: quoteDealParam, body: QuoteCreate, response: { status: 201, schema: Quote }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/deals/{id}/quotes', feature: 'quotes', operation: 'listDealQuotes', tag: 'Quotes', summary: 'A deal\'s quotes, every version, newest first', permission: 'quotes:read', scope: 'only quotes of deals the caller owns (the deal\'s `ownerId`); any other deal answers 404', params: quoteDealParam, query: QuoteListQuery, response: { status: 200, schema: QuotePage }, errors: [404] },
  { method: 'GET', path: '/v1/quotes/{id}', feature: 'quotes', operation: 'getQuote', tag: 'Quotes', summary: 'Read a quote version (expired when validUntil has passed)', permission: 'quotes:read', scope: OWN_QUOTE, params: quoParam, response: { status: 200, schema: Quote }, errors: [404] },
  { method: 'PATCH', path: '/v1/quotes/{id}', feature: 'quotes', operation: 'updateQuote', tag: 'Quotes', summary: 'Change a draft quote (latest version only)', permission: 'quotes:write', scope: OWN_QUOTE, params: quoParam, body: QuotePatch, response: { status: 200, schema: Quote }, errors: [404, 409, 412, 422], conditional: true },
  { method: 'POST', path: '/v1/quotes/{id}/send', feature: 'quotes', operation: 'sendQuote', tag: 'Quotes', summary: 'Mark a draft quote sent', permission: 'quotes:write', scope: OWN_QUOTE, params: quoParam, body: Empty, response: { status: 200, schema: Quote }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/quotes/{id}/accept', feature: 'quotes', operation: 'acceptQuote', tag: 'Quotes', summary: 'Accept a sent quote: creates the order and updates the customer\'s purchases in one transaction (409 when expired, superseded or already accepted)', permission: 'quotes:write', scope: OWN_QUOTE, params: quoParam, body: Empty, response: { status: 200, schema: Quote }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/quotes/{id}/reject', feature: 'quotes', operation: 'rejectQuote', tag: 'Quotes', summary: 'Record that the customer rejected a sent quote', permission: 'quotes:write', scope: OWN_QUOTE, params: quoParam, body: QuoteReject, response: { status: 200, schema: Quote }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/quotes/{id}/revise', feature: 'quotes', operation: 'reviseQuote', tag: 'Quotes', summary: 'Create the next version as a draft; the old version stays readable and unchanged', permission: 'quotes:write', scope: OWN_QUOTE, params: quoParam, body: QuoteRevise, response: { status: 201, schema: Quote }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/customers/{id}/orders', feature: 'quotes', operation: 'listCustomerOrders', tag: 'Orders', summary: 'A customer\'s orders (transaction history), newest first', permission: 'orders:read', scope: 'only orders of customers the caller owns; any other customer answers 404', params: cus, query: OrderListQuery, response: { status: 200, schema: OrderPage }, errors: [404] },
  { method: 'GET', path: '/v1/orders/{id}', feature: 'quotes', operation: 'getOrder', tag: 'Orders', summary: 'Read an order', permission: 'orders:read', scope: OWN_ORDER, params: ordParam, response: { status: 200, schema: Order }, errors: [404] },
] as const satisfies readonly RouteDef[];
