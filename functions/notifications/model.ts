/** In-app notifications as stored and as returned. */
import { keys } from '../data/keys';

export interface NotificationItem {
  id: string;
  userId: string;
  /** What it is about, e.g. `task.reminder`. */
  type: string;
  title: string;
  body?: string;
  link?: string;
  taskId?: string;
  createdAt: string;
  readAt?: string;
}

/** The stored item; an unread notification is also in the user's sparse unread partition. */
export function notificationStored(n: NotificationItem): Record<string, unknown> {
  return {
    ...keys.notification.primary(n.userId, n.id),
    ...(n.readAt ? {} : keys.notification.unread(n.userId, n.id)),
    kind: 'notification',
    ...n,
  };
}

export function toNotification(item: Record<string, unknown>) {
  return {
    id: item.id as string,
    type: item.type as string,
    title: item.title as string,
    body: item.body as string | undefined,
    link: item.link as string | undefined,
    taskId: item.taskId as string | undefined,
    createdAt: item.createdAt as string,
    readAt: item.readAt as string | undefined,
  };
}
