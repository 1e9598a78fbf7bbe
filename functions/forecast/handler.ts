/** Forecast feature (forecast, quotas, sales reports): adapts routes to the service. */
import { createHttpHandler, ok } from '../http/chain';
import { routes } from './routes';
import * as service from './service';

export const handler = createHttpHandler('forecast', routes, {
  getForecast: async ({ principal, scope, query }) => ok(await service.forecast(principal, scope, query)),
  listQuotas: async ({ principal, scope, query }) => ok(await service.listQuotas(principal, scope, query)),
  getQuota: async ({ principal, params }) => ok(await service.getQuotaFor(principal, params.userId, params.period)),
  putQuota: async ({ principal, params, body, expectedVersion, now }) => ok(await service.putQuota(principal, params.userId, params.period, body, expectedVersion, now)),
  salesReport: async ({ principal, scope, query }) => ok(await service.salesReport(principal, scope, query)),
});
