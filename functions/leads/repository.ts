/**
 * DynamoDB access for leads. Every write is one transaction with labelled conditions:
 * `lead` (version / not yet converted), `lead-unique:email|phone` (another open lead holds it),
 * `customer-unique:email|phone` (a live customer holds it — the customers feature's guards).
 */
import { queryIndexPage } from '../data/query';
import { withoutKeys } from '../data/records';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import type { IndexName } from '../data/table';
import { Transaction } from '../data/transaction';
import { guardedEmail, guardedPhone, type LeadItem } from './model';
import { addLeadCounters } from '../dashboard/counters';
import { addCustomGuards } from '../customfields/values';
import { addLeadAttribution } from '../marketing/attribution';

const table = () => config().tableName;
type Stored = Record<string, unknown>;

function strip(item: Stored | undefined): LeadItem | undefined {
  return item ? withoutKeys<LeadItem>(item) : undefined;
}

const leadStored = (l: LeadItem): Stored => ({ ...keys.lead.primary(l.id), ...keys.lead.indexes(l), kind: 'lead', ...l });

/** One strongly consistent GetItem. */
export async function getLead(id: string): Promise<LeadItem | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: table(), Key: keys.lead.primary(id), ConsistentRead: true }));
  return strip(out.Item);
}

const GUARDS = [
  ['email', guardedEmail, keys.lead.uniqueEmail, keys.unique.email],
  ['phone', guardedPhone, keys.lead.uniquePhone, keys.unique.phone],
] as const;

/**
 * Moves the lead's uniqueness guards from `before` to `after` (open leads hold them). Acquiring a
 * guard also checks that no live customer holds the same value. With `checkClosed`, a value of a
 * new lead that holds no guard (created disqualified) is still checked against both.
 */
export function addLeadGuards(tx: Transaction, before: LeadItem | undefined, after: LeadItem, checkClosed = false): void {
  for (const [field, held, leadKey, customerKey] of GUARDS) {
    const old = held(before);
    const now = held(after);
    if (old !== now && old) {
      tx.delete(`lead-unique:${field}:release`, leadKey(old), { expression: 'attribute_not_exists(pk) OR leadId = :id', values: { ':id': after.id } });
    }
    if (old !== now && now) {
      tx.put(`lead-unique:${field}`, { ...leadKey(now), kind: 'lead-unique', leadId: after.id }, { expression: 'attribute_not_exists(pk)' });
      tx.check(`customer-unique:${field}`, customerKey(now), { expression: 'attribute_not_exists(pk)' });
    }
    const raw = after[field];
    if (checkClosed && !before && !now && raw) {
      tx.check(`lead-unique:${field}`, leadKey(raw), { expression: 'attribute_not_exists(pk)' });
      tx.check(`customer-unique:${field}`, customerKey(raw), { expression: 'attribute_not_exists(pk)' });
    }
  }
}

/** The lead item itself: new (must not exist) or replacing the version read. */
export function addLeadPut(tx: Transaction, before: LeadItem | undefined, after: LeadItem, extra?: { notConverted?: boolean }): void {
  // The dashboard's lead funnel (functions/dashboard/counters.ts).
  addLeadCounters(tx, before, after);
  // The campaign's attribution counters (functions/marketing/attribution.ts).
  addLeadAttribution(tx, before, after);
  if (!before) {
    tx.put('lead', leadStored(after), { expression: 'attribute_not_exists(pk)' });
    return;
  }
  const notConverted = extra?.notConverted ?? true;
  tx.put('lead', leadStored(after), {
    expression: notConverted ? 'version = :v AND #status <> :converted' : 'version = :v',
    names: notConverted ? { '#status': 'status' } : undefined,
    values: notConverted ? { ':v': before.version, ':converted': 'converted' } : { ':v': before.version },
  });
}

export async function saveLead(before: LeadItem | undefined, after: LeadItem, audit: Stored): Promise<void> {
  const tx = new Transaction();
  addLeadPut(tx, before, after);
  addLeadGuards(tx, before, after, !before);
  addCustomGuards(tx, 'lead', after.id, before?.custom, after.custom);
  tx.put('audit', audit);
  await tx.commit();
}

/** Hard delete: the lead and its guards go; the audit entry stays in the lead's partition. */
export async function deleteLead(lead: LeadItem, customUnique: ReadonlySet<string> | undefined, audit: Stored): Promise<void> {
  const tx = new Transaction();
  addCustomGuards(tx, 'lead', lead.id, lead.custom, undefined, customUnique);
  tx.delete('lead', keys.lead.primary(lead.id), { expression: 'version = :v', values: { ':v': lead.version } });
  addLeadAttribution(tx, lead, undefined);
  addLeadGuards(tx, lead, { ...lead, status: 'disqualified' });
  tx.put('audit', audit);
  await tx.commit();
}

export interface LeadQueryPlan {
  index: IndexName;
  partition: string;
  sortPrefix?: string;
  filters: Record<string, string>;
}

/** One Query page on the planned index; filters beyond the index are a FilterExpression. */
export async function queryLeads(plan: LeadQueryPlan, limit: number, startKey: Record<string, unknown> | undefined) {
  const page = await queryIndexPage<LeadItem>({
    index: plan.index,
    partition: plan.partition,
    sort: plan.sortPrefix ? { prefix: plan.sortPrefix } : undefined,
    equals: plan.filters,
  }, limit, startKey);
  return { items: page.items, lastKey: page.lastKey };
}
