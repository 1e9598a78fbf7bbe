/** Products as stored and as returned. */
export const PRODUCT_FIELDS = ['sku', 'name', 'description', 'prices', 'taxRateBp', 'active'] as const;

export interface ProductItem {
  id: string;
  sku: string;
  name: string;
  description?: string;
  /** Unit price per currency, integer minor units. */
  prices: { amount: number; currency: string }[];
  /** Basis points: 1900 = 19 %. */
  taxRateBp: number;
  active: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export function toProduct(item: ProductItem) {
  return {
    id: item.id,
    sku: item.sku,
    name: item.name,
    description: item.description,
    prices: item.prices,
    taxRateBp: item.taxRateBp,
    active: item.active,
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}

export function priceIn(product: Pick<ProductItem, 'prices'>, currency: string): number | undefined {
  return product.prices.find((p) => p.currency === currency)?.amount;
}
