/**
 * Route rows served by the `products` feature, in table order. functions/api/routes.ts assembles
 * every feature's rows into the one route table; the feature's handler reads only these, so its
 * bundle carries only its own schemas.
 */
import type { RouteDef } from '../api/route-def';
import { Product, ProductCreate, ProductIdParam, ProductListQuery, ProductPage, ProductPatch } from '../../schemas/products';

const prdParam = ProductIdParam;

export const routes = [
  // products (C4)
  { method: 'POST', path: '/v1/products', feature: 'products', operation: 'createProduct', tag: 'Products', summary: 'Create a product (409 on a duplicate SKU)', permission: 'products:write', body: ProductCreate, response: { status: 201, schema: Product }, errors: [409], idempotent: true },
  { method: 'GET', path: '/v1/products', feature: 'products', operation: 'listProducts', tag: 'Products', summary: 'List products by name; filters active and q (name prefix)', permission: 'products:read', query: ProductListQuery, response: { status: 200, schema: ProductPage } },
  { method: 'GET', path: '/v1/products/{productId}', feature: 'products', operation: 'getProduct', tag: 'Products', summary: 'Read a product', permission: 'products:read', params: prdParam, response: { status: 200, schema: Product }, errors: [404] },
  { method: 'PATCH', path: '/v1/products/{productId}', feature: 'products', operation: 'updateProduct', tag: 'Products', summary: 'Change a product (prices, tax rate, active flag; not the SKU)', permission: 'products:write', params: prdParam, body: ProductPatch, response: { status: 200, schema: Product }, errors: [404, 409, 412], conditional: true },
] as const satisfies readonly RouteDef[];
