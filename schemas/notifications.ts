import * as z from './zod';
import { once } from './once';
import { Id, PageQuery, Timestamp, pageOf } from './common';

export const Notification = once(() => z
  .object({
    id: Id('ntf'),
    type: z.string().check(z.meta({ description: 'What it is about, e.g. task.reminder' })),
    title: z.string(),
    body: z.optional(z.string()),
    link: z.optional(z.string()),
    taskId: z.optional(z.string()),
    createdAt: Timestamp(),
    readAt: z.optional(Timestamp()),
  })
  .check(z.meta({ id: 'Notification' })));

export const NotificationPage = once(() => pageOf(Notification(), 'NotificationPage'));

export const NotificationListQuery = once(() => z.strictObject({
  ...PageQuery(),
  unread: z.optional(z.enum(['true', 'false']).check(z.meta({ description: 'true lists unread notifications only' }))),
}));

export const ReadAllResult = once(() => z
  .object({
    marked: z.int().check(z.meta({ description: 'Notifications marked read by this call' })),
    more: z.boolean().check(z.meta({ description: 'true when unread notifications remain (call again)' })),
  })
  .check(z.meta({ id: 'ReadAllResult' })));
