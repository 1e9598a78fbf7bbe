/** Notifications feature: the caller's in-app notifications. Thin adapter over the service. */
import { createHttpHandler, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';
import { withProfile } from './with-profile';

export const handler = createHttpHandler('notifications', routes, withProfile({
  listNotifications: async ({ principal, query }) => ok(await service.listNotifications(principal, query)),
  markNotificationRead: async ({ principal, params, now }) => ok(await service.markRead(principal, params.id, now)),
  markAllNotificationsRead: async ({ principal, now }) => ok(await service.markAllRead(principal, now)),
}));
