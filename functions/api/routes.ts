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
];

/** `GET /v1/customers/{id}` — the same string API Gateway puts in `event.routeKey`. */
export function routeKey(route: Pick<RouteDef, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

export function routesOf(feature: FeatureName): RouteDef[] {
  return ROUTES.filter((route) => route.feature === feature);
}

export { Problem };
