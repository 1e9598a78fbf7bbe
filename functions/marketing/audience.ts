/**
 * Who a segment or a static list reaches, read one page at a time so that a preview and the send
 * job can stop anywhere and resume from a small state ({ source, lastKey }).
 *
 * A segment's rules pick an index when they allow it (planOf): a tier, lifecycle stage or owner
 * rule reads only those index partitions (gsi3, gsi4, gsi2 — disjoint, so no customer is read
 * twice), a single tag reads its tag partition (gsi1); anything else reads every live customer on
 * gsi1 `CUSTOMERS` — a Query per 100 customers, never a Scan, and the cost grows with the number
 * of live customers (docs/marketing.md, "What a segment costs"). The other rules filter what the
 * index returns. Then, for the customers that match: their activity and purchase summaries
 * (BatchGet, only when a rule needs them), their contacts (one Query each on gsi1
 * `CUS#<id>#CONTACTS`) and, with an `emailConsent` rule, the contacts' email consent (BatchGet).
 * A segment reaches the contacts of its customers that have an email address.
 */
import { keys } from '../data/keys';
import { withoutKeys } from '../data/records';
import { batchGetItems } from '../jobs/batch-get';
import { mapLimit } from '../jobs/concurrency';
import { consentOf } from './consent';
import { getContacts, queryPage, type ContactRecord, type CustomerRecord, type Stored } from './store';

export interface SegmentRules {
  tiers?: string[];
  lifecycleStages?: string[];
  tagsAny?: string[];
  industries?: string[];
  countries?: string[];
  ownerIds?: string[];
  sources?: string[];
  lastActivityBefore?: string;
  lastActivityAfter?: string;
  lastPurchaseBefore?: string;
  lastPurchaseAfter?: string;
  lifetimeValue?: { currency: string; min?: number; max?: number };
  emailConsent?: string[];
  /** Only contacts whose SMS consent is one of these (for SMS campaigns). */
  smsConsent?: string[];
  /** Customers with (has: true) or without (has: false) an open deal, optionally in some pipelines or of at least an amount. */
  openDeals?: OpenDealsRule;
}

export interface OpenDealsRule {
  has: boolean;
  pipelineIds?: string[];
  minAmount?: { currency: string; amount: number };
}

export interface Source {
  index: 'gsi1' | 'gsi2' | 'gsi3' | 'gsi4';
  partition: string;
  /** The index holds only keys (tag items): read the customers by id. */
  keysOnly?: boolean;
  /** The customers holding a qualifying open deal (openDealCustomers), paged by customer id: read by id. */
  openDeals?: true;
}

/** Where to read a segment's customers, and how that reads to a person. */
export function planOf(rules: SegmentRules): { sources: Source[]; description: string } {
  // The open-deal customers are read whole from the sparse open-deals index anyway (the filter
  // needs them): when the rule asks for them, they are the smallest place to start.
  if (rules.openDeals?.has) return { sources: [{ index: 'gsi2', partition: 'open-deals', openDeals: true }], description: `index: customers with an open deal${rules.openDeals.pipelineIds ? ` in ${rules.openDeals.pipelineIds.length} pipeline(s)` : ''} (gsi2 DEALS#BOARD#<pipeline>, every open deal read per call)` };
  if (rules.tiers) return { sources: rules.tiers.map((t) => ({ index: 'gsi3', partition: keys.customer.tierPartition(t) })), description: `index: customers of tier ${rules.tiers.join(', ')} (gsi3)` };
  if (rules.lifecycleStages) return { sources: rules.lifecycleStages.map((s) => ({ index: 'gsi4', partition: keys.customer.stagePartition(s) })), description: `index: customers in stage ${rules.lifecycleStages.join(', ')} (gsi4)` };
  if (rules.ownerIds) return { sources: rules.ownerIds.map((o) => ({ index: 'gsi2', partition: keys.customer.ownerPartition(o) })), description: `index: customers of ${rules.ownerIds.length} owner(s) (gsi2)` };
  if (rules.tagsAny?.length === 1) return { sources: [{ index: 'gsi1', partition: keys.customer.tagPartition(rules.tagsAny[0]!), keysOnly: true }], description: `index: customers tagged "${rules.tagsAny[0]}" (gsi1)` };
  const deals = rules.openDeals ? '; plus every open deal (gsi2 DEALS#BOARD#<pipeline>) for the openDeals rule' : '';
  return { sources: [{ index: 'gsi1', partition: keys.customer.allPartition(false) }], description: `every live customer (gsi1 CUSTOMERS, one Query per 100 customers): no rule narrows the index${deals}` };
}

/** Open deals read per Query page (the board index holds open deals only). */
const DEAL_PAGE = 500;
/** How long one container reuses the open-deal customers of a rule (a preview's pages, a send run's pages). */
const OPEN_DEALS_TTL_MS = 60_000;
const openDealsCache = new Map<string, { at: number; ids: Promise<string[]> }>();

/**
 * The ids (sorted) of the customers holding at least one open deal that meets the rule (pipelines,
 * minimum amount). Reads the sparse board index gsi2 `DEALS#BOARD#<pipeline>` — open deals only —
 * of the named pipelines, or of every pipeline (gsi1 `PIPELINES`); never a Scan. Reused for a
 * minute within a container, so a preview or a send run reads the open deals once, not per page.
 */
export function openDealCustomers(rule: OpenDealsRule, now = Date.now()): Promise<string[]> {
  const key = JSON.stringify([rule.pipelineIds ?? null, rule.minAmount ?? null]);
  const cached = openDealsCache.get(key);
  if (cached && now - cached.at < OPEN_DEALS_TTL_MS) return cached.ids;
  const ids = readOpenDealCustomers(rule);
  openDealsCache.set(key, { at: now, ids });
  ids.catch(() => openDealsCache.delete(key));
  return ids;
}

async function readAll(index: 'gsi1' | 'gsi2', partition: string): Promise<Stored[]> {
  const items: Stored[] = [];
  let startKey: Stored | undefined;
  do {
    const page = await queryPage({ index, partition, limit: DEAL_PAGE, startKey });
    items.push(...page.items);
    startKey = page.lastKey;
  } while (startKey);
  return items;
}

/** Whether a stored deal amount is in `min`'s currency and at least its amount. */
function atLeast(amount: unknown, min: { currency: string; amount: number }): boolean {
  return typeof amount === 'object' && amount !== null && 'currency' in amount && 'amount' in amount
    && amount.currency === min.currency && typeof amount.amount === 'number' && amount.amount >= min.amount;
}

async function readOpenDealCustomers(rule: OpenDealsRule): Promise<string[]> {
  const pipelineIds = rule.pipelineIds ?? (await readAll('gsi1', keys.pipeline.listPartition)).map((p) => String(p.id));
  const boards = await mapLimit(pipelineIds, CONTACT_QUERIES_IN_FLIGHT, (id) => readAll('gsi2', keys.deal.boardPartition(id)));
  const min = rule.minAmount;
  const customers = new Set<string>();
  for (const deal of boards.flat()) {
    if (deal.status !== 'open' || typeof deal.customerId !== 'string') continue;
    if (min && !atLeast(deal.amount, min)) continue;
    customers.add(deal.customerId);
  }
  return [...customers].sort();
}

/** One page of the open-deal customers after `lastKey` (a customer id), read by id. */
async function openDealCustomerPage(rule: OpenDealsRule, lastKey: Stored | undefined, limit: number): Promise<{ customers: CustomerRecord[]; lastKey?: Stored }> {
  const ids = await openDealCustomers(rule);
  const after = typeof lastKey?.customerId === 'string' ? lastKey.customerId : undefined;
  const start = after === undefined ? 0 : ids.findIndex((id) => id > after);
  const slice = start < 0 ? [] : ids.slice(start, start + limit);
  const found = await batchGetItems(slice.map((id) => keys.customer.primary(id)));
  const byId = new Map(found.map((i) => [String(i.id), withoutKeys<CustomerRecord>(i)]));
  const customers = slice.flatMap((id) => byId.get(id) ?? []);
  const more = start >= 0 && start + limit < ids.length;
  return { customers, ...(more ? { lastKey: { customerId: slice[slice.length - 1]! } } : {}) };
}

interface Summary {
  lastActivityAt?: string;
  lastPurchaseAt?: string;
  lifetimeValue?: Record<string, number>;
}

const needsSummary = (r: SegmentRules) => Boolean(r.lastActivityBefore || r.lastActivityAfter || r.lastPurchaseBefore || r.lastPurchaseAfter || r.lifetimeValue);

/** Whether a customer meets every attribute rule. Customers without a date count as "before" any date. */
export function customerMatches(rules: SegmentRules, c: CustomerRecord, summary: Summary = {}): boolean {
  const inList = (list: string[] | undefined, value: string | undefined) => !list || (value !== undefined && list.includes(value));
  if (c.archivedAt) return false;
  if (!inList(rules.tiers, c.tier) || !inList(rules.lifecycleStages, c.lifecycleStage) || !inList(rules.ownerIds, c.ownerId) || !inList(rules.sources, c.source)) return false;
  if (rules.industries && !rules.industries.some((i) => i.toLowerCase() === c.industry?.toLowerCase())) return false;
  if (!inList(rules.countries, c.address?.country)) return false;
  if (rules.tagsAny && !rules.tagsAny.some((t) => c.tags?.includes(t))) return false;
  const before = (at: string | undefined, date: string | undefined) => !date || at === undefined || at < date;
  const after = (at: string | undefined, date: string | undefined) => !date || (at !== undefined && at >= date);
  if (!before(summary.lastActivityAt, rules.lastActivityBefore) || !after(summary.lastActivityAt, rules.lastActivityAfter)) return false;
  if (!before(summary.lastPurchaseAt, rules.lastPurchaseBefore) || !after(summary.lastPurchaseAt, rules.lastPurchaseAfter)) return false;
  if (rules.lifetimeValue) {
    const value = summary.lifetimeValue?.[rules.lifetimeValue.currency] ?? 0;
    if (rules.lifetimeValue.min !== undefined && value < rules.lifetimeValue.min) return false;
    if (rules.lifetimeValue.max !== undefined && value > rules.lifetimeValue.max) return false;
  }
  return true;
}

/** One reachable contact. */
export interface Member {
  contactId: string;
  customerId: string;
  ownerId: string;
  firstName?: string;
  lastName: string;
  /** The address (email channel); empty for an SMS member without one. */
  email: string;
  /** The phone number (the SMS channel's address). */
  phone?: string;
}

/** Where a paged read stands: which source, and the Query's LastEvaluatedKey within it. */
export interface AudienceState {
  source: number;
  lastKey?: Stored;
}

export interface AudiencePage {
  members: Member[];
  customersRead: number;
  /** Where the next page starts; undefined when everything was read. */
  next?: AudienceState;
}

const CONTACT_QUERIES_IN_FLIGHT = 10;

const toMember = (c: ContactRecord): Member => ({ contactId: c.id, customerId: c.customerId, ownerId: c.ownerId, firstName: c.firstName, lastName: c.lastName, email: c.email ?? '', ...(c.phone ? { phone: c.phone } : {}) });

/** Which channel's address a member must have: an email address, or a phone number for SMS. */
export type AudienceChannel = 'email' | 'sms';
const reachable = (c: ContactRecord, channel: AudienceChannel) => Boolean(channel === 'sms' ? c.phone : c.email);

/** One page (at most `limit` customers) of a segment's audience. */
export async function readSegmentPage(rules: SegmentRules, state: AudienceState, limit: number, channel: AudienceChannel = 'email'): Promise<AudiencePage> {
  const { sources } = planOf(rules);
  const source = sources[state.source];
  if (!source) return { members: [], customersRead: 0 };
  let customers: CustomerRecord[];
  let page: { lastKey?: Stored };
  if (source.openDeals && rules.openDeals) {
    const read = await openDealCustomerPage(rules.openDeals, state.lastKey, limit);
    customers = read.customers;
    page = read;
  } else {
    const read = await queryPage({ index: source.index, partition: source.partition, limit, startKey: state.lastKey });
    page = read;
    customers = source.keysOnly
      ? (await batchGetItems(read.items.map((i) => keys.customer.primary(String(i.pk).slice('CUS#'.length))))).map((i) => withoutKeys<CustomerRecord>(i))
      : read.items.map((i) => withoutKeys<CustomerRecord>(i));
  }
  let matching = customers.filter((c) => customerMatches(rules, c));
  // Read from another source (or asking for customers without one): the open-deal customers filter.
  if (rules.openDeals && !source.openDeals && matching.length > 0) {
    const withDeal = new Set(await openDealCustomers(rules.openDeals));
    matching = matching.filter((c) => withDeal.has(c.id) === rules.openDeals!.has);
  }
  if (needsSummary(rules) && matching.length > 0) {
    const summaries = new Map<string, Summary>();
    const summaryKeys = matching.flatMap((c) => [keys.customerActivity.primary(c.id), keys.customer.purchases(c.id)]);
    for (const item of await batchGetItems(summaryKeys)) {
      const id = String(item.pk).slice('CUS#'.length);
      summaries.set(id, { ...summaries.get(id), ...withoutKeys<Summary>(item) });
    }
    matching = matching.filter((c) => customerMatches(rules, c, summaries.get(c.id)));
  }
  const contactLists = await mapLimit(matching, CONTACT_QUERIES_IN_FLIGHT, async (c) => {
    const contacts = await queryPage({ index: 'gsi1', partition: keys.contact.byCustomerPartition(c.id), limit: 100 });
    return contacts.items.map((i) => withoutKeys<ContactRecord>(i)).filter((contact) => reachable(contact, channel));
  });
  let members = contactLists.flat().map(toMember);
  if (rules.emailConsent && members.length > 0) {
    const consent = await consentOf(members.map((m) => m.contactId), 'email');
    members = members.filter((m) => rules.emailConsent!.includes(consent.get(m.contactId) ?? 'unknown'));
  }
  if (rules.smsConsent && members.length > 0) {
    const consent = await consentOf(members.map((m) => m.contactId), 'sms');
    members = members.filter((m) => rules.smsConsent!.includes(consent.get(m.contactId) ?? 'unknown'));
  }
  const next: AudienceState | undefined = page.lastKey
    ? { source: state.source, lastKey: page.lastKey }
    : state.source + 1 < sources.length ? { source: state.source + 1 } : undefined;
  return { members, customersRead: customers.length, next };
}

/** One page of a static list's members (contacts with an email address). */
export async function readListPage(listId: string, state: AudienceState, limit: number, channel: AudienceChannel = 'email'): Promise<AudiencePage> {
  const page = await queryPage({ partition: keys.mailingList.partition(listId), prefix: keys.mailingList.memberPrefix, limit, startKey: state.lastKey });
  const contacts = await getContacts(page.items.map((i) => String(i.contactId)));
  const members = [...contacts.values()].filter((c) => reachable(c, channel)).map(toMember);
  return { members, customersRead: 0, next: page.lastKey ? { source: 0, lastKey: page.lastKey } : undefined };
}
