/** Tasks feature: adapts routes to the service. Nothing but parameter plumbing lives here. */
import { createHttpHandler, created, ok } from '../http/chain';
import { routes } from './routes';
import { withProfile } from '../notifications/with-profile';
import * as service from './service';

export const handler = createHttpHandler('tasks', routes, withProfile({
  createTask: async ({ principal, body, now }) => {
    const task = await service.createTask(principal, body, now);
    return created(task, `/v1/tasks/${task.id}`);
  },
  listTasks: async ({ principal, scope, query, now }) => ok(await service.listTasks(principal, scope, query, now)),
  getTask: async ({ principal, params }) => ok(await service.getTask(principal, params.id)),
  updateTask: async ({ principal, params, body, expectedVersion, now }) =>
    ok(await service.updateTask(principal, params.id, body, expectedVersion, now)),
}));
