/**
 * The route table is assembled from per-feature rows (functions/<feature>/routes.ts) so that a
 * feature handler bundles only its own schemas. These tests keep that split honest: rows sit in
 * the folder of the feature that serves them, ROUTES is exactly their concatenation, and a
 * feature bundle does not reach the whole table or another feature's schemas.
 */
import { build } from 'esbuild';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeatureName } from '../../functions/api/features';
import { type RouteDef, routeKey } from '../../functions/api/route-def';
import { ROUTES, routesOf } from '../../functions/api/routes';
import { routes as systemRoutes } from '../../functions/system/routes';
import { routes as customersRoutes } from '../../functions/customers/routes';
import { routes as tasksRoutes } from '../../functions/tasks/routes';
import { routes as notificationsRoutes } from '../../functions/notifications/routes';
import { routes as activitiesRoutes } from '../../functions/activities/routes';
import { routes as assetsRoutes } from '../../functions/assets/routes';
import { routes as settingsRoutes } from '../../functions/settings/routes';
import { routes as leadsRoutes } from '../../functions/leads/routes';
import { routes as territoriesRoutes } from '../../functions/territories/routes';
import { routes as productsRoutes } from '../../functions/products/routes';
import { routes as quotesRoutes } from '../../functions/quotes/routes';
import { routes as commissionsRoutes } from '../../functions/commissions/routes';
import { routes as pipelinesRoutes } from '../../functions/pipelines/routes';
import { routes as dealsRoutes } from '../../functions/deals/routes';
import { routes as forecastRoutes } from '../../functions/forecast/routes';
import { routes as webhooksRoutes } from '../../functions/webhooks/routes';
import { routes as apikeysRoutes } from '../../functions/apikeys/routes';
import { routes as marketingRoutes } from '../../functions/marketing/routes';
import { routes as signupRoutes } from '../../functions/signup/routes';
import { routes as contractsRoutes } from '../../functions/contracts/routes';
import { routes as ticketsRoutes } from '../../functions/tickets/routes';
import { routes as kbRoutes } from '../../functions/kb/routes';
import { routes as portalRoutes } from '../../functions/portal/routes';
import { routes as exportsRoutes } from '../../functions/exports/routes';
import { routes as dashboardRoutes } from '../../functions/dashboard/routes';
import { routes as customfieldsRoutes } from '../../functions/customfields/routes';
import { routes as mergeRoutes } from '../../functions/merge/routes';
import { routes as serviceDeskRoutes } from '../../functions/service-desk/routes';
import { routes as importsRoutes } from '../../functions/imports/routes';
import { ESBUILD_OPTIONS } from '../../lib/bundling';
import { REPO_ROOT } from '../../lib/paths';

/** Every feature folder with route rows, in table order. */
const FEATURE_ROUTES: ReadonlyArray<[FeatureName, readonly RouteDef[]]> = [
  ['system', systemRoutes],
  ['customers', customersRoutes],
  ['tasks', tasksRoutes],
  ['notifications', notificationsRoutes],
  ['activities', activitiesRoutes],
  ['assets', assetsRoutes],
  ['settings', settingsRoutes],
  ['leads', leadsRoutes],
  ['territories', territoriesRoutes],
  ['products', productsRoutes],
  ['quotes', quotesRoutes],
  ['commissions', commissionsRoutes],
  ['pipelines', pipelinesRoutes],
  ['deals', dealsRoutes],
  ['forecast', forecastRoutes],
  ['webhooks', webhooksRoutes],
  ['apikeys', apikeysRoutes],
  ['marketing', marketingRoutes],
  ['signup', signupRoutes],
  ['contracts', contractsRoutes],
  ['tickets', ticketsRoutes],
  ['service-desk', serviceDeskRoutes],
  ['kb', kbRoutes],
  ['portal', portalRoutes],
  ['exports', exportsRoutes],
  ['imports', importsRoutes],
  ['dashboard', dashboardRoutes],
  ['customfields', customfieldsRoutes],
  ['merge', mergeRoutes],
];

describe('route table', () => {
  it.each(FEATURE_ROUTES)('functions/%s/routes.ts holds only rows of its own feature', (feature, routes) => {
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) expect(route.feature, routeKey(route)).toBe(feature);
    expect(routesOf(feature)).toEqual([...routes]);
  });

  it('ROUTES is the concatenation of the feature rows, in order', () => {
    const concatenated = FEATURE_ROUTES.flatMap(([, routes]) => routes);
    expect(ROUTES).toHaveLength(concatenated.length);
    ROUTES.forEach((route, i) => expect(route).toBe(concatenated[i]));
    expect(new Set(ROUTES.map((route) => route.feature))).toEqual(new Set(FEATURE_ROUTES.map(([feature]) => feature)));
  });

  it('has no duplicate route key', () => {
    const keys = ROUTES.map(routeKey);
    const duplicates = keys.filter((key, i) => keys.indexOf(key) !== i);
    expect(duplicates).toEqual([]);
  });
});

describe('feature bundle import graph', () => {
  it('the customers handler bundles neither the whole route table nor another feature\'s schemas', async () => {
    const result = await build({
      ...ESBUILD_OPTIONS,
      entryPoints: [path.join(REPO_ROOT, 'functions/customers/handler.ts')],
      outdir: path.join(tmpdir(), 'crm-route-table-test'),
      absWorkingDir: REPO_ROOT,
      write: false,
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toContain('functions/customers/routes.ts');
    expect(inputs).toContain('schemas/customers.ts');
    expect(inputs).not.toContain('functions/api/routes.ts');
    expect(inputs).not.toContain('schemas/deals.ts');
  }, 60_000);
});
