/**
 * The shape of one route row, and helpers over rows. Deliberately free of schema imports: every
 * feature handler imports this module (through functions/http/chain.ts), so anything imported
 * here would land in every Lambda bundle (type-only imports are erased and cost nothing). The rows themselves live in functions/<feature>/routes.ts
 * and are assembled into the one table by functions/api/routes.ts.
 */
import type { output, ZodMiniType } from 'zod/mini';
import type { Infer } from '../../schemas/once';
import type { Action } from '../security/permissions';
import type { FeatureName } from './features';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDef {
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/customers/{id}`. */
  path: string;
  feature: FeatureName;
  /** Name of the operation in the feature handler's operation map; also the OpenAPI operationId. */
  operation: string;
  summary: string;
  tag: string;
  /** `public` routes skip the JWT authorizer (health and API docs only). */
  permission: Action | 'public';
  /**
   * Schemas are referenced by their factories (schemas/once.ts) and built when the route is first
   * served, so a cold start constructs none of them.
   */
  params?: () => Record<string, ZodMiniType>;
  query?: () => ZodMiniType;
  body?: () => ZodMiniType;
  response: { status: number; schema?: () => ZodMiniType; contentType?: string };
  /** Statuses besides 400/401/403/413/415/429 worth documenting for this route. */
  errors?: readonly number[];
  /** POST routes that honour Idempotency-Key. */
  idempotent?: boolean;
  /** PATCH/DELETE routes that honour If-Match. */
  conditional?: boolean;
  /**
   * What scope `own` means on this route, as its service enforces it (which records it reaches,
   * and what a request for any other answers) — e.g. "tasks assigned to or created by the caller;
   * any other task answers 404". Required (the OpenAPI build fails without it) when a role holds
   * the route's permission with scope `own`; the docs say nothing generic instead.
   */
  scope?: string;
}

/** `GET /v1/customers/{id}` — the same string API Gateway puts in `event.routeKey`. */
export function routeKey(route: Pick<RouteDef, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/**
 * Which JWT authorizer guards a route: `portal` — the self-service portal's user pool (customers'
 * contacts) — for routes needing a `portal:*` permission, `staff` — the CRM users' pool — for every
 * other protected route, none for public ones. A token of one pool is refused (401) on the other's
 * routes; API keys (the machine API) reach staff routes only.
 */
export function authorizerOf(route: Pick<RouteDef, 'permission'>): 'none' | 'staff' | 'portal' {
  if (route.permission === 'public') return 'none';
  return route.permission.startsWith('portal:') ? 'portal' : 'staff';
}

/** The rows of `routes` served by `feature`, in order. */
export function routesIn(routes: readonly RouteDef[], feature: FeatureName): RouteDef[] {
  return routes.filter((route) => route.feature === feature);
}

/*
 * Types from the row. A feature declares its rows `as const satisfies readonly RouteDef[]`, which
 * keeps each row's literal operation name and schema factories; these helpers derive from them what
 * the request chain hands that row's operation: `z.output` of its params, query and body schemas
 * (what validation returns, after defaults and coercion). Type-only: nothing here reaches a bundle.
 */

export type { Infer };

/** Path parameters as validated: `{ id: string }` for a row with `params: IdParam('cus')`; `{}` without params. */
export type ParamsOf<Row> = Row extends { params: () => infer Shape }
  ? { [Name in keyof Shape]: Shape[Name] extends ZodMiniType ? output<Shape[Name]> : never }
  : Record<string, never>;
/** The validated query (an unknown parameter on a row without a query schema is a 400, so `{}`). */
export type QueryOf<Row> = Row extends { query: infer Factory extends () => unknown } ? Infer<Factory> : Record<string, never>;
/** The validated body; `undefined` on a row without a body schema. */
export type BodyOf<Row> = Row extends { body: infer Factory extends () => unknown } ? Infer<Factory> : undefined;

/** The row of `Rows` whose operation is `Name`. */
export type RowOf<Rows extends readonly RouteDef[], Name extends string> = Extract<Rows[number], { operation: Name }>;

/** Operation name → its validated `{ params, query, body }`, for every row of `Rows`. */
export type InputsOf<Rows extends readonly RouteDef[]> = {
  [Name in Rows[number]['operation']]: { params: ParamsOf<RowOf<Rows, Name>>; query: QueryOf<RowOf<Rows, Name>>; body: BodyOf<RowOf<Rows, Name>> };
};
