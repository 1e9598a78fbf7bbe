/**
 * Route rows served by the `dashboard` feature: the figures a manager opens first, and the page
 * that draws them. functions/api/routes.ts assembles every feature's rows into the one table.
 */
import type { RouteDef } from '../api/route-def';
import { Dashboard, DashboardQuery } from '../../schemas/dashboard';

export const routes = [
  // dashboard (C7)
  { method: 'GET', path: '/v1/reports/dashboard', feature: 'dashboard', operation: 'getDashboard', tag: 'Reports', summary: 'Dashboard: open pipeline by stage, funnel lead → deal → won, revenue by month and owner, forecast vs quota, customers by tier and lifecycle stage, SLA compliance and CSAT, campaign performance (from counters kept on write)', permission: 'reports:read', scope: 'only the caller\'s own figures (deals, leads and customers they own), without the company-wide service and campaign sections; an `ownerId` naming someone else answers 403', query: DashboardQuery, response: { status: 200, schema: Dashboard }, errors: [403] },
  { method: 'GET', path: '/dashboard', feature: 'dashboard', operation: 'dashboardPage', tag: 'Reports', summary: 'The dashboard page (self-contained HTML; fetches the figures with your token)', permission: 'public', response: { status: 200, contentType: 'text/html' } },
] as const satisfies readonly RouteDef[];
