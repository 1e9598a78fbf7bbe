/**
 * Demo data for the local CRM, created once on first start THROUGH the API (gateway → customers
 * handler, as the admin demo user), so every record is valid, audited and has its outbox event,
 * exactly as if a person had typed it in.
 *
 * The plan is a pure function of a fixed PRNG seed, and every POST carries a deterministic
 * Idempotency-Key, so an interrupted seeding resumes without duplicates: replays return the
 * first response, and (after the 24 h idempotency window) a 409 naming the existing record is
 * taken as "already there". Completion is marked by the `SYS#SEED` item; with it present,
 * seeding is skipped altogether.
 */
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/data/keys';
import { SALES_REPS } from './demo-users';
import { INDUSTRIES, MARKETS, SOURCE_WEIGHTS, STAGE_WEIGHTS, TAGS, TIER_WEIGHTS, type Market } from './seed-data';

/** Bump when the plan changes, so keys of a new plan never replay an old plan's responses. */
export const SEED_VERSION = 'seed-v1';
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

/** mulberry32: tiny, fast, good enough for demo data, identical on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
      contacts.push({ idempotencyKey: `${SEED_VERSION}-contact-${i + 1}-${j + 1}`, body: contact });
    }
    customers.push({ idempotencyKey: `${SEED_VERSION}-customer-${i + 1}`, body, contacts });
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
  ddb: DynamoDBDocumentClient;
  tableName: string;
  count?: number;
  concurrency?: number;
  log?: (entry: Record<string, unknown>) => void;
}

export interface SeedResult {
  skipped: boolean;
  customers: number;
  contacts: number;
}

/** Seeds unless the SYS#SEED marker says it was done. */
export async function seedIfNeeded(options: SeedOptions): Promise<SeedResult> {
  const marker = await options.ddb.send(new GetCommand({ TableName: options.tableName, Key: keys.system.seed(), ConsistentRead: true }));
  if (marker.Item) return { skipped: true, customers: 0, contacts: 0 };
  (options.log ?? (() => {}))({ msg: 'creating demo data through the API (first start only)', customers: options.count ?? DEFAULT_SEED_CUSTOMERS });
  const result = await seed(options);
  await options.ddb.send(new PutCommand({
    TableName: options.tableName,
    Item: { ...keys.system.seed(), kind: 'system', seedVersion: SEED_VERSION, customers: result.customers, contacts: result.contacts, seededAt: new Date().toISOString() },
  }));
  return result;
}

/** Creates the plan through the API; safe to re-run (see the module comment). */
export async function seed(options: SeedOptions): Promise<SeedResult> {
  const plan = seedPlan(options.count ?? DEFAULT_SEED_CUSTOMERS);
  const log = options.log ?? (() => {});
  let customers = 0;
  let contacts = 0;
  let next = 0;
  const started = Date.now();

  const post = async (path: string, idempotencyKey: string, body: unknown): Promise<{ id: string }> => {
    for (let attempt = 1; ; attempt++) {
      const response = await fetch(`${options.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
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
      const item = plan[next++]!;
      const customer = await post('/v1/customers', item.idempotencyKey, item.body);
      customers += 1;
      if (customers % 50 === 0) log({ msg: 'seeding', customers, of: plan.length });
      for (const contact of item.contacts) {
        await post(`/v1/customers/${customer.id}/contacts`, contact.idempotencyKey, contact.body);
        contacts += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  log({ msg: 'seeded', customers, contacts, ms: Date.now() - started });
  return { skipped: false, customers, contacts };
}
