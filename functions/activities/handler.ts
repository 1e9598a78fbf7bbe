/** Activities feature: communication records and customer timelines. Parameter plumbing only. */
import { createHttpHandler, created, noContent, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('activities', routes, {
  createActivity: async ({ principal, body, now }) => {
    const activity = await service.createActivity(principal, body, now);
    return created(activity, `/v1/activities/${activity.id}`);
  },
  getActivity: async ({ principal, params }) => ok(await service.getActivity(principal, params.id)),
  updateActivity: async ({ principal, params, body, expectedVersion, now }) =>
    ok(await service.updateActivity(principal, params.id, body, expectedVersion, now)),
  deleteActivity: async ({ principal, params, expectedVersion, now }) => {
    await service.deleteActivity(principal, params.id, expectedVersion, now);
    return noContent();
  },
  customerTimeline: async ({ principal, params, query }) => ok(await service.customerTimeline(principal, params.id, query)),
});
