/**
 * A feature's operations take the types their route rows' schemas infer (functions/api/route-def.ts,
 * "Types from the row"; docs/conventions.md, "Adding an endpoint"). The `@ts-expect-error` lines are
 * the compile-time half: `npx tsc --noEmit` fails if a missing operation, an extra one or a field
 * the schema does not have stops being an error. The assertions are the run-time half.
 */
import { describe, expect, it } from 'vitest';
import type { InputsOf } from '../../functions/api/route-def';
import { createHttpHandler, ok } from '../../functions/http/chain';
import { routes as settingsRoutes } from '../../functions/settings/routes';
import { routes as customersRoutes } from '../../functions/customers/routes';

type CustomerInputs = InputsOf<typeof customersRoutes>;

describe('typed route rows', () => {
  it('infers params, query and body per operation from the row', () => {
    const params: CustomerInputs['getCustomer']['params'] = { id: 'cus_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E' };
    const query: CustomerInputs['listCustomers']['query'] = { tier: 'A', limit: 10 };
    const body: CustomerInputs['createCustomer']['body'] = { type: 'company', name: 'Acme' };
    // @ts-expect-error tier is an enum in the schema
    const badQuery: CustomerInputs['listCustomers']['query'] = { tier: 'Z' };
    // @ts-expect-error a route without a body gets `undefined`
    const noBody: CustomerInputs['getCustomer']['body'] = { name: 'x' };
    expect([params.id, query.tier, body.name, badQuery.tier, noBody]).toEqual(['cus_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E', 'A', 'Acme', 'Z', { name: 'x' }]);
  });

  it('refuses an operation map that misses a row, at compile time and at cold start', () => {
    expect(() =>
      // @ts-expect-error putServiceRules is missing
      createHttpHandler('settings', settingsRoutes, { getServiceRules: async () => ok({}) }),
    ).toThrow('no operation for putServiceRules');
    expect(() =>
      createHttpHandler('settings', settingsRoutes, {
        getServiceRules: async () => ok({}),
        putServiceRules: async () => ok({}),
        // @ts-expect-error no row has this operation
        somethingElse: async () => ok({}),
      }),
    ).toThrow('operation somethingElse has no route');
  });

  it('types each operation\'s body by its own row', () => {
    const handler = createHttpHandler('settings', settingsRoutes, {
      getServiceRules: async () => ok({}),
      putServiceRules: async ({ body }) => {
        const days: number = body.leadDays;
        // @ts-expect-error the ServiceRulesInput schema has no such field
        return ok({ days, other: body.notAField });
      },
    });
    expect(typeof handler).toBe('function');
  });
});
