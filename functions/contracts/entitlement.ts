/**
 * Entitlement: what covers service for a customer (and one of its assets) today. An active
 * contract of the customer that lists the asset — or lists no assets, which covers all of them —
 * comes first; else the asset's warranty while it lasts. The tickets feature calls
 * `entitlementFor` when a ticket is opened; `GET /v1/customers/{id}/entitlements` shows the same.
 *
 * Cost: one Query of the customer's contracts (a customer has few), plus one BatchGetItem of the
 * asset when one is named (it must be the customer's).
 */
import { BadRequest, NotFound } from '../http/problem';
import { assertAccess, type Principal } from '../security/principal';
import { type ContractItem, effectiveStatus } from './model';
import * as repo from './repository';
import { todayOf } from './service';

export interface Entitlement {
  customerId: string;
  assetId?: string;
  entitled: boolean;
  source: 'contract' | 'warranty' | null;
  contract?: { id: string; number: string; endDate: string };
  warranty?: { assetId: string; endsOn: string };
}

/** Thrown by entitlementFor when the asset is not the customer's (or does not exist). */
export class AssetNotOfCustomer extends Error {
  constructor() {
    super('The asset does not belong to the customer');
    this.name = 'AssetNotOfCustomer';
  }
}

/** Contracts active on `today` (in their term, not expired on read), the one ending last first. */
async function activeContracts(customerId: string, today: string): Promise<ContractItem[]> {
  const found = (await repo.activeContractsOf(customerId)).filter((c) => effectiveStatus(c, today) === 'active' && c.startDate <= today);
  return found.sort((a, b) => (a.endDate < b.endDate ? 1 : a.endDate > b.endDate ? -1 : 0));
}

/**
 * The customer's entitlement on `now` (business-time-zone date), for `assetId` when given.
 * Throws AssetNotOfCustomer for an asset that is not the customer's. No permission check: callers
 * (the tickets feature, the route below) decide who may ask.
 */
export async function entitlementFor(customerId: string, assetId?: string, now: Date = new Date()): Promise<Entitlement> {
  const today = todayOf(now);
  const contracts = await activeContracts(customerId, today);
  const covering = contracts.find((c) => !assetId || c.assetIds.length === 0 || c.assetIds.includes(assetId));
  const base = { customerId, ...(assetId ? { assetId } : {}) };
  if (assetId) {
    const asset = (await repo.getAssets([assetId])).get(assetId);
    if (!asset || asset.customerId !== customerId) throw new AssetNotOfCustomer();
    if (!covering && asset.warrantyEndsOn && asset.warrantyEndsOn >= today) {
      return { ...base, entitled: true, source: 'warranty', warranty: { assetId, endsOn: asset.warrantyEndsOn } };
    }
  }
  if (covering) return { ...base, entitled: true, source: 'contract', contract: { id: covering.id, number: covering.number, endDate: covering.endDate } };
  return { ...base, entitled: false, source: null };
}

/** GET /v1/customers/{id}/entitlements: the customer visible to the caller, then entitlementFor. */
export async function customerEntitlement(principal: Principal, customerId: string, assetId: string | undefined, now: Date): Promise<Entitlement> {
  const customer = await repo.getCustomer(customerId);
  if (!customer) throw NotFound('No such customer');
  assertAccess(principal, 'contracts:read', customer.ownerId, 'customer');
  try {
    return await entitlementFor(customerId, assetId, now);
  } catch (err) {
    if (err instanceof AssetNotOfCustomer) throw BadRequest('Some query parameters are not valid', [{ path: 'query.assetId', message: 'Not an asset of this customer' }]);
    throw err;
  }
}
