/** Imports feature: adapts routes to the service (the rows are written by ./worker.ts). */
import { createHttpHandler, created, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('imports', routes, {
  createImport: async ({ principal, body, now }) => {
    const job = await service.createImport(principal, body, now);
    return created(job, `/v1/imports/${job.id}`);
  },
  listImports: async ({ principal, query, now }) => ok(await service.listImports(principal, query, now)),
  getImport: async ({ principal, params, now }) => ok(await service.getImport(principal, params.id, now)),
  previewImport: async ({ principal, params, body }) => ok(await service.previewImport(principal, params.id, body)),
  startImport: async ({ principal, params, now }) => ({ status: 202, body: await service.startImport(principal, params.id, now) }),
});
