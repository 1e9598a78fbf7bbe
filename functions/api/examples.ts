/**
 * Examples for the OpenAPI document, generated from the very JSON Schemas the document publishes —
 * deterministic (no clock, no random ids) and valid against them (test/unit/openapi-examples.test.ts
 * validates every example against its schema, and request bodies against the route's zod schema).
 *
 * Values come from, in order: the schema's own `examples`/`const`/`enum`, a sample by property
 * name (SAMPLES) that satisfies the schema, a sample that matches the pattern or format, and a
 * generic value within the bounds. Ids are the same per prefix throughout the document, so the
 * customer created in one example is the one read in the next. EXAMPLE_OVERRIDES then refines a
 * few operations whose generated values would be valid but not telling.
 *
 * Build-time only (functions/api/openapi.ts): never bundled into a function.
 */
type Json = Record<string, unknown>;

/** A Crockford base-32 ULID body, shared by every sample id (`cus_…`, `deal_…`). */
const ULID = '01JD3V6Q2M8X4K7N9P5R2T6W8Y';
export const sampleId = (prefix: string) => `${prefix}_${ULID}`;

const AT = '2026-03-02T09:30:00.000Z';
const DAY = '2026-03-31';

/** Samples by property name; used when they satisfy the property's schema. */
const SAMPLES: Record<string, unknown> = {
  name: 'Acme Heating GmbH', displayName: 'Acme Heating', legalName: 'Acme Heating GmbH', firstName: 'Ada', lastName: 'Lovelace',
  fullName: 'Ada Lovelace', email: 'ada.lovelace@example.com', phone: '+49 30 1234567', mobile: '+49 171 2345678',
  title: 'Call back about the boiler service', jobTitle: 'Head of Facilities', subject: 'Quarterly review',
  notes: 'Prefers calls before noon.', description: 'Annual boiler service', summary: 'Discussed the renewal',
  body: 'Discussed the renewal; sending a quote by Friday.', reason: 'Budget moved to next year', outcome: 'Agreed next steps',
  line1: 'Hauptstraße 1', line2: '2nd floor', street: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', region: 'BE', country: 'DE',
  currency: 'EUR', industry: 'manufacturing', website: 'https://acme.example', source: 'web', company: 'Acme Heating GmbH',
  sku: 'BOILER-200', taxId: 'DE123456789', vatId: 'DE123456789', key: 'customers:read', category: 'boiler', serialNumber: 'SN-2024-0042', tag: 'key-account', tags: ['key-account'],
  period: '2026-Q1', quarter: '2026-Q1', month: '2026-03', stage: 'proposal', planId: 'standard', userId: 'user-sales-1',
  ownerId: 'user-sales-1', assigneeId: 'user-sales-1', createdBy: 'user-sales-1', updatedBy: 'user-sales-1', actor: 'user-sales-1',
  requestId: '3f2b8c1e-7a4d-4e9b-9c21-5d8e0f6a1b2c', cursor: 'eyJ2IjoxfQ.c2lnbmF0dXJl', nextCursor: null,
  amount: 125000, unitPrice: 62500, quantity: 2, version: 3, limit: 25, probability: 60, rateBp: 500, acceleratorRateBp: 800,
  taxRateBp: 1900, discountBp: 500, intervalMonths: 12, leadDays: 14, status: undefined, q: 'acme', beforeDue: 'PT30M',
  type: undefined, detail: 'Some body fields are not valid', instance: '/v1/customers', stageId: sampleId('stg'),
  customerId: sampleId('cus'), contactId: sampleId('con'), dealId: sampleId('deal'), taskId: sampleId('tsk'), leadId: sampleId('led'),
  productId: sampleId('prd'), quoteId: sampleId('quo'), orderId: sampleId('ord'), pipelineId: sampleId('pip'), activityId: sampleId('act'),
  assetId: sampleId('ast'), link: `https://crm.example.com/tasks/${sampleId('tsk')}`, role: 'sales', group: 'sales', priority: 'normal',
  closedWon: 480000, commit: 250000, bestCase: 320000, pipeline: 900000, weighted: 410000, wonCount: 4, openCount: 9, count: 4,
  validUntil: '2026-04-30', expectedCloseDate: DAY, dueAt: '2026-03-06T16:00:00.000Z',
};

/**
 * Optional properties left out of examples: they describe a later state (an archived record) or
 * a role's view (masked fields), which would mislead next to the operation they illustrate.
 */
const OMITTED_WHEN_OPTIONAL = new Set(['archivedAt', 'deletedAt', 'masked', 'cancelledAt', 'completedAt', 'supersededBy', 'lostReason', 'sourceKey']);

/** Values tried, in order, for a string with a pattern or format (the first that fits wins). */
const STRING_CANDIDATES = [
  'ada.lovelace@example.com', '2026-03-02', AT, '2026-Q1', '2026-03', 'DE', 'EUR', '+49 30 1234567', 'BOILER-200', 'PT30M', 'P1D',
  'key-account', 'standard', 'boiler', '"3"', 'acme-heating', 'https://crm.example/', '3f2b8c1e-7a4d-4e9b-9c21-5d8e0f6a1b2c', 'Acme',
  'example',
];

const FORMAT_SAMPLES: Record<string, string> = {
  date: '2026-03-02', 'date-time': AT, email: 'ada.lovelace@example.com', uri: 'https://crm.example/', uuid: '3f2b8c1e-7a4d-4e9b-9c21-5d8e0f6a1b2c',
};

export interface ExampleContext {
  /** `components/schemas` of the document, for `$ref`s. */
  schemas: Record<string, Json>;
}

function fitsString(value: unknown, schema: Json): value is string {
  if (typeof value !== 'string') return false;
  if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) return false;
  if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) return false;
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return false;
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return false;
  const format = schema.format as string | undefined;
  if (format === 'email' && !value.includes('@')) return false;
  if (format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  if (format === 'date-time' && !/^\d{4}-\d{2}-\d{2}T/.test(value)) return false;
  if (format === 'uri' && !/^[a-z][a-z0-9+.-]*:/.test(value)) return false;
  return true;
}

function fitsNumber(value: unknown, schema: Json): value is number {
  if (typeof value !== 'number') return false;
  if (schema.type === 'integer' && !Number.isInteger(value)) return false;
  if (typeof schema.minimum === 'number' && value < schema.minimum) return false;
  if (typeof schema.maximum === 'number' && value > schema.maximum) return false;
  if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) return false;
  if (typeof schema.exclusiveMaximum === 'number' && value >= schema.exclusiveMaximum) return false;
  return true;
}

function stringExample(schema: Json, name: string | undefined): string {
  const named = name !== undefined ? SAMPLES[name] : undefined;
  if (fitsString(named, schema)) return named;
  const pattern = schema.pattern as string | undefined;
  const id = pattern && /^\^([a-z]+)_\[0-9A-HJKMNP-TV-Z\]\{26\}\$$/.exec(pattern);
  if (id) return sampleId(id[1]!);
  if (pattern?.startsWith('^[a-z]{2,5}_')) return sampleId('cus');
  const format = schema.format as string | undefined;
  if (format && fitsString(FORMAT_SAMPLES[format], schema)) return FORMAT_SAMPLES[format]!;
  if (pattern) for (const candidate of STRING_CANDIDATES) if (fitsString(candidate, schema)) return candidate;
  // No candidate fits: a readable filler within the length bounds (the examples test reports a miss).
  const min = typeof schema.minLength === 'number' ? schema.minLength : 1;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : 40;
  const base = name ? `Example ${name.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}` : 'example';
  return base.padEnd(min, 'x').slice(0, Math.max(min, Math.min(max, base.length)));
}

function numberExample(schema: Json, name: string | undefined): number {
  const named = name !== undefined ? SAMPLES[name] : undefined;
  if (fitsNumber(named, schema)) return named;
  const integer = schema.type === 'integer';
  let value = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
  if (typeof schema.maximum === 'number' && value > schema.maximum) value = schema.maximum;
  return integer ? Math.ceil(value) : value;
}

/** An example value for `schema` (a JSON Schema from the document); `name` is the property it sits in. */
export function exampleOf(schema: Json | undefined, ctx: ExampleContext, name?: string, depth = 0): unknown {
  if (!schema || depth > 12) return undefined;
  if (typeof schema.$ref === 'string') {
    const target = ctx.schemas[schema.$ref.replace('#/components/schemas/', '')];
    return exampleOf(target, ctx, name, depth + 1);
  }
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) {
    const named = name !== undefined ? SAMPLES[name] : undefined;
    return schema.enum.includes(named) ? named : schema.enum[0];
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key] as Json[] | undefined;
    if (branches) {
      // A nullable field shows its value; a page's nextCursor shows the end of the list.
      if (name === 'nextCursor' && branches.some((b) => b.type === 'null')) return null;
      const branch = branches.find((b) => b.type !== 'null') ?? branches[0];
      return exampleOf(branch, ctx, name, depth + 1);
    }
  }
  if (Array.isArray(schema.allOf)) {
    return Object.assign({}, ...(schema.allOf as Json[]).map((part) => exampleOf(part, ctx, name, depth + 1) as object));
  }
  if (Array.isArray(schema.type) && schema.type.includes('null') && name !== undefined && SAMPLES[name] === null) return null;
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : (schema.type as string | undefined);
  switch (type) {
    case 'string': return stringExample(schema, name);
    case 'integer':
    case 'number': return numberExample(schema, name);
    case 'boolean': return typeof SAMPLES[name ?? ''] === 'boolean' ? SAMPLES[name!] : true;
    case 'null': return null;
    case 'array': {
      const item = exampleOf(schema.items as Json | undefined, ctx, name === undefined ? undefined : singular(name), depth + 1);
      const count = typeof schema.minItems === 'number' ? Math.max(1, schema.minItems) : 1;
      if (typeof schema.maxItems === 'number' && schema.maxItems === 0) return [];
      return Array.from({ length: count }, () => item);
    }
    case 'object':
    default: {
      const out: Json = {};
      const properties = (schema.properties ?? {}) as Record<string, Json>;
      const required = new Set((schema.required ?? []) as string[]);
      for (const [key, prop] of Object.entries(properties)) {
        if (OMITTED_WHEN_OPTIONAL.has(key) && !required.has(key)) continue;
        const value = exampleOf(prop, ctx, key, depth + 1);
        if (value !== undefined) out[key] = value;
      }
      const extra = schema.additionalProperties;
      if (!Object.keys(properties).length && extra && typeof extra === 'object') {
        const keySchema = (schema.propertyNames ?? { type: 'string' }) as Json;
        const key = Array.isArray(keySchema.enum) ? String(keySchema.enum[0]) : stringExample(keySchema, 'key');
        out[key === 'Example key' ? 'example' : key] = exampleOf(extra as Json, ctx, key, depth + 1);
      }
      return out;
    }
  }
}

const singular = (name: string) => (name.endsWith('ies') ? `${name.slice(0, -3)}y` : name.endsWith('s') ? name.slice(0, -1) : name);

function merge(base: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch) || !base || typeof base !== 'object' || Array.isArray(base)) return patch;
  const out: Json = { ...(base as Json) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete out[key];
    else out[key] = merge(out[key], value);
  }
  return out;
}

/**
 * Refinements merged into the generated examples of an operation (objects merge, anything else
 * replaces; `undefined` removes a field). Keep them small: the generator does the rest.
 */
export const EXAMPLE_OVERRIDES: Record<string, { request?: unknown; response?: unknown }> = {
  createCustomer: {
    request: {
      type: 'company', name: 'Acme Heating GmbH', email: 'info@acme-heating.example', phone: '+49 30 1234567',
      address: { line1: 'Hauptstraße 1', city: 'Berlin', postalCode: '10115', country: 'DE' }, tags: ['key-account'],
    },
    response: { email: 'info@acme-heating.example', address: { line2: undefined, region: undefined }, contactCount: 0, lastActivityAt: undefined, lastPurchaseAt: undefined, lifetimeValue: [], version: 1 },
  },
  createDeal: { request: { name: 'Acme — boiler replacement 2026' }, response: { name: 'Acme — boiler replacement 2026' } },
  createProduct: { request: { name: 'Condensing boiler 200 kW' }, response: { name: 'Condensing boiler 200 kW' } },
  createPipeline: { request: { name: 'New business' }, response: { name: 'New business' } },
  createWebhook: { request: { url: 'https://erp.example.com/crm-hook', events: ['deal.*', 'order.created'], fieldFilter: ['stageId', 'status'] }, response: { url: 'https://erp.example.com/crm-hook', events: ['deal.*', 'order.created'], fieldFilter: ['stageId', 'status'] } },
  updateWebhook: { request: { url: 'https://erp.example.com/crm-hook', events: ['deal.*'] }, response: { url: 'https://erp.example.com/crm-hook', events: ['deal.*'] } },
  // A scheduled campaign moved to another morning with a larger budget: only what changes is sent.
  updateCampaign: {
    request: { name: 'Spring service offer', goal: undefined, templateId: undefined, audience: undefined, consentPolicy: undefined, sendRatePerSecond: undefined, budget: { amount: 250_000, currency: 'EUR' }, sendAt: '2026-03-03T08:00:00.000Z', sender: { email: 'service@acme-heating.example', name: 'Acme Heating Service' }, startsOn: '2026-03-03', endsOn: '2026-04-30' },
    response: { name: 'Spring service offer', budget: { amount: 250_000, currency: 'EUR' }, status: 'scheduled', sendAt: '2026-03-03T08:00:00.000Z', sender: { email: 'service@acme-heating.example', name: 'Acme Heating Service' }, startsOn: '2026-03-03', endsOn: '2026-04-30' },
  },
  // Customers of a segment, without those on the "do not market" list, from the service team's own address.
  createCampaign: {
    request: {
      name: 'Spring service offer', audience: { segmentIds: [sampleId('seg')], listIds: undefined, exclude: { segmentIds: undefined, listIds: [sampleId('lst')] } },
      sender: { email: 'service@acme-heating.example', name: 'Acme Heating Service' }, startsOn: '2026-03-03', endsOn: '2026-04-30',
    },
    response: {
      name: 'Spring service offer', audience: { segmentIds: [sampleId('seg')], listIds: [], exclude: { segmentIds: [], listIds: [sampleId('lst')] } },
      sender: { email: 'service@acme-heating.example', name: 'Acme Heating Service' }, startsOn: '2026-03-03', endsOn: '2026-04-30', status: 'draft',
    },
  },
  putCommissionPlan: { request: { name: 'Sales 2026' }, response: { name: 'Sales 2026' } },
  // A customers import: listId only goes with entity list-members.
  createImport: { request: { entity: 'customers', listId: undefined, mapping: { Name: 'name', 'E-Mail': 'email', City: 'address.city' } } },
  putTerritories: {
    request: { rules: [{ id: 'berlin', name: 'Berlin and Brandenburg', match: { country: ['DE'], region: ['BE', 'BB'] }, ownerId: 'user-sales-1' }] },
  },
};

/** The generated example merged with its override. */
export function refined(operation: string, part: 'request' | 'response', generated: unknown): unknown {
  const patch = EXAMPLE_OVERRIDES[operation]?.[part];
  return patch === undefined ? generated : merge(generated, patch);
}
