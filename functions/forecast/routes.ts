/**
 * Route rows served by the `forecast` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { Forecast, ForecastQuery, Quota, QuotaInput, QuotaListQuery, QuotaPage, QuotaParams, SalesReport, SalesReportQuery } from '../../schemas/forecast';

/** What scope `own` means on these routes (shown in the API docs; see RouteDef.scope). */
const OWN_FIGURES = 'only the caller\'s own figures (deals they own); an `ownerId` naming someone else answers 403';

export const routes = [
  // forecast, quotas and sales reports (C4)
  { method: 'GET', path: '/v1/forecast', feature: 'forecast', operation: 'getForecast', tag: 'Forecast', summary: 'Forecast per owner and month: closed-won, commit, best case, pipeline, weighted; quota attainment', permission: 'forecast:read', scope: OWN_FIGURES, query: ForecastQuery, response: { status: 200, schema: Forecast }, errors: [403] },
  { method: 'GET', path: '/v1/quotas', feature: 'forecast', operation: 'listQuotas', tag: 'Forecast', summary: 'Quotas of a period (sales: your own)', permission: 'quotas:read', scope: 'lists only the caller\'s own quota for the period (at most one item, never a cursor)', query: QuotaListQuery, response: { status: 200, schema: QuotaPage } },
  { method: 'GET', path: '/v1/quotas/{userId}/{period}', feature: 'forecast', operation: 'getQuota', tag: 'Forecast', summary: 'A user\'s quota for a quarter (2026-Q4) or month (2026-11)', permission: 'quotas:read', scope: 'only the caller\'s own quota; another user\'s answers 404, exactly like a missing one', params: QuotaParams, response: { status: 200, schema: Quota }, errors: [404] },
  { method: 'PUT', path: '/v1/quotas/{userId}/{period}', feature: 'forecast', operation: 'putQuota', tag: 'Forecast', summary: 'Set a user\'s quota for a period', permission: 'quotas:write', params: QuotaParams, body: QuotaInput, response: { status: 200, schema: Quota }, errors: [412], conditional: true },
  { method: 'GET', path: '/v1/reports/sales', feature: 'forecast', operation: 'salesReport', tag: 'Reports', summary: 'Win rate, average deal size, cycle length and stage conversion by owner and pipeline', permission: 'reports:read', scope: OWN_FIGURES, query: SalesReportQuery, response: { status: 200, schema: SalesReport }, errors: [403] },
] as const satisfies readonly RouteDef[];
