/**
 * Product rules: unique SKU (guard item, 409), optimistic concurrency, audit. Products are not
 * owned: every role with products:read sees all of them.
 */
import { auditItem, diff } from '../audit/audit';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { ConditionsFailed } from '../data/transaction';
import { Conflict, NotFound, PreconditionFailed } from '../http/problem';
import type { Principal } from '../security/principal';
import { applyPatch } from '../data/records';
import { PRODUCT_FIELDS, type ProductItem, toProduct } from './model';
import * as repo from './repository';
import type { Infer } from '../../schemas/once';
import type { ProductCreate, ProductListQuery, ProductPatch } from '../../schemas/products';

export const DEFAULT_LIMIT = 25;

function productAudit(before: ProductItem | undefined, after: ProductItem, action: 'created' | 'updated', actor: Principal, now: Date) {
  const changes = diff(before, after, PRODUCT_FIELDS, []);
  const item = auditItem({ customerId: '-', entityType: 'product', entityId: after.id, action, actor, at: now, version: after.version, changes });
  return { ...item, ...keys.product.audit(after.id, item.at as string, item.id as string) };
}

/** `options.id`: the id to give the new record (CSV imports pass one derived from the file row, so a replayed row finds its record instead of creating a second one: functions/imports/ids.ts). */
export async function createProduct(principal: Principal, body: Infer<typeof ProductCreate>, now: Date, options: { id?: string } = {}) {
  const at = now.toISOString();
  const item: ProductItem = {
    id: options.id ?? newId('prd'),
    sku: body.sku,
    name: body.name,
    description: body.description,
    prices: body.prices,
    taxRateBp: body.taxRateBp,
    active: body.active ?? true,
    version: 1,
    createdAt: at,
    updatedAt: at,
    createdBy: principal.userId,
    updatedBy: principal.userId,
  };
  try {
    await repo.saveProduct(undefined, item, productAudit(undefined, item, 'created', principal, now));
  } catch (err) {
    if (err instanceof ConditionsFailed && err.labels.includes('unique:sku')) {
      const existing = err.items['unique:sku']?.productId as string | undefined;
      throw Conflict(`A product with SKU ${item.sku} already exists${existing ? ` (${existing})` : ''}`, existing);
    }
    throw err;
  }
  return toProduct(item);
}

export async function getProduct(id: string) {
  const item = await repo.getProduct(id);
  if (!item) throw NotFound('No such product');
  return toProduct(item);
}

export async function updateProduct(principal: Principal, id: string, patch: Infer<typeof ProductPatch>, expectedVersion: number | undefined, now: Date) {
  for (let attempt = 1; ; attempt++) {
    const current = await repo.getProduct(id);
    if (!current) throw NotFound('No such product');
    if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
    const merged = applyPatch(current, patch);
    if (diff(current, merged, PRODUCT_FIELDS, []).length === 0) return toProduct(current);
    const next: ProductItem = { ...merged, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
    try {
      await repo.saveProduct(current, next, productAudit(current, next, 'updated', principal, now));
      return toProduct(next);
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || !err.labels.includes('product')) throw err;
      if (expectedVersion !== undefined) throw PreconditionFailed();
      if (attempt >= 3) throw Conflict('The product is being changed by someone else right now; retry');
    }
  }
}

export async function listProducts(query: Infer<typeof ProductListQuery>) {
  const partition = query.active === undefined
    ? { index: 'gsi1' as const, value: keys.product.allPartition }
    : { index: 'gsi2' as const, value: keys.product.activePartition(query.active === 'true') };
  const prefix = query.q ? keys.product.namePrefix(query.q) || undefined : undefined;
  const fingerprint = JSON.stringify(['products', partition.value, prefix ?? '']);
  const startKey = await decodeCursor(query.cursor, fingerprint);
  const page = await repo.queryProducts(partition, prefix, query.limit ?? DEFAULT_LIMIT, startKey);
  return { items: page.items.map(toProduct), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}
