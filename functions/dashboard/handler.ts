/** Dashboard feature: the figures (from counters kept on write) and the page that draws them. */
import { createHttpHandler, ok } from '../http/chain';
import { dashboardPageHeaders, dashboardPageHtml } from './page';
import { routes } from './routes';
import * as service from './service';

let page: string | undefined;

export const handler = createHttpHandler('dashboard', routes, {
  getDashboard: async ({ principal, scope, query }) => ok(await service.dashboard(principal, scope, query)),
  dashboardPage: async () => ({ status: 200, contentType: 'text/html; charset=utf-8', body: (page ??= dashboardPageHtml()), headers: dashboardPageHeaders() }),
});
