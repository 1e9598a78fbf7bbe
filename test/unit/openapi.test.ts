import { Validator } from '@seriousme/openapi-schema-validator';
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUTH_ORIGIN_PLACEHOLDER, authOrigin, withAuthOrigin } from '../../functions/system/sign-in';
import { buildOpenApi, buildOpenApiFor, IDEMPOTENCY_KEY_PATTERN, type OpenApiDocument, type OpenApiOperation, renderOpenApiJson } from '../../functions/api/openapi';
import { ROUTES, type RouteDef } from '../../functions/api/routes';
import { validateKey } from '../../functions/http/idempotency';
import { PERMISSIONS, ROLES } from '../../functions/security/permissions';

const doc = buildOpenApi();
type Json = Record<string, any>;

function pointer(ref: string): unknown {
  expect(ref.startsWith('#/'), `only local refs: ${ref}`).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<any>((node, part) => (node == null ? undefined : node[part]), doc);
}
const deref = (node: Json): Json => (node.$ref ? deref(pointer(node.$ref) as Json) : node);

function operationOf(route: RouteDef): OpenApiOperation {
  const op = doc.paths[route.path]?.[route.method.toLowerCase()];
  expect(op, `${route.method} ${route.path}`).toBeDefined();
  return op!;
}
const params = (op: OpenApiOperation) => (op.parameters ?? []).map((p) => deref(p));

function allRefs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => allRefs(v, out));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref') out.push(v as string);
      else allRefs(v, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1.0 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('CRM API');
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has exactly one operation per route, with its method, path and operationId', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(operations.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path} ${r.operation}`).sort());
    expect(new Set(ROUTES.map((r) => r.operation)).size).toBe(ROUTES.length);
    for (const route of ROUTES) {
      const op = operationOf(route);
      expect(op.summary).toBe(route.summary);
      expect(op.tags).toEqual([route.tag]);
    }
    expect(doc.tags.map((t) => t.name)).toEqual([...new Set(ROUTES.map((r) => r.tag))]);
  });

  it('resolves every $ref', () => {
    const refs = allRefs(doc);
    expect(refs.length).toBeGreaterThan(50);
    for (const ref of new Set(refs)) expect(pointer(ref), ref).toBeDefined();
  });

  it('requires the bearer token on every operation except the public ones', () => {
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(doc.components.securitySchemes.bearer!.description).toContain('npm run --silent token -- <role>');
    expect((doc as Json).security).toBeUndefined();
    for (const route of ROUTES) {
      const op = operationOf(route);
      if (route.permission === 'public') {
        expect(op.security, route.operation).toBeUndefined();
        expect(op.responses['401'], route.operation).toBeUndefined();
        expect(op.responses['403'], route.operation).toBeUndefined();
        expect(op.description).toContain('no token needed');
      } else {
        // Portal routes take a portal pool token; the `cognito` sign-in is the staff pool's.
        expect(op.security, route.operation).toEqual(route.permission.startsWith('portal:') ? [{ bearer: [] }] : [{ bearer: [] }, { cognito: [] }]);
        expect(op.responses['401'], route.operation).toBeDefined();
        expect(op.responses['403'], route.operation).toBeDefined();
      }
    }
  });

  it('offers an OAuth 2.0 sign-in (Cognito authorization code flow) next to the bearer scheme', () => {
    const cognito = doc.components.securitySchemes.cognito as Json;
    expect(cognito.type).toBe('oauth2');
    const flow = cognito.flows.authorizationCode;
    expect(flow.authorizationUrl).toBe(`${AUTH_ORIGIN_PLACEHOLDER}/oauth2/authorize`);
    expect(flow.tokenUrl).toBe(`${AUTH_ORIGIN_PLACEHOLDER}/oauth2/token`);
    expect(Object.keys(flow.scopes)).toEqual(['openid', 'email', 'profile']);
    expect(cognito.description).toContain('AUTH_DOMAIN_URL');
    // Served with the stage's user pool domain in place of the placeholder.
    const served = JSON.parse(withAuthOrigin(renderOpenApiJson(), authOrigin({ AUTH_DOMAIN_URL: 'https://crm-prod.auth.eu-west-1.amazoncognito.com/' })));
    expect(served.components.securitySchemes.cognito.flows.authorizationCode).toMatchObject({
      authorizationUrl: 'https://crm-prod.auth.eu-west-1.amazoncognito.com/oauth2/authorize',
      tokenUrl: 'https://crm-prod.auth.eu-west-1.amazoncognito.com/oauth2/token',
    });
    expect(authOrigin({ AUTH_DOMAIN_URL: 'javascript:alert(1)' })).toBeUndefined();
    expect(authOrigin({})).toBeUndefined();
  });

  it('describes every tag', () => {
    for (const tag of doc.tags) expect(tag.description, tag.name).toMatch(/\w{3,}.*\./);
  });

  it('states what scope `own` means on each route from the row\'s own declaration, never a generic sentence', () => {
    for (const route of ROUTES) {
      if (route.permission === 'public') continue;
      const own = ROLES.filter((role) => PERMISSIONS[role][route.permission as keyof (typeof PERMISSIONS)['admin']] === 'own');
      const op = operationOf(route);
      if (own.length) {
        expect(route.scope, `${route.operation} declares scope`).toBeTruthy();
        expect(op.description, route.operation).toContain(`**Scope \`own\`** (${own.join(', ')}): ${route.scope}.`);
      } else {
        expect(route.scope, `${route.operation}: no role holds ${route.permission} with scope own`).toBeUndefined();
        expect(op.description, route.operation).not.toContain('Scope `own`');
      }
    }
    // The row-level rules the services enforce (functions/*/service.ts), not "customers the caller owns".
    const scopeOf = (operation: string) => ROUTES.find((r) => r.operation === operation)!.scope!;
    expect(scopeOf('getTask')).toContain('assigned to or created by the caller');
    expect(scopeOf('listTasks')).toContain('assigned to the caller');
    expect(scopeOf('listNotifications')).toContain('addressed to the caller');
    expect(scopeOf('getDeal')).toContain('deals the caller owns');
    expect(scopeOf('getQuote')).toContain('of deals the caller owns');
    expect(scopeOf('getForecast')).toContain('own figures');
    expect(scopeOf('commissionStatement')).toContain('own statement');
    expect(scopeOf('getCommissionPlan')).toContain('plan the caller is on');
    for (const operation of ['getTask', 'listTasks', 'listNotifications', 'getDeal', 'getQuote', 'getForecast', 'commissionStatement', 'listCommissionPlans']) {
      expect(scopeOf(operation), operation).not.toContain('customers the caller owns');
    }
  });

  it('refuses to build when a route a role holds with scope own does not say what own means', () => {
    const route = ROUTES.find((r) => r.operation === 'getDeal')!;
    const { scope: _scope, ...bare } = route;
    expect(() => buildOpenApiFor([bare])).toThrow(/needs `scope`/);
  });

  it('documents errors as problem+json: the statuses every route can answer plus its own', () => {
    for (const route of ROUTES) {
      const op = operationOf(route);
      const statuses = Object.keys(op.responses).map(Number);
      const expected = [400, 429, 500, ...(route.errors ?? [])];
      if (route.permission !== 'public') expected.push(401, 403);
      if (route.body) expected.push(413, 415);
      for (const status of expected) expect(statuses, `${route.operation} ${status}`).toContain(status);
      if (!route.body) {
        expect(statuses, route.operation).not.toContain(413);
        expect(statuses, route.operation).not.toContain(415);
      }
      for (const status of statuses.filter((s) => s >= 400)) {
        const response = deref(op.responses[String(status)]!);
        expect(response.content?.['application/problem+json']?.schema, `${route.operation} ${status}`).toEqual({
          $ref: '#/components/schemas/Problem',
        });
        expect(response.headers?.['X-Request-Id']).toBeDefined();
      }
    }
    const problem = doc.components.schemas.Problem as Json;
    expect(problem.required).toEqual(['type', 'title', 'status']);
    expect(Object.keys(problem.properties)).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'requestId', 'errors', 'existingId']),
    );
    expect(deref(doc.components.responses.TooManyRequests!).headers['Retry-After']).toBeDefined();
    // An API key over its rate limit: the draft's RateLimit fields say when to come back.
    expect(Object.keys(deref(doc.components.responses.TooManyRequests!).headers)).toEqual(expect.arrayContaining(['RateLimit', 'RateLimit-Policy']));
    // Statuses API Gateway may answer itself in AWS also document its `{"message"}` body.
    for (const name of ['Unauthorized', 'TooManyRequests', 'InternalError']) {
      expect(deref(doc.components.responses[name]!).content['application/json'].schema).toEqual({ $ref: '#/components/schemas/GatewayMessage' });
    }
    expect(deref(doc.components.responses.Forbidden!).content['application/json']).toBeUndefined();
    expect(deref(doc.components.responses.ServiceUnavailable!).headers['Retry-After']).toBeDefined();
  });

  it('documents the success response with its schema or content type', () => {
    for (const route of ROUTES) {
      const success = operationOf(route).responses[String(route.response.status)] as Json;
      expect(success, route.operation).toBeDefined();
      if (route.response.status === 204) {
        expect(success.content).toBeUndefined();
        continue;
      }
      const contentType = route.response.contentType ?? 'application/json';
      expect(Object.keys(success.content), route.operation).toEqual([contentType]);
      const schema = success.content[contentType].schema;
      expect(schema).toBeDefined();
      if (route.response.schema) expect(deref(schema).type).toBe('object');
    }
  });

  it('documents ETag on responses that carry a record, and Location on 201', () => {
    const headersOf = (operation: string) => {
      const route = ROUTES.find((r) => r.operation === operation)!;
      return Object.keys(operationOf(route).responses[String(route.response.status)]!.headers ?? {});
    };
    expect(headersOf('getCustomer')).toContain('ETag');
    expect(headersOf('updateCustomer')).toContain('ETag');
    expect(headersOf('getContact')).toContain('ETag');
    expect(headersOf('createCustomer')).toEqual(expect.arrayContaining(['ETag', 'Location', 'Idempotent-Replayed']));
    expect(headersOf('listCustomers')).not.toContain('ETag');
    expect(headersOf('me')).not.toContain('ETag');
    expect(headersOf('deleteContact')).not.toContain('ETag');
  });

  it('documents Idempotency-Key exactly on idempotent routes and If-Match exactly on conditional ones', () => {
    for (const route of ROUTES) {
      const headerNames = params(operationOf(route)).filter((p) => p.in === 'header').map((p) => p.name);
      expect(headerNames.includes('Idempotency-Key'), route.operation).toBe(Boolean(route.idempotent));
      expect(headerNames.includes('If-Match'), route.operation).toBe(Boolean(route.conditional));
      if (route.idempotent) expect(Object.keys(operationOf(route).responses)).toEqual(expect.arrayContaining(['409', '422']));
      if (route.conditional) expect(Object.keys(operationOf(route).responses)).toContain('412');
    }
  });

  it('documents the Idempotency-Key format the server enforces', () => {
    const documented = new RegExp(IDEMPOTENCY_KEY_PATTERN);
    const keys = ['', 'short', '12345678', 'a'.repeat(255), 'a'.repeat(256), 'has space 1234', 'tab\there12345', 'ünïcödé-key', '0f8fad5b-d9cb-469f-a165-70867728950e'];
    for (const key of keys) {
      let accepted = true;
      try {
        validateKey(key);
      } catch {
        accepted = false;
      }
      expect(documented.test(key), JSON.stringify(key)).toBe(accepted);
    }
  });

  it('documents path parameters exactly as the path template names them', () => {
    for (const route of ROUTES) {
      const op = operationOf(route);
      const inPath = params(op).filter((p) => p.in === 'path');
      const template = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(inPath.map((p) => p.name).sort(), route.operation).toEqual([...template].sort());
      expect(Object.keys(route.params?.() ?? {}).sort(), route.operation).toEqual([...template].sort());
      for (const p of inPath) expect(p.required).toBe(true);
    }
    const id = params(operationOf(ROUTES.find((r) => r.operation === 'getCustomer')!)).find((p) => p.name === 'id')!;
    expect(new RegExp(id.schema.pattern).test('cus_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E')).toBe(true);
    expect(new RegExp(id.schema.pattern).test('con_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E')).toBe(false);
  });

  it('documents query parameters from the query schema, with integer page sizes on lists', () => {
    for (const route of ROUTES) {
      const query = params(operationOf(route)).filter((p) => p.in === 'query');
      const expected = route.query ? Object.keys((route.query() as unknown as { _zod: { def: { shape: object } } })._zod.def.shape) : [];
      expect(query.map((p) => p.name), route.operation).toEqual(expected);
    }
    for (const operation of ['listCustomers', 'listContacts', 'customerHistory']) {
      const op = operationOf(ROUTES.find((r) => r.operation === operation)!);
      const byName = Object.fromEntries(params(op).map((p) => [p.name, p]));
      expect(byName.limit).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } });
      expect(byName.limit!.description).toContain('default 25');
      expect(byName.cursor).toMatchObject({ in: 'query', required: false, schema: { type: 'string' } });
      expect(op.description).toContain('nextCursor');
      const page = deref((op.responses['200'] as Json).content['application/json'].schema);
      expect(page.required).toEqual(['items', 'nextCursor']);
    }
    const tier = params(operationOf(ROUTES.find((r) => r.operation === 'listCustomers')!)).find((p) => p.name === 'tier')!;
    expect(tier.schema.enum).toEqual(['A', 'B', 'C', 'D']);
  });

  it('has a JSON request body exactly where the route takes one, required unless {} is valid', () => {
    for (const route of ROUTES) {
      const op = operationOf(route);
      expect(Boolean(op.requestBody), route.operation).toBe(Boolean(route.body));
      if (!route.body) continue;
      const body = op.requestBody as Json;
      expect(Object.keys(body.content)).toEqual(['application/json']);
      expect(body.required, route.operation).toBe(!route.body().safeParse({}).success);
    }
    const create = operationOf(ROUTES.find((r) => r.operation === 'createCustomer')!).requestBody as Json;
    expect(create.required).toBe(true);
    const schema = deref(create.content['application/json'].schema);
    // Input form: the request constraints, not the response shape.
    expect(schema.required).toEqual(['type', 'name']);
    expect(schema.properties.name).toMatchObject({ minLength: 1, maxLength: 200 });
    expect(schema.properties.address).toEqual({ $ref: '#/components/schemas/Address' });
    expect(operationOf(ROUTES.find((r) => r.operation === 'restoreCustomer')!).requestBody).toMatchObject({ required: false });
  });

  it('names the permission and which roles hold it with what scope', () => {
    for (const route of ROUTES) {
      const op = operationOf(route);
      expect(op['x-permission']).toBe(route.permission);
      if (route.permission === 'public') continue;
      const holders = Object.fromEntries(
        ROLES.flatMap((role) => {
          const scope = PERMISSIONS[role][route.permission as keyof (typeof PERMISSIONS)['admin']];
          return scope ? [[role, scope]] : [];
        }),
      );
      expect(op['x-roles']).toEqual(holders);
      expect(op.description).toContain(`Permission \`${route.permission}\``);
      for (const [role, scope] of Object.entries(holders)) expect(op.description, route.operation).toContain(`${role} (${scope})`);
    }
    const update = operationOf(ROUTES.find((r) => r.operation === 'updateCustomer')!);
    expect(update.description).toContain('admin (all), manager (all), sales (own)');
    expect(update.description).toContain('Refused with 403 for marketing, service, analyst');
  });

  it('lifts every schema with an id into components and leaves no $defs or $schema behind', () => {
    const text = JSON.stringify(doc);
    expect(text).not.toContain('"$defs"');
    expect(text).not.toContain('#/$defs/');
    expect(text).not.toContain('"$schema"');
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(['Customer', 'CustomerCreate', 'CustomerPatch', 'CustomerPage', 'Contact', 'ContactPage', 'HistoryPage', 'Me', 'Health', 'Problem', 'Address']),
    );
    const customer = doc.components.schemas.Customer as Json;
    expect(customer.properties.version).toEqual({ type: 'integer', description: expect.stringContaining('If-Match') });
  });

  it('is memoized and frozen, and takes the server URL and version from its options', () => {
    expect(buildOpenApi()).toBe(doc);
    expect(Object.isFrozen(doc.paths)).toBe(true);
    const other: OpenApiDocument = buildOpenApi({ serverUrl: 'https://api.example.com', version: '2.3.4' });
    expect(other.servers).toEqual([{ url: 'https://api.example.com' }]);
    expect(other.info.version).toBe('2.3.4');
    expect(other.paths).toBe(doc.paths);
    expect(doc.servers).toEqual([{ url: '/' }]);
  });

  it('is committed as rendered: functions/system/openapi.json, which the system function serves (run `npm run docs:openapi`)', () => {
    expect(readFileSync(new URL('../../functions/system/openapi.json', import.meta.url), 'utf8') === renderOpenApiJson()).toBe(true);
  });

  it('keeps the builder small (it runs at build time, not in a function)', async () => {
    const bundleSize = async (contents: string) => {
      const out = await build({
        stdin: { contents, resolveDir: process.cwd(), loader: 'ts' },
        bundle: true, minify: true, write: false, platform: 'node', format: 'esm', mainFields: ['module', 'main'], external: ['@aws-sdk/*'],
      });
      return out.outputFiles[0]!.contents.byteLength;
    };
    const routesOnly = await bundleSize("export { ROUTES } from './functions/api/routes';");
    const withDocs = await bundleSize(
      "export { ROUTES } from './functions/api/routes'; export { buildOpenApi } from './functions/api/openapi'; export { docsPageHtml } from './functions/system/docs-page';",
    );
    const added = withDocs - routesOnly;
    console.log(`OpenAPI document + docs page add ${(added / 1024).toFixed(1)} KB minified`);
    // Includes the example generator (functions/api/examples.ts) and the problem catalogue.
    expect(added).toBeLessThan(96 * 1024);
  });
});
