/**
 * THE route table. One row per endpoint drives:
 *  - the CDK HTTP API routes and which feature function serves them (lib/),
 *  - the local gateway (local/gateway.ts),
 *  - the OpenAPI 3.1 document (functions/api/openapi.ts),
 *  - validation and authorization in the shared middleware (functions/http/chain.ts),
 *  - the route × role authorization test (test/integration/authorization.test.ts).
 * Adding an endpoint is one row here plus its operation in the feature's handler.
 */
import type { ZodMiniType } from 'zod/mini';
import type { Action } from '../security/permissions';
import type { FeatureName } from './features';
import { Empty, IdParam, Problem } from '../../schemas/common';
import {
  Contact, ContactCreate, ContactPage, ContactPatch, Customer, CustomerCreate, CustomerListQuery, CustomerPage,
  CustomerPatch, HistoryPage, ListQuery,
} from '../../schemas/customers';
import { Health, Me } from '../../schemas/system';
import { Task, TaskCreate, TaskListQuery, TaskPage, TaskPatch } from '../../schemas/tasks';
import { Notification, NotificationListQuery, NotificationPage, ReadAllResult } from '../../schemas/notifications';
import { Activity, ActivityCreate, ActivityPatch, TimelinePage, TimelineQuery } from '../../schemas/activities';
import { Asset, AssetCreate, AssetListQuery, AssetPage, AssetPatch } from '../../schemas/assets';
import { ServiceRules, ServiceRulesInput } from '../../schemas/settings';
import { Pipeline, PipelineCreate, PipelineListQuery, PipelinePage, PipelinePatch } from '../../schemas/pipelines';
import { BoardQuery, Deal, DealCreate, DealHistory, DealListQuery, DealLost, DealPage, DealPatch, DealWon, StageMove } from '../../schemas/deals';
import { Forecast, ForecastQuery, Quota, QuotaInput, QuotaListQuery, QuotaPage, QuotaParams, SalesReport, SalesReportQuery } from '../../schemas/forecast';
import { Product, ProductCreate, ProductIdParam, ProductListQuery, ProductPage, ProductPatch } from '../../schemas/products';
import { Order, OrderListQuery, OrderPage, Quote, QuoteCreate, QuoteListQuery, QuotePage, QuotePatch, QuoteReject, QuoteRevise } from '../../schemas/quotes';
import { CommissionPlan, CommissionPlanInput, CommissionPlanListQuery, CommissionPlanPage, CommissionStatement, PlanIdParam, StatementQuery } from '../../schemas/commissions';
import { Lead, LeadConversion, LeadConvert, LeadCreate, LeadListQuery, LeadPage, LeadPatch } from '../../schemas/leads';
import { Territories, TerritoriesInput } from '../../schemas/territories';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDef {
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/customers/{id}`. */
  path: string;
  feature: FeatureName;
  /** Name of the operation in the feature handler's operation map; also the OpenAPI operationId. */
  operation: string;
  summary: string;
  tag: string;
  /** `public` routes skip the JWT authorizer (health and API docs only). */
  permission: Action | 'public';
  params?: Record<string, ZodMiniType>;
  query?: ZodMiniType;
  body?: ZodMiniType;
  response: { status: number; schema?: ZodMiniType; contentType?: string };
  /** Statuses besides 400/401/403/413/415/429 worth documenting for this route. */
  errors?: number[];
  /** POST routes that honour Idempotency-Key. */
  idempotent?: boolean;
  /** PATCH/DELETE routes that honour If-Match. */
  conditional?: boolean;
}

const cus = IdParam('cus');
const con = IdParam('con');
const tsk = IdParam('tsk');
const ntf = IdParam('ntf');
const act = IdParam('act');
const ast = IdParam('ast');
const prdParam = ProductIdParam;
const quoParam = IdParam('quo');
const ordParam = IdParam('ord');
const quoteDealParam = IdParam('deal');
const led = IdParam('led');
const dealParam = IdParam('deal');
const PIPELINE_ID = IdParam('pip').id;

export const ROUTES: readonly RouteDef[] = [
  // system
  { method: 'GET', path: '/v1/health', feature: 'system', operation: 'health', tag: 'System', summary: 'Liveness and readiness (no token needed)', permission: 'public', response: { status: 200, schema: Health }, errors: [503] },
  { method: 'GET', path: '/v1/openapi.json', feature: 'system', operation: 'openapi', tag: 'System', summary: 'This OpenAPI 3.1 document', permission: 'public', response: { status: 200, contentType: 'application/json' } },
  { method: 'GET', path: '/docs', feature: 'system', operation: 'docs', tag: 'System', summary: 'Interactive API documentation page', permission: 'public', response: { status: 200, contentType: 'text/html' } },
  { method: 'GET', path: '/v1/me', feature: 'system', operation: 'me', tag: 'System', summary: 'The caller, their role and permissions', permission: 'me:read', response: { status: 200, schema: Me } },

  // customers
  { method: 'POST', path: '/v1/customers', feature: 'customers', operation: 'createCustomer', tag: 'Customers', summary: 'Create a customer (409 on a duplicate email or phone)', permission: 'customers:create', body: CustomerCreate, response: { status: 201, schema: Customer }, errors: [409, 422], idempotent: true },
  { method: 'GET', path: '/v1/customers', feature: 'customers', operation: 'listCustomers', tag: 'Customers', summary: 'List customers with index-backed filters', permission: 'customers:read', query: CustomerListQuery, response: { status: 200, schema: CustomerPage } },
  { method: 'GET', path: '/v1/customers/{id}', feature: 'customers', operation: 'getCustomer', tag: 'Customers', summary: 'Read a customer', permission: 'customers:read', params: cus, response: { status: 200, schema: Customer }, errors: [404] },
  { method: 'PATCH', path: '/v1/customers/{id}', feature: 'customers', operation: 'updateCustomer', tag: 'Customers', summary: 'Change a customer', permission: 'customers:update', params: cus, body: CustomerPatch, response: { status: 200, schema: Customer }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/customers/{id}', feature: 'customers', operation: 'archiveCustomer', tag: 'Customers', summary: 'Archive a customer (hidden from lists, restorable)', permission: 'customers:archive', params: cus, response: { status: 200, schema: Customer }, errors: [404, 412], conditional: true },
  { method: 'POST', path: '/v1/customers/{id}/restore', feature: 'customers', operation: 'restoreCustomer', tag: 'Customers', summary: 'Restore an archived customer', permission: 'customers:archive', params: cus, body: Empty, response: { status: 200, schema: Customer }, errors: [404, 409], idempotent: true },
  { method: 'GET', path: '/v1/customers/{id}/history', feature: 'customers', operation: 'customerHistory', tag: 'Customers', summary: 'Change history of a customer and its contacts, newest first', permission: 'customers:history', params: cus, query: ListQuery, response: { status: 200, schema: HistoryPage }, errors: [404] },

  // contacts (served by the customers feature: they live in the customer's partition)
  { method: 'POST', path: '/v1/customers/{id}/contacts', feature: 'customers', operation: 'createContact', tag: 'Contacts', summary: 'Add a contact to a customer', permission: 'contacts:write', params: cus, body: ContactCreate, response: { status: 201, schema: Contact }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/customers/{id}/contacts', feature: 'customers', operation: 'listContacts', tag: 'Contacts', summary: 'List a customer\'s contacts', permission: 'contacts:read', params: cus, query: ListQuery, response: { status: 200, schema: ContactPage }, errors: [404] },
  { method: 'GET', path: '/v1/contacts/{id}', feature: 'customers', operation: 'getContact', tag: 'Contacts', summary: 'Read a contact', permission: 'contacts:read', params: con, response: { status: 200, schema: Contact }, errors: [404] },
  { method: 'PATCH', path: '/v1/contacts/{id}', feature: 'customers', operation: 'updateContact', tag: 'Contacts', summary: 'Change a contact', permission: 'contacts:write', params: con, body: ContactPatch, response: { status: 200, schema: Contact }, errors: [404, 412], conditional: true },
  { method: 'DELETE', path: '/v1/contacts/{id}', feature: 'customers', operation: 'deleteContact', tag: 'Contacts', summary: 'Delete a contact', permission: 'contacts:write', params: con, response: { status: 204 }, errors: [404, 412], conditional: true },

  // tasks (C3): reminders are delivered by the `reminders` job (functions/tasks/reminders.ts)
  { method: 'POST', path: '/v1/tasks', feature: 'tasks', operation: 'createTask', tag: 'Tasks', summary: 'Create a task with reminders (absolute or relative to dueAt)', permission: 'tasks:write', body: TaskCreate, response: { status: 201, schema: Task }, errors: [422], idempotent: true },
  { method: 'GET', path: '/v1/tasks', feature: 'tasks', operation: 'listTasks', tag: 'Tasks', summary: 'List tasks (mine by default) by due time; filters status, assignee, due, customer', permission: 'tasks:read', query: TaskListQuery, response: { status: 200, schema: TaskPage } },
  { method: 'GET', path: '/v1/tasks/{id}', feature: 'tasks', operation: 'getTask', tag: 'Tasks', summary: 'Read a task with the delivery state of its reminders', permission: 'tasks:read', params: tsk, response: { status: 200, schema: Task }, errors: [404] },
  { method: 'PATCH', path: '/v1/tasks/{id}', feature: 'tasks', operation: 'updateTask', tag: 'Tasks', summary: 'Change, complete, reopen, cancel or reassign a task', permission: 'tasks:write', params: tsk, body: TaskPatch, response: { status: 200, schema: Task }, errors: [404, 409, 412], conditional: true },

  // notifications (always the caller's own)
  { method: 'GET', path: '/v1/notifications', feature: 'notifications', operation: 'listNotifications', tag: 'Notifications', summary: 'Your in-app notifications, newest first', permission: 'notifications:read', query: NotificationListQuery, response: { status: 200, schema: NotificationPage } },
  { method: 'POST', path: '/v1/notifications/{id}/read', feature: 'notifications', operation: 'markNotificationRead', tag: 'Notifications', summary: 'Mark one of your notifications read', permission: 'notifications:read', params: ntf, body: Empty, response: { status: 200, schema: Notification }, errors: [404], idempotent: true },
  { method: 'POST', path: '/v1/notifications/read-all', feature: 'notifications', operation: 'markAllNotificationsRead', tag: 'Notifications', summary: 'Mark up to 100 unread notifications read (call again while more is true)', permission: 'notifications:read', body: Empty, response: { status: 200, schema: ReadAllResult }, idempotent: true },

  // activities (C2) and the customer timeline: row level follows the customer
  { method: 'POST', path: '/v1/activities', feature: 'activities', operation: 'createActivity', tag: 'Activities', summary: 'Record a call, email, meeting, SMS, visit or note on a customer', permission: 'activities:write', body: ActivityCreate, response: { status: 201, schema: Activity }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/activities/{id}', feature: 'activities', operation: 'getActivity', tag: 'Activities', summary: 'Read an activity', permission: 'activities:read', params: act, response: { status: 200, schema: Activity }, errors: [404] },
  { method: 'PATCH', path: '/v1/activities/{id}', feature: 'activities', operation: 'updateActivity', tag: 'Activities', summary: 'Change an activity', permission: 'activities:write', params: act, body: ActivityPatch, response: { status: 200, schema: Activity }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/activities/{id}', feature: 'activities', operation: 'deleteActivity', tag: 'Activities', summary: 'Delete an activity (it leaves the timeline)', permission: 'activities:write', params: act, response: { status: 204 }, errors: [404, 409, 412], conditional: true },
  { method: 'GET', path: '/v1/customers/{id}/timeline', feature: 'activities', operation: 'customerTimeline', tag: 'Activities', summary: 'A customer\'s activities and key record events, newest first', permission: 'activities:read', params: cus, query: TimelineQuery, response: { status: 200, schema: TimelinePage }, errors: [404] },

  // customer assets (products owned, warranties): row level follows the customer
  { method: 'POST', path: '/v1/customers/{id}/assets', feature: 'assets', operation: 'createAsset', tag: 'Assets', summary: 'Record a product the customer owns', permission: 'assets:write', params: cus, body: AssetCreate, response: { status: 201, schema: Asset }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/customers/{id}/assets', feature: 'assets', operation: 'listAssets', tag: 'Assets', summary: 'A customer\'s assets by purchase date', permission: 'assets:read', params: cus, query: AssetListQuery, response: { status: 200, schema: AssetPage }, errors: [404] },
  { method: 'GET', path: '/v1/assets/{id}', feature: 'assets', operation: 'getAsset', tag: 'Assets', summary: 'Read an asset', permission: 'assets:read', params: ast, response: { status: 200, schema: Asset }, errors: [404] },
  { method: 'PATCH', path: '/v1/assets/{id}', feature: 'assets', operation: 'updateAsset', tag: 'Assets', summary: 'Change an asset (service and warranty dates are recomputed)', permission: 'assets:write', params: ast, body: AssetPatch, response: { status: 200, schema: Asset }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/assets/{id}', feature: 'assets', operation: 'deleteAsset', tag: 'Assets', summary: 'Delete an asset (its reminders stop)', permission: 'assets:write', params: ast, response: { status: 204 }, errors: [404, 409, 412], conditional: true },

  // settings (admin configuration)
  { method: 'GET', path: '/v1/settings/service-rules', feature: 'settings', operation: 'getServiceRules', tag: 'Settings', summary: 'Service intervals, lead days, assignment, warranty and dormancy rules', permission: 'settings:read', response: { status: 200, schema: ServiceRules } },
  { method: 'PUT', path: '/v1/settings/service-rules', feature: 'settings', operation: 'putServiceRules', tag: 'Settings', summary: 'Replace the service rules (If-Match with the current ETag)', permission: 'settings:write', body: ServiceRulesInput, response: { status: 200, schema: ServiceRules }, errors: [409, 412], conditional: true },
  // leads (C4): duplicate-checked on create, converted in one transaction; territories assign owners
  { method: 'POST', path: '/v1/leads', feature: 'leads', operation: 'createLead', tag: 'Leads', summary: 'Capture a lead (409 naming the open lead or live customer with the same email or phone)', permission: 'leads:write', body: LeadCreate, response: { status: 201, schema: Lead }, errors: [409, 422], idempotent: true },
  { method: 'GET', path: '/v1/leads', feature: 'leads', operation: 'listLeads', tag: 'Leads', summary: 'List leads; filters owner, status, source and q (name prefix)', permission: 'leads:read', query: LeadListQuery, response: { status: 200, schema: LeadPage } },
  { method: 'GET', path: '/v1/leads/{id}', feature: 'leads', operation: 'getLead', tag: 'Leads', summary: 'Read a lead', permission: 'leads:read', params: led, response: { status: 200, schema: Lead }, errors: [404] },
  { method: 'PATCH', path: '/v1/leads/{id}', feature: 'leads', operation: 'updateLead', tag: 'Leads', summary: 'Change or qualify / disqualify (with a reason) a lead', permission: 'leads:write', params: led, body: LeadPatch, response: { status: 200, schema: Lead }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/leads/{id}', feature: 'leads', operation: 'deleteLead', tag: 'Leads', summary: 'Delete a lead (not a converted one); releases its email/phone', permission: 'leads:write', params: led, response: { status: 204 }, errors: [404, 409, 412], conditional: true },
  { method: 'POST', path: '/v1/leads/{id}/convert', feature: 'leads', operation: 'convertLead', tag: 'Leads', summary: 'Convert a lead: customer (or link one), contact and optional deal in one transaction; a repeat answers 409 naming them', permission: 'leads:convert', params: led, body: LeadConvert, response: { status: 200, schema: LeadConversion }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/settings/territories', feature: 'territories', operation: 'getTerritories', tag: 'Territories', summary: 'Territory rules (country / region / industry → owner or round-robin team)', permission: 'territories:read', response: { status: 200, schema: Territories } },
  { method: 'PUT', path: '/v1/settings/territories', feature: 'territories', operation: 'putTerritories', tag: 'Territories', summary: 'Replace the territory rules (If-Match with the current ETag)', permission: 'territories:write', body: TerritoriesInput, response: { status: 200, schema: Territories }, errors: [409, 412], conditional: true },
  // products, quotes and orders (C4): quotes follow the deal's owner, orders the customer's owner
  { method: 'POST', path: '/v1/products', feature: 'products', operation: 'createProduct', tag: 'Products', summary: 'Create a product (409 on a duplicate SKU)', permission: 'products:write', body: ProductCreate, response: { status: 201, schema: Product }, errors: [409], idempotent: true },
  { method: 'GET', path: '/v1/products', feature: 'products', operation: 'listProducts', tag: 'Products', summary: 'List products by name; filters active and q (name prefix)', permission: 'products:read', query: ProductListQuery, response: { status: 200, schema: ProductPage } },
  { method: 'GET', path: '/v1/products/{productId}', feature: 'products', operation: 'getProduct', tag: 'Products', summary: 'Read a product', permission: 'products:read', params: prdParam, response: { status: 200, schema: Product }, errors: [404] },
  { method: 'PATCH', path: '/v1/products/{productId}', feature: 'products', operation: 'updateProduct', tag: 'Products', summary: 'Change a product (prices, tax rate, active flag; not the SKU)', permission: 'products:write', params: prdParam, body: ProductPatch, response: { status: 200, schema: Product }, errors: [404, 409, 412], conditional: true },
  { method: 'POST', path: '/v1/deals/{id}/quotes', feature: 'quotes', operation: 'createQuote', tag: 'Quotes', summary: 'Create a draft quote on a deal; totals computed on the server (docs/quotes.md)', permission: 'quotes:write', params: quoteDealParam, body: QuoteCreate, response: { status: 201, schema: Quote }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/deals/{id}/quotes', feature: 'quotes', operation: 'listDealQuotes', tag: 'Quotes', summary: 'A deal\'s quotes, every version, newest first', permission: 'quotes:read', params: quoteDealParam, query: QuoteListQuery, response: { status: 200, schema: QuotePage }, errors: [404] },
  { method: 'GET', path: '/v1/quotes/{id}', feature: 'quotes', operation: 'getQuote', tag: 'Quotes', summary: 'Read a quote version (expired when validUntil has passed)', permission: 'quotes:read', params: quoParam, response: { status: 200, schema: Quote }, errors: [404] },
  { method: 'PATCH', path: '/v1/quotes/{id}', feature: 'quotes', operation: 'updateQuote', tag: 'Quotes', summary: 'Change a draft quote (latest version only)', permission: 'quotes:write', params: quoParam, body: QuotePatch, response: { status: 200, schema: Quote }, errors: [404, 409, 412, 422], conditional: true },
  { method: 'POST', path: '/v1/quotes/{id}/send', feature: 'quotes', operation: 'sendQuote', tag: 'Quotes', summary: 'Mark a draft quote sent', permission: 'quotes:write', params: quoParam, body: Empty, response: { status: 200, schema: Quote }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/quotes/{id}/accept', feature: 'quotes', operation: 'acceptQuote', tag: 'Quotes', summary: 'Accept a sent quote: creates the order and updates the customer\'s purchases in one transaction (409 when expired, superseded or already accepted)', permission: 'quotes:write', params: quoParam, body: Empty, response: { status: 200, schema: Quote }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/quotes/{id}/reject', feature: 'quotes', operation: 'rejectQuote', tag: 'Quotes', summary: 'Record that the customer rejected a sent quote', permission: 'quotes:write', params: quoParam, body: QuoteReject, response: { status: 200, schema: Quote }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/quotes/{id}/revise', feature: 'quotes', operation: 'reviseQuote', tag: 'Quotes', summary: 'Create the next version as a draft; the old version stays readable and unchanged', permission: 'quotes:write', params: quoParam, body: QuoteRevise, response: { status: 201, schema: Quote }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/customers/{id}/orders', feature: 'quotes', operation: 'listCustomerOrders', tag: 'Orders', summary: 'A customer\'s orders (transaction history), newest first', permission: 'orders:read', params: cus, query: OrderListQuery, response: { status: 200, schema: OrderPage }, errors: [404] },
  { method: 'GET', path: '/v1/orders/{id}', feature: 'quotes', operation: 'getOrder', tag: 'Orders', summary: 'Read an order', permission: 'orders:read', params: ordParam, response: { status: 200, schema: Order }, errors: [404] },
  // commissions (C4)
  { method: 'PUT', path: '/v1/commissions/plans/{planId}', feature: 'commissions', operation: 'putCommissionPlan', tag: 'Commissions', summary: 'Create or replace a commission plan and assign users to it', permission: 'commissions:write', params: PlanIdParam, body: CommissionPlanInput, response: { status: 200, schema: CommissionPlan }, errors: [409, 412], conditional: true },
  { method: 'GET', path: '/v1/commissions/plans', feature: 'commissions', operation: 'listCommissionPlans', tag: 'Commissions', summary: 'List commission plans', permission: 'commissions:read', query: CommissionPlanListQuery, response: { status: 200, schema: CommissionPlanPage } },
  { method: 'GET', path: '/v1/commissions/plans/{planId}', feature: 'commissions', operation: 'getCommissionPlan', tag: 'Commissions', summary: 'Read a commission plan', permission: 'commissions:read', params: PlanIdParam, response: { status: 200, schema: CommissionPlan }, errors: [404] },
  { method: 'GET', path: '/v1/commissions/statements', feature: 'commissions', operation: 'commissionStatement', tag: 'Commissions', summary: 'Commission statement of a user for a quarter or month (sales: your own)', permission: 'commissions:read', query: StatementQuery, response: { status: 200, schema: CommissionStatement }, errors: [404] },
  // pipelines, deals, board, forecast, quotas and sales reports (C4): every deal write updates the forecast/report aggregates in its transaction
  { method: 'GET', path: '/v1/pipelines', feature: 'pipelines', operation: 'listPipelines', tag: 'Pipelines', summary: 'List pipelines with their stages (the default pipeline is created on first read)', permission: 'pipelines:read', query: PipelineListQuery, response: { status: 200, schema: PipelinePage } },
  { method: 'POST', path: '/v1/pipelines', feature: 'pipelines', operation: 'createPipeline', tag: 'Pipelines', summary: 'Define a pipeline and its ordered stages', permission: 'pipelines:write', body: PipelineCreate, response: { status: 201, schema: Pipeline }, errors: [422], idempotent: true },
  { method: 'GET', path: '/v1/pipelines/{pipelineId}', feature: 'pipelines', operation: 'getPipeline', tag: 'Pipelines', summary: 'Read a pipeline', permission: 'pipelines:read', params: { pipelineId: PIPELINE_ID }, response: { status: 200, schema: Pipeline }, errors: [404] },
  { method: 'PATCH', path: '/v1/pipelines/{pipelineId}', feature: 'pipelines', operation: 'updatePipeline', tag: 'Pipelines', summary: 'Rename; add, rename, reorder or retire stages (stages are never removed)', permission: 'pipelines:write', params: { pipelineId: PIPELINE_ID }, body: PipelinePatch, response: { status: 200, schema: Pipeline }, errors: [404, 409, 412, 422], conditional: true },
  { method: 'GET', path: '/v1/pipelines/{pipelineId}/deals', feature: 'deals', operation: 'pipelineBoard', tag: 'Deals', summary: 'The board: open deals of a pipeline by stage (one stage with ?stage=)', permission: 'deals:read', params: { pipelineId: PIPELINE_ID }, query: BoardQuery, response: { status: 200, schema: DealPage } },
  { method: 'POST', path: '/v1/deals', feature: 'deals', operation: 'createDeal', tag: 'Deals', summary: 'Create a deal on a visible customer (defaults: default pipeline, first stage)', permission: 'deals:write', body: DealCreate, response: { status: 201, schema: Deal }, errors: [403, 404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/deals', feature: 'deals', operation: 'listDeals', tag: 'Deals', summary: 'List deals; filters owner, status, pipeline, stage, closing period or from/to', permission: 'deals:read', query: DealListQuery, response: { status: 200, schema: DealPage } },
  { method: 'GET', path: '/v1/deals/{id}', feature: 'deals', operation: 'getDeal', tag: 'Deals', summary: 'Read a deal', permission: 'deals:read', params: dealParam, response: { status: 200, schema: Deal }, errors: [404] },
  { method: 'PATCH', path: '/v1/deals/{id}', feature: 'deals', operation: 'updateDeal', tag: 'Deals', summary: 'Change an open deal (amount, close date, owner, probability, line items…)', permission: 'deals:write', params: dealParam, body: DealPatch, response: { status: 200, schema: Deal }, errors: [403, 404, 409, 412, 422], conditional: true },
  { method: 'DELETE', path: '/v1/deals/{id}', feature: 'deals', operation: 'deleteDeal', tag: 'Deals', summary: 'Delete a deal (its forecast and report contributions are removed)', permission: 'deals:write', params: dealParam, response: { status: 204 }, errors: [404, 412], conditional: true },
  { method: 'POST', path: '/v1/deals/{id}/stage', feature: 'deals', operation: 'moveDealStage', tag: 'Deals', summary: 'Move a deal to a stage (409 for a retired stage or a closed deal; If-Match optional)', permission: 'deals:write', params: dealParam, body: StageMove, response: { status: 200, schema: Deal }, errors: [404, 409, 412, 422], idempotent: true, conditional: true },
  { method: 'POST', path: '/v1/deals/{id}/won', feature: 'deals', operation: 'winDeal', tag: 'Deals', summary: 'Mark a deal won', permission: 'deals:write', params: dealParam, body: DealWon, response: { status: 200, schema: Deal }, errors: [404, 409], idempotent: true },
  { method: 'POST', path: '/v1/deals/{id}/lost', feature: 'deals', operation: 'loseDeal', tag: 'Deals', summary: 'Mark a deal lost (reason required)', permission: 'deals:write', params: dealParam, body: DealLost, response: { status: 200, schema: Deal }, errors: [404, 409], idempotent: true },
  { method: 'GET', path: '/v1/deals/{id}/history', feature: 'deals', operation: 'dealHistory', tag: 'Deals', summary: 'Stage history: entered/left at and by whom, time in stage', permission: 'deals:read', params: dealParam, response: { status: 200, schema: DealHistory }, errors: [404] },
  { method: 'GET', path: '/v1/forecast', feature: 'forecast', operation: 'getForecast', tag: 'Forecast', summary: 'Forecast per owner and month: closed-won, commit, best case, pipeline, weighted; quota attainment', permission: 'forecast:read', query: ForecastQuery, response: { status: 200, schema: Forecast }, errors: [403] },
  { method: 'GET', path: '/v1/quotas', feature: 'forecast', operation: 'listQuotas', tag: 'Forecast', summary: 'Quotas of a period (sales: your own)', permission: 'quotas:read', query: QuotaListQuery, response: { status: 200, schema: QuotaPage } },
  { method: 'GET', path: '/v1/quotas/{userId}/{period}', feature: 'forecast', operation: 'getQuota', tag: 'Forecast', summary: 'A user\'s quota for a quarter (2026-Q4) or month (2026-11)', permission: 'quotas:read', params: QuotaParams, response: { status: 200, schema: Quota }, errors: [404] },
  { method: 'PUT', path: '/v1/quotas/{userId}/{period}', feature: 'forecast', operation: 'putQuota', tag: 'Forecast', summary: 'Set a user\'s quota for a period', permission: 'quotas:write', params: QuotaParams, body: QuotaInput, response: { status: 200, schema: Quota }, errors: [412], conditional: true },
  { method: 'GET', path: '/v1/reports/sales', feature: 'forecast', operation: 'salesReport', tag: 'Reports', summary: 'Win rate, average deal size, cycle length and stage conversion by owner and pipeline', permission: 'reports:read', query: SalesReportQuery, response: { status: 200, schema: SalesReport }, errors: [403] },
];

/** `GET /v1/customers/{id}` — the same string API Gateway puts in `event.routeKey`. */
export function routeKey(route: Pick<RouteDef, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export function routesOf(feature: FeatureName): RouteDef[] {
  return ROUTES.filter((route) => route.feature === feature);
}

export { Problem };
