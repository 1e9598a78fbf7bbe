/**
 * Route rows served by the `activities` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { Activity, ActivityCreate, ActivityPatch, TimelinePage, TimelineQuery } from '../../schemas/activities';

const cus = IdParam('cus');
const act = IdParam('act');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_ACTIVITY = 'only activities of customers the caller owns; any other answers 404, exactly like an unknown id';

export const routes = [
  // activities (C2) and the customer timeline: row level follows the customer
  { method: 'POST', path: '/v1/activities', feature: 'activities', operation: 'createActivity', tag: 'Activities', summary: 'Record a call, email, meeting, SMS, visit or note on a customer', permission: 'activities:write', scope: 'only on customers the caller owns; any other customer answers 404', body: ActivityCreate, response: { status: 201, schema: Activity }, errors: [404, 409, 422], idempotent: true },
  { method: 'GET', path: '/v1/activities/{id}', feature: 'activities', operation: 'getActivity', tag: 'Activities', summary: 'Read an activity', permission: 'activities:read', scope: OWN_ACTIVITY, params: act, response: { status: 200, schema: Activity }, errors: [404] },
  { method: 'PATCH', path: '/v1/activities/{id}', feature: 'activities', operation: 'updateActivity', tag: 'Activities', summary: 'Change an activity', permission: 'activities:write', scope: OWN_ACTIVITY, params: act, body: ActivityPatch, response: { status: 200, schema: Activity }, errors: [404, 409, 412], conditional: true },
  { method: 'DELETE', path: '/v1/activities/{id}', feature: 'activities', operation: 'deleteActivity', tag: 'Activities', summary: 'Delete an activity (it leaves the timeline)', permission: 'activities:write', scope: OWN_ACTIVITY, params: act, response: { status: 204 }, errors: [404, 409, 412], conditional: true },
  { method: 'GET', path: '/v1/customers/{id}/timeline', feature: 'activities', operation: 'customerTimeline', tag: 'Activities', summary: 'A customer\'s activities and key record events, newest first', permission: 'activities:read', scope: 'only the timeline of customers the caller owns; any other customer answers 404', params: cus, query: TimelineQuery, response: { status: 200, schema: TimelinePage }, errors: [404] },
] as const satisfies readonly RouteDef[];
