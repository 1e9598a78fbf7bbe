/**
 * Every operation of the OpenAPI document carries an example request and response, and every
 * example is valid: against the JSON Schema the document publishes (what a client team reads and
 * generates from) and, for request parts, against the route's zod schema (what the server enforces).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, renderOpenApiJson } from '../../functions/api/openapi';
import { ROUTES } from '../../functions/api/routes';
import { PROBLEM_BASE_PLACEHOLDER } from '../../functions/http/problem';
import { PROBLEM_TYPES } from '../../functions/system/problem-types';

type Json = Record<string, any>;
const doc = buildOpenApi() as unknown as Json;

const ajv = new Ajv2020({ strict: false, allErrors: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const defs = JSON.parse(JSON.stringify(doc.components.schemas).replaceAll('#/components/schemas/', '#/$defs/'));

/** Validates `value` against a schema of the document; returns ajv's errors as text ('' when valid). */
function invalid(schema: Json, value: unknown): string {
  const root = { ...JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '#/$defs/')), $defs: defs };
  const validate = ajv.compile(root);
  return validate(value) ? '' : ajv.errorsText(validate.errors);
}

const deref = (node: Json): Json => (node.$ref ? deref(node.$ref.slice(2).split('/').reduce((n: Json, p: string) => n[p], doc)) : node);
const operationOf = (method: string, path: string): Json => doc.paths[path][method.toLowerCase()];

describe('OpenAPI examples', () => {
  it('give every operation an example for each path parameter and required query parameter, valid for the server', () => {
    for (const route of ROUTES) {
      const op = operationOf(route.method, route.path);
      const parameters = (op.parameters ?? []).map(deref);
      const query: Record<string, unknown> = {};
      for (const p of parameters.filter((p: Json) => p.in === 'path' || (p.in === 'query' && p.required))) {
        expect(p.example, `${route.operation} ${p.in} ${p.name}`).toBeDefined();
        expect(invalid(p.schema, p.example), `${route.operation} ${p.name}=${JSON.stringify(p.example)}`).toBe('');
        if (p.in === 'path') {
          const schema = route.params!()[p.name]!;
          expect(schema.safeParse(p.example).success, `${route.operation} path ${p.name}`).toBe(true);
        } else query[p.name] = String(p.example);
      }
      if (route.query) {
        const parsed = route.query().safeParse(query);
        expect(parsed.success, `${route.operation} query ${JSON.stringify(query)}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      }
    }
  });

  it('give every request body an example that the document\'s schema and the route\'s zod schema both accept', () => {
    const failures: string[] = [];
    for (const route of ROUTES.filter((r) => r.body)) {
      const media = operationOf(route.method, route.path).requestBody.content['application/json'];
      expect(media.example, route.operation).toBeDefined();
      const errors = invalid(media.schema, media.example);
      if (errors) failures.push(`${route.operation} (document): ${errors}`);
      const parsed = route.body!().safeParse(media.example);
      if (!parsed.success) failures.push(`${route.operation} (zod): ${JSON.stringify(parsed.error.issues)}`);
    }
    expect(failures).toEqual([]);
  });

  it('give every success response with content an example valid against its schema', () => {
    const failures: string[] = [];
    for (const route of ROUTES) {
      const response = operationOf(route.method, route.path).responses[String(route.response.status)];
      if (route.response.status === 204) {
        expect(response.content).toBeUndefined();
        continue;
      }
      for (const [type, media] of Object.entries(response.content as Record<string, Json>)) {
        expect(media.example, `${route.operation} ${type}`).toBeDefined();
        const errors = invalid(media.schema, media.example);
        if (errors) failures.push(`${route.operation}: ${errors}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('gives every problem response an example of a documented problem type, valid against Problem', () => {
    for (const [name, response] of Object.entries(doc.components.responses as Record<string, Json>)) {
      const media = response.content['application/problem+json'];
      expect(invalid(media.schema, media.example), name).toBe('');
      const slug = String(media.example.type).slice(PROBLEM_BASE_PLACEHOLDER.length);
      // Rendered with the placeholder; served with this API's own base (test/integration/problem-pages.test.ts).
      expect(media.example.type.startsWith(PROBLEM_BASE_PLACEHOLDER), name).toBe(true);
      expect(PROBLEM_TYPES[slug as keyof typeof PROBLEM_TYPES], name).toMatchObject({ status: media.example.status, title: media.example.title });
      expect(response.description, name).toContain(`(/problems/${slug})`);
      if (response.content['application/json']) expect(invalid(response.content['application/json'].schema, response.content['application/json'].example), name).toBe('');
    }
  });

  it('are deterministic: no clock, no random ids', () => {
    const text = renderOpenApiJson();
    expect(text).toBe(renderOpenApiJson());
    const ids = new Set(text.match(/\b[a-z]{3,4}_[0-9A-HJKMNP-TV-Z]{26}\b/g));
    // One sample id per prefix: the customer created in one example is the one read in the next.
    expect(new Set([...ids].map((id) => id.slice(id.indexOf('_')))).size).toBe(1);
  });

  it('show the customer a client would create', () => {
    const create = operationOf('POST', '/v1/customers');
    const request = create.requestBody.content['application/json'].example;
    const response = create.responses['201'].content['application/json'].example;
    expect(request).toMatchObject({ type: 'company', name: 'Acme Heating GmbH', email: 'info@acme-heating.example' });
    expect(response).toMatchObject({ id: expect.stringMatching(/^cus_/), name: request.name, email: request.email, version: 1 });
    expect(response.archivedAt).toBeUndefined();
  });
});
