/** Exports feature: adapts routes to the service (the files are written by ./worker.ts). */
import { createHttpHandler, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('exports', routes, {
  startExport: async ({ principal, body, now }) => {
    const started = await service.startExport(principal, body, now);
    return { status: 202, body: started, headers: { location: `/v1/exports/${started.id}` } };
  },
  listExports: async ({ principal, scope, query }) => ok(await service.listExports(principal, scope, query)),
  getExport: async ({ principal, params, now }) => ok(await service.getExport(principal, params.id!, now)),
});
