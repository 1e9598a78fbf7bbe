/**
 * Route rows served by the `notifications` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { Empty, IdParam } from '../../schemas/common';
import { Notification, NotificationListQuery, NotificationPage, ReadAllResult } from '../../schemas/notifications';

const ntf = IdParam('ntf');

export const routes = [
  // notifications (always the caller's own)
  { method: 'GET', path: '/v1/notifications', feature: 'notifications', operation: 'listNotifications', tag: 'Notifications', summary: 'Your in-app notifications, newest first', permission: 'notifications:read', scope: 'lists only notifications addressed to the caller — for every role: nobody reads another user\'s notifications', query: NotificationListQuery, response: { status: 200, schema: NotificationPage } },
  { method: 'POST', path: '/v1/notifications/{id}/read', feature: 'notifications', operation: 'markNotificationRead', tag: 'Notifications', summary: 'Mark one of your notifications read', permission: 'notifications:read', scope: 'only notifications addressed to the caller; any other id answers 404', params: ntf, body: Empty, response: { status: 200, schema: Notification }, errors: [404], idempotent: true },
  { method: 'POST', path: '/v1/notifications/read-all', feature: 'notifications', operation: 'markAllNotificationsRead', tag: 'Notifications', summary: 'Mark up to 100 unread notifications read (call again while more is true)', permission: 'notifications:read', scope: 'marks only notifications addressed to the caller', body: Empty, response: { status: 200, schema: ReadAllResult }, idempotent: true },
] as const satisfies readonly RouteDef[];
