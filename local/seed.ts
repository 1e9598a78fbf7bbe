/**
 * Demo data for the local CRM, created once on first start THROUGH the API (gateway → handlers),
 * so every record is valid, audited and has its outbox event, exactly as if a person had typed it
 * in: customers and contacts (as the admin demo user), then the sales picture of
 * local/seed-sales.ts — products, deals moved through the pipeline and won or lost, quotes and
 * orders, activities, tasks, quotas and a commission plan (as the reps, the manager and the admin).
 *
 * The plan is a pure function of a fixed PRNG seed (and, for dates, of an anchor day), and every
 * POST carries a deterministic Idempotency-Key, so an interrupted seeding resumes without
 * duplicates: replays return the first response, and (after the 24 h idempotency window) a 409
 * naming the existing record is taken as "already there" (customers, products) or the record is
 * found by a look-up first (deals, quotes, tasks, activities; see local/seed-sales.ts).
 *
 * The `SYS#SEED` item: written `state: 'in_progress'` with the anchor before the first request,
 * and complete (no `state`, with `seedVersion` and counts) at the end. A complete marker of ANY
 * version means "seeded": a store seeded by seed-v1 (customers and contacts only) is left alone
 * and gets no sales data — delete the data directory (`.data/`) to start over with the full demo.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/data/keys';
import { SALES_REPS, type DemoUser } from './demo-users';
import { localIssuer } from './jwt';
import { dataDir } from './paths';
import { seedSales, type SalesSeedResult } from './seed-sales';
import { INDUSTRIES, MARKETS, SEED_USER_AGENT, SOURCE_WEIGHTS, STAGE_WEIGHTS, TAGS, TIER_WEIGHTS, prng, type Market, type SeedProgress } from './seed-data';

export { prng } from './seed-data';

/**
 * Recorded in the completion marker. seed-v1: customers and contacts; seed-v2: plus the sales
 * data. Bump when the plan changes.
 */
export const SEED_VERSION = 'seed-v2';
/**
 * Prefix of the customer and contact idempotency keys. That part of the plan is unchanged since
 * seed-v1, so its keys stay as they were; bump it (and only then) when the customer plan changes,
 * so keys of a new plan never replay an old plan's responses. The sales keys have their own
 * prefix (SALES_KEY_PREFIX in local/seed-sales.ts).
 */
export const CUSTOMER_KEY_PREFIX = 'seed-v1';
export const DEFAULT_SEED_CUSTOMERS = 300;

export interface SeedContact {
  idempotencyKey: string;
  body: { firstName?: string; lastName: string; jobTitle?: string; email?: string; phone?: string };
}

export interface SeedCustomer {
  idempotencyKey: string;
  body: {
    type: 'company' | 'person';
    name: string;
    industry?: string;
    tier: string;
    lifecycleStage: string;
    source: string;
    tags: string[];
    ownerId: string;
    phone?: string;
    email?: string;
    address: { line1: string; city: string; postalCode: string; country: string };
    website?: string;
    taxId?: string;
  };
  contacts: SeedContact[];
}

/** The deterministic list of customers and contacts to create. */
export function seedPlan(count: number = DEFAULT_SEED_CUSTOMERS): SeedCustomer[] {
  const random = prng(20_240_917);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const weighted = (entries: [string, number][]): string => {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let r = random() * total;
    for (const [value, w] of entries) if ((r -= w) < 0) return value;
    return entries[entries.length - 1]![0];
  };
  const marketWeights = MARKETS.map((m, i) => [String(i), m.weight] as [string, number]);
  const customers: SeedCustomer[] = [];
  let contactNumber = 0;

  for (let i = 0; i < count; i++) {
    const market = MARKETS[Number(weighted(marketWeights))]!;
    const isCompany = random() < 0.62;
    const [last, lastSlug] = pick(market.lastNames);
    const first = pick(market.firstNames);
    const n = String(i + 1).padStart(4, '0');
    let name: string;
    let slug: string;
    if (isCompany) {
      if (market.companyNames && (market.companyPatterns.length === 0 || random() < 0.5)) [name, slug] = pick(market.companyNames);
      else { const pattern = pick(market.companyPatterns); name = pattern.replace('{name}', last); slug = `${lastSlug}-${slugify(pattern.replace('{name}', ''))}`; }
    } else {
      name = personName(market, first, last);
      slug = `${firstSlug(market, first)}.${lastSlug}`;
    }
    const city = pick(market.cities);
    const tags = [...new Set(Array.from({ length: Math.floor(random() * 4) }, () => pick(TAGS)))];
    const body: SeedCustomer['body'] = {
      type: isCompany ? 'company' : 'person',
      name,
      tier: weighted(TIER_WEIGHTS),
      lifecycleStage: weighted(STAGE_WEIGHTS),
      source: weighted(SOURCE_WEIGHTS),
      tags,
      ownerId: SALES_REPS[Math.floor(random() * SALES_REPS.length)]!.id,
      address: { line1: street(market, pick(market.streets), 1 + Math.floor(random() * 180)), city: city.city, postalCode: city.postalCode, country: market.country },
    };
    if (isCompany || random() < 0.3) body.industry = pick(INDUSTRIES);
    // Unique by construction: the running number is part of every address and number.
    if (random() < 0.88) body.email = `${isCompany ? 'info' : slug}.${n}@example.${isCompany ? 'com' : 'org'}`;
    if (random() < 0.82) body.phone = `${market.phonePrefix} 7${n}${Math.floor(random() * 10)}`;
    if (isCompany) {
      body.website = `https://www.${slug}-${n}.example`;
      if (random() < 0.8) body.taxId = market.taxId(i + 1);
    }

    const contacts: SeedContact[] = [];
    const contactCount = 1 + Math.floor(random() * 3);
    for (let j = 0; j < contactCount; j++) {
      contactNumber += 1;
      const c = String(contactNumber).padStart(5, '0');
      const [cLast, cLastSlug] = pick(market.lastNames);
      const cFirst = pick(market.firstNames);
      const contact: SeedContact['body'] = { lastName: cLast, firstName: cFirst };
      if (random() < 0.8) contact.jobTitle = pick(market.jobTitles);
      if (random() < 0.9) contact.email = `${firstSlug(market, cFirst)}.${cLastSlug}.${c}@example.net`;
      if (random() < 0.75) contact.phone = `${market.phonePrefix} 8${c}`;
      contacts.push({ idempotencyKey: `${CUSTOMER_KEY_PREFIX}-contact-${i + 1}-${j + 1}`, body: contact });
    }
    customers.push({ idempotencyKey: `${CUSTOMER_KEY_PREFIX}-customer-${i + 1}`, body, contacts });
  }
  return customers;
}

function personName(market: Market, first: string, last: string): string {
  return market.familyNameFirst ? `${last}${first}` : `${first} ${last}`;
}

function firstSlug(market: Market, first: string): string {
  return market.firstNameSlugs?.[first] ?? slugify(first);
}

function street(market: Market, streetName: string, number: number): string {
  if (market.country === 'CN') return `${streetName}${number}号`;
  return market.streetNumberFirst ? `${number} ${streetName}` : `${streetName} ${number}`;
}

/** ASCII slug for email addresses and domains: "Müller & Söhne" → "muller-sohne". */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss').replace(/[łŁ]/g, 'l').replace(/[øØ]/g, 'o')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'x';
}

export interface SeedOptions {
  /** The gateway, e.g. http://127.0.0.1:3000. */
  baseUrl: string;
  /** A bearer token for the admin demo user. */
  adminToken: string;
  /**
   * Signs a token for any demo user (the reps create their deals, activities and tasks, the
   * manager assigns tasks and sets quotas). Default: the local issuer's key in the data directory
   * (`DATA_DIR` or `.data/`), which is the key the `npm start` gateway trusts.
   */
  tokenFor?: (user: DemoUser) => Promise<string>;
  ddb: DynamoDBDocumentClient;
  tableName: string;
  count?: number;
  concurrency?: number;
  /** "Today" of the plan's dates (default: now). seedIfNeeded keeps it in the marker, so a resumed run sends identical bodies. */
  anchor?: Date;
  /** false: customers and contacts only. */
  sales?: boolean;
  log?: (entry: Record<string, unknown>) => void;
  /** Called as items are created (customers, then the sales phases); `npm start` draws it. */
  progress?: SeedProgress;
}

export interface SeedResult {
  skipped: boolean;
  customers: number;
  contacts: number;
  sales?: SalesSeedResult;
}

/** Seeds unless the SYS#SEED marker says it was done (by any seed version; see the module comment). */
export async function seedIfNeeded(options: SeedOptions): Promise<SeedResult> {
  const log = options.log ?? (() => {});
  const marker = await options.ddb.send(new GetCommand({ TableName: options.tableName, Key: keys.system.seed(), ConsistentRead: true }));
  const previous = marker.Item as { state?: string; anchor?: string; seedVersion?: string } | undefined;
  if (previous && previous.state !== 'in_progress') {
    if (previous.seedVersion !== SEED_VERSION) log({ msg: 'demo data of an older seed version present; left as it is (remove the data directory for the current demo data)', seedVersion: previous.seedVersion ?? 'unknown' });
    return { skipped: true, customers: 0, contacts: 0 };
  }
  // Resuming an interrupted first start keeps its anchor, so every request body is the same again.
  const anchor = previous?.anchor ? new Date(previous.anchor) : (options.anchor ?? new Date());
  if (!previous) {
    await options.ddb.send(new PutCommand({
      TableName: options.tableName,
      Item: { ...keys.system.seed(), kind: 'system', state: 'in_progress', seedVersion: SEED_VERSION, anchor: anchor.toISOString() },
    }));
  }
  log({ msg: previous ? 'resuming the demo data (first start was interrupted)' : 'creating demo data through the API (first start only)', customers: options.count ?? DEFAULT_SEED_CUSTOMERS });
  const result = await seed({ ...options, anchor });
  await options.ddb.send(new PutCommand({
    TableName: options.tableName,
    Item: {
      ...keys.system.seed(), kind: 'system', seedVersion: SEED_VERSION, anchor: anchor.toISOString(), customers: result.customers, contacts: result.contacts,
      ...(result.sales ? { deals: result.sales.deals, orders: result.sales.orders } : {}), seededAt: new Date().toISOString(),
    },
  }));
  return result;
}

/** Default token source: the local issuer's persistent key, as `npm run token` uses it. */
async function defaultTokenFor(): Promise<(user: DemoUser) => Promise<string>> {
  const issuer = await localIssuer({ dataDir: dataDir() });
  return (user) => issuer.signToken({ sub: user.id, email: user.email, groups: [user.role], username: user.username });
}

/** Creates the plan through the API; safe to re-run (see the module comment). */
export async function seed(options: SeedOptions): Promise<SeedResult> {
  const plan = seedPlan(options.count ?? DEFAULT_SEED_CUSTOMERS);
  const log = options.log ?? (() => {});
  let customers = 0;
  let contacts = 0;
  let next = 0;
  const started = Date.now();
  const created: { id: string; ownerId: string; contactIds: string[] }[] = [];

  const post = async (path: string, idempotencyKey: string, body: unknown): Promise<{ id: string }> => {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${options.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey, 'user-agent': SEED_USER_AGENT },
        body: JSON.stringify(body),
      });
      const payload = (await response.json().catch(() => ({}))) as { id?: string; existingId?: string; title?: string };
      if (response.ok && payload.id) return { id: payload.id };
      if (response.status === 409 && payload.existingId) return { id: payload.existingId };
      if ((response.status === 429 || response.status === 503) && attempt < 5) {
        await new Promise((done) => setTimeout(done, 200 * attempt));
        continue;
      }
      // Ids and status only: the bodies hold (fictitious) personal data.
      throw new Error(`Seeding failed: POST ${path} (${idempotencyKey}) answered ${response.status} ${payload.title ?? ''}`.trim());
    }
  };

  const worker = async () => {
    while (next < plan.length) {
      const index = next++;
      const item = plan[index]!;
      const customer = await post('/v1/customers', item.idempotencyKey, item.body);
      const entry = { id: customer.id, ownerId: item.body.ownerId, contactIds: [] as string[] };
      created[index] = entry;
      customers += 1;
      if (options.progress) options.progress('customers', customers, plan.length);
      else if (customers % 50 === 0) log({ msg: 'seeding', customers, of: plan.length });
      for (const contact of item.contacts) {
        entry.contactIds.push((await post(`/v1/customers/${customer.id}/contacts`, contact.idempotencyKey, contact.body)).id);
        contacts += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  log({ msg: 'seeded', customers, contacts, ms: Date.now() - started });
  if (options.sales === false) return { skipped: false, customers, contacts };

  const sales = await seedSales({
    baseUrl: options.baseUrl,
    tokenFor: options.tokenFor ?? (await defaultTokenFor()),
    customers: created,
    anchor: options.anchor ?? new Date(),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
    log,
  });
  return { skipped: false, customers, contacts, sales };
}
