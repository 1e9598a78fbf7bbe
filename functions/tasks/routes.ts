/**
 * Route rows served by the `tasks` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { Task, TaskCreate, TaskListQuery, TaskPage, TaskPatch } from '../../schemas/tasks';

const tsk = IdParam('tsk');

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_TASK = 'only tasks assigned to or created by the caller; any other answers 404, exactly like an unknown id';

export const routes = [
  // tasks (C3): reminders are delivered by the `reminders` job (functions/tasks/reminders.ts)
  { method: 'POST', path: '/v1/tasks', feature: 'tasks', operation: 'createTask', tag: 'Tasks', summary: 'Create a task with reminders (absolute or relative to dueAt)', permission: 'tasks:write', scope: 'the task is assigned to the caller: another `assigneeId` needs `tasks:assign` (403 otherwise); a `customerId` must name a customer the caller may read', body: TaskCreate, response: { status: 201, schema: Task }, errors: [422], idempotent: true },
  { method: 'GET', path: '/v1/tasks', feature: 'tasks', operation: 'listTasks', tag: 'Tasks', summary: 'List tasks (mine by default) by due time; filters status, assignee, due, customer', permission: 'tasks:read', scope: 'lists tasks assigned to the caller (not those they created for others); an `assigneeId` naming someone else answers 403', query: TaskListQuery, response: { status: 200, schema: TaskPage } },
  { method: 'GET', path: '/v1/tasks/{id}', feature: 'tasks', operation: 'getTask', tag: 'Tasks', summary: 'Read a task with the delivery state of its reminders', permission: 'tasks:read', scope: OWN_TASK, params: tsk, response: { status: 200, schema: Task }, errors: [404] },
  { method: 'PATCH', path: '/v1/tasks/{id}', feature: 'tasks', operation: 'updateTask', tag: 'Tasks', summary: 'Change, complete, reopen, cancel or reassign a task', permission: 'tasks:write', scope: `${OWN_TASK}; reassigning to someone else needs \`tasks:assign\` (403 otherwise)`, params: tsk, body: TaskPatch, response: { status: 200, schema: Task }, errors: [404, 409, 412], conditional: true },
] as const satisfies readonly RouteDef[];
