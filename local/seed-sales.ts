/**
 * The sales and service half of the demo data (local/seed.ts runs it after the customers): a
 * price list, deals on about a third of the customers (owned by the customer's owner, created by
 * that rep) moved through the default pipeline's stages, some won — a few with an accepted quote,
 * so those customers have an order and a lifetime value — and some lost; back-dated calls,
 * meetings and notes; open tasks for the sales reps (their own and assigned by the manager);
 * quarterly quotas and one commission plan. All of it through the API, as the people who would
 * do it.
 *
 * Re-runs create nothing new: every POST has a deterministic Idempotency-Key (replayed within
 * 24 h) and, because replays expire and dates move, the runner also looks first: deals are
 * matched by customer and name, quotes by deal, tasks by assignee, title and customer, and (on a
 * resumed run) activities by customer, deal and subject. Stage moves only go forward from the
 * deal's current stage, a closed deal is never moved or closed again, and PUTs are idempotent.
 *
 * Dates are relative to an `anchor` (the first attempt's start, kept in the in-progress seed
 * marker), so a resumed run sends the very same bodies.
 */
import { DEMO_USERS, SALES_REPS, demoUsersOf, type DemoUser } from './demo-users';
import { ACTIVITY_TEMPLATES, DEAL_THEMES, LOST_REASONS, PRODUCTS, SEED_USER_AGENT, TASK_TITLES, WON_REASONS, prng, type SeedPhase, type SeedProgress } from './seed-data';

/** Prefix of every idempotency key of this plan; bump when the sales plan changes. */
export const SALES_KEY_PREFIX = 'seed-v2-sales';
export const COMMISSION_PLAN_ID = 'demo-sales';

type Outcome = 'open' | 'won' | 'lost';

export interface PlannedProduct {
  idempotencyKey: string;
  body: { sku: string; name: string; description: string; prices: { amount: number; currency: 'EUR' }[]; taxRateBp: number };
}

export interface PlannedDeal {
  idempotencyKey: string;
  /** Index into the customer plan. */
  customerIndex: number;
  ownerId: string;
  name: string;
  amount: number;
  expectedCloseDate: string;
  lines: { sku: string; quantity: number }[];
  outcome: Outcome;
  /** Where the deal ends up (open) or is closed from, as a share of the active stages: 0 = first. */
  stageShare: number;
  reason?: string;
  /** Won deals only: a quote with the deal's lines, sent and accepted (creates the order). */
  quote?: { validUntil: string };
}

export interface PlannedActivity {
  idempotencyKey: string;
  dealIndex: number;
  body: {
    type: 'call' | 'meeting' | 'note';
    direction?: 'inbound' | 'outbound';
    channel?: string;
    subject: string;
    content: string;
    outcome?: string;
    occurredAt: string;
    durationSeconds?: number;
  };
}

export interface PlannedTask {
  idempotencyKey: string;
  /** Who creates it: the rep (own task) or the manager (assigned to the rep). */
  creatorId: string;
  assigneeId: string;
  /** The rep's deal it is about, if the rep has one. */
  dealIndex?: number;
  body: { title: string; priority: 'low' | 'normal' | 'high' | 'urgent'; dueAt: string; notes: string };
}

export interface SalesPlan {
  period: string;
  nextPeriod: string;
  products: PlannedProduct[];
  deals: PlannedDeal[];
  activities: PlannedActivity[];
  tasks: PlannedTask[];
  quotas: { userId: string; period: string; amount: { amount: number; currency: 'EUR' } }[];
  commissionPlan: { planId: string; body: { name: string; currency: 'EUR'; rateBp: number; acceleratorRateBp: number; userIds: string[] } };
}

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** `2026-Q3` of a date (UTC) and the first day of that quarter and of the one after the next. */
export function quarterOf(date: Date): { period: string; next: string; start: number; endOfNext: number } {
  const y = date.getUTCFullYear();
  const q = Math.floor(date.getUTCMonth() / 3);
  const nextQ = (q + 1) % 4;
  const nextY = q === 3 ? y + 1 : y;
  return {
    period: `${y}-Q${q + 1}`,
    next: `${nextY}-Q${nextQ + 1}`,
    start: Date.UTC(y, q * 3, 1),
    endOfNext: Date.UTC(y, q * 3 + 6, 1) - DAY,
  };
}

/**
 * The deterministic sales plan for `customerOwners` (the customer plan's ownerIds, in order):
 * a pure function of the customer count and the anchor date.
 */
export function salesPlan(customerOwners: readonly string[], anchor: Date): SalesPlan {
  const random = prng(20_250_301);
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const today = Date.UTC(anchor.getUTCFullYear(), anchor.getUTCMonth(), anchor.getUTCDate());
  const quarter = quarterOf(anchor);
  const price = new Map(PRODUCTS.map((p) => [p.sku, p.price]));

  const products: PlannedProduct[] = PRODUCTS.map((p) => ({
    idempotencyKey: `${SALES_KEY_PREFIX}-product-${p.sku.toLowerCase()}`,
    body: { sku: p.sku, name: p.name, description: p.description, prices: [{ amount: p.price, currency: 'EUR' }], taxRateBp: p.taxRateBp },
  }));

  // Every third customer gets a deal; outcomes follow a fixed cycle so even a tiny plan has a won
  // (with a quote) and a lost deal: 2 of 8 won, 1 of 8 lost, the rest open.
  const CYCLE: Outcome[] = ['won', 'open', 'open', 'lost', 'open', 'won', 'open', 'open'];
  const deals: PlannedDeal[] = [];
  let won = 0;
  for (let i = 0; i < customerOwners.length; i += 3) {
    const k = deals.length;
    const outcome = CYCLE[k % CYCLE.length]!;
    const theme = pick(DEAL_THEMES);
    const lines = theme.lines.map(([sku, min, max]) => ({ sku, quantity: between(min, max) }));
    const amount = lines.reduce((sum, l) => sum + price.get(l.sku)! * l.quantity, 0);
    // Open deals close between three days from now and the end of next quarter; closed ones were
    // expected in the current quarter up to today.
    const expected = outcome === 'open'
      ? today + 3 * DAY + Math.floor(random() * Math.max(1, (quarter.endOfNext - today - 3 * DAY) / DAY)) * DAY
      : quarter.start + Math.floor(random() * Math.max(1, (today - quarter.start) / DAY + 1)) * DAY;
    const deal: PlannedDeal = {
      idempotencyKey: `${SALES_KEY_PREFIX}-deal-${k + 1}`,
      customerIndex: i,
      ownerId: customerOwners[i]!,
      name: theme.name,
      amount,
      expectedCloseDate: isoDate(expected),
      lines,
      outcome,
      stageShare: outcome === 'won' ? 1 : outcome === 'lost' ? random() * 0.6 : random(),
    };
    if (outcome === 'won') {
      deal.reason = pick(WON_REASONS);
      if (won++ % 3 === 0) deal.quote = { validUntil: isoDate(today + 30 * DAY) };
    }
    if (outcome === 'lost') deal.reason = pick(LOST_REASONS);
    deals.push(deal);
  }

  // One or two back-dated activities on every other deal's customer, by the rep.
  const activities: PlannedActivity[] = [];
  for (let k = 0; k < deals.length; k += 2) {
    const n = between(1, 2);
    for (let j = 0; j < n; j++) {
      const t = pick(ACTIVITY_TEMPLATES);
      const daysAgo = between(2, 100);
      const occurredAt = new Date(today - daysAgo * DAY + between(8, 16) * 3_600_000 + between(0, 3) * 15 * 60_000).toISOString();
      const body: PlannedActivity['body'] = { type: t.type, subject: t.subject, content: t.content, occurredAt };
      if (t.direction) body.direction = t.direction;
      if (t.channel) body.channel = t.channel;
      if (t.outcome) body.outcome = t.outcome;
      if (t.minutes) body.durationSeconds = between(t.minutes[0], t.minutes[1]) * 60;
      activities.push({ idempotencyKey: `${SALES_KEY_PREFIX}-activity-${k + 1}-${j + 1}`, dealIndex: k, body });
    }
  }

  // Four open tasks per rep: two of their own, two assigned by the manager; due from two days
  // ago (overdue) to three weeks ahead, about the rep's open deals where there are any.
  const manager = demoUsersOf('manager')[0]!;
  const tasks: PlannedTask[] = [];
  const DUE_IN_DAYS = [-2, 1, 4, 9, 16, 21];
  for (const [r, rep] of SALES_REPS.entries()) {
    const repDeals = deals.flatMap((d, k) => (d.ownerId === rep.id && d.outcome === 'open' ? [k] : []));
    for (let j = 0; j < 4; j++) {
      const t = TASK_TITLES[(r * 4 + j) % TASK_TITLES.length]!;
      const creator = j < 2 ? rep : manager;
      const dealIndex = repDeals.length ? repDeals[j % repDeals.length] : undefined;
      const due = today + DUE_IN_DAYS[(r + j * 2) % DUE_IN_DAYS.length]! * DAY + 9 * 3_600_000;
      tasks.push({
        idempotencyKey: `${SALES_KEY_PREFIX}-task-${r + 1}-${j + 1}`,
        creatorId: creator.id,
        assigneeId: rep.id,
        ...(dealIndex !== undefined ? { dealIndex } : {}),
        body: { title: t.title, priority: t.priority, dueAt: new Date(due).toISOString(), notes: creator === manager ? 'Assigned in the weekly pipeline review.' : 'Next step from the last conversation.' },
      });
    }
  }

  // Quotas: the current quarter, set so the reps are part-way there (about 60 % once the plan's
  // wins are in), at least 60 000 EUR, in whole 10 000 EUR.
  const quotas = SALES_REPS.map((rep) => {
    const wonAmount = deals.filter((d) => d.ownerId === rep.id && d.outcome === 'won').reduce((s, d) => s + d.amount, 0);
    const step = 1_000_000;
    const amount = Math.max(6_000_000, Math.ceil((wonAmount * 1.6) / step) * step);
    return { userId: rep.id, period: quarter.period, amount: { amount, currency: 'EUR' as const } };
  });

  return {
    period: quarter.period,
    nextPeriod: quarter.next,
    products,
    deals,
    activities,
    tasks,
    quotas,
    commissionPlan: {
      planId: COMMISSION_PLAN_ID,
      body: { name: 'Sales commission (demo)', currency: 'EUR', rateBp: 500, acceleratorRateBp: 800, userIds: SALES_REPS.map((r) => r.id) },
    },
  };
}

// ---------------------------------------------------------------------------------------------

export interface SalesSeedOptions {
  baseUrl: string;
  /** A bearer token for a demo user (admin, manager, the reps). */
  tokenFor: (user: DemoUser) => Promise<string>;
  /** The seeded customers, in plan order: id, owner and contact ids. */
  customers: readonly { id: string; ownerId: string; contactIds: string[] }[];
  anchor: Date;
  concurrency?: number;
  log?: (entry: Record<string, unknown>) => void;
  progress?: SeedProgress;
}

export interface SalesSeedResult {
  products: number;
  deals: number;
  won: number;
  lost: number;
  orders: number;
  activities: number;
  tasks: number;
  quotas: number;
  period: string;
}

interface Answer { status: number; body: any }

export async function seedSales(options: SalesSeedOptions): Promise<SalesSeedResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const plan = salesPlan(options.customers.map((c) => c.ownerId), options.anchor);
  const tokens = new Map<string, Promise<string>>();
  const tokenOf = (userId: string) => {
    let token = tokens.get(userId);
    if (!token) {
      const user = DEMO_USERS.find((u) => u.id === userId);
      if (!user) throw new Error(`Seeding failed: ${userId} is not a demo user`);
      token = options.tokenFor(user);
      tokens.set(userId, token);
    }
    return token;
  };
  const admin = demoUsersOf('admin')[0]!.id;
  const manager = demoUsersOf('manager')[0]!.id;

  /** One request; retries throttling and transient failures (a failed idempotent attempt releases its key). */
  const call = async (method: string, path: string, asUser: string, body?: unknown, idempotencyKey?: string): Promise<Answer> => {
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { authorization: `Bearer ${await tokenOf(asUser)}`, 'user-agent': SEED_USER_AGENT };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
      const response = await fetch(`${options.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const payload = await response.json().catch(() => ({}));
      if ([429, 500, 503].includes(response.status) && attempt < 5) {
        await new Promise((done) => setTimeout(done, 200 * attempt));
        continue;
      }
      return { status: response.status, body: payload };
    }
  };
  /** Ids and status only in errors: bodies may hold (fictitious) personal data. */
  const fail = (what: string, answer: Answer): never => {
    throw new Error(`Seeding failed: ${what} answered ${answer.status} ${answer.body?.title ?? ''}`.trim());
  };
  const expect = async (what: string, pending: Promise<Answer>, ok: number[] = [200, 201]): Promise<any> => {
    const answer = await pending;
    if (!ok.includes(answer.status)) fail(what, answer);
    return answer.body;
  };
  const listAll = async (path: string, asUser: string): Promise<any[]> => {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const page = await expect(`GET ${path.split('?')[0]}`, call('GET', `${path}${sep}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, asUser));
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };
  const pool = async <T>(items: readonly T[], work: (item: T, index: number) => Promise<void>, phase?: SeedPhase) => {
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
        done += 1;
        if (phase) options.progress?.(phase, done, items.length);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(items.length, options.concurrency ?? 6)) }, worker));
  };

  // Products (409 on a known SKU names the existing product).
  const productIds = new Map<string, string>();
  await pool(plan.products, async (p) => {
    const answer = await call('POST', '/v1/products', admin, p.body, p.idempotencyKey);
    if (answer.status === 201 || answer.status === 200) productIds.set(p.body.sku, answer.body.id);
    else if (answer.status === 409 && answer.body.existingId) productIds.set(p.body.sku, answer.body.existingId);
    else fail(`POST /v1/products (${p.idempotencyKey})`, answer);
  });

  // The default pipeline (created on first read) and its active stages in order.
  const pipelines = await listAll('/v1/pipelines', admin);
  const pipeline = pipelines.find((p) => p.isDefault) ?? pipelines[0];
  if (!pipeline) throw new Error('Seeding failed: no pipeline');
  const stages: { id: string }[] = [...pipeline.stages].filter((s: any) => !s.retired).sort((a: any, b: any) => a.position - b.position);
  if (stages.length === 0) throw new Error('Seeding failed: the default pipeline has no active stage');

  // What earlier (interrupted) runs already created.
  const existingDeals = new Map<string, any>();
  for (const deal of await listAll('/v1/deals', admin)) existingDeals.set(`${deal.customerId}|${deal.name}`, deal);
  const resuming = existingDeals.size > 0;

  const dealIds: (string | undefined)[] = [];
  let wonCount = 0;
  let lostCount = 0;
  let orders = 0;
  await pool(plan.deals, async (planned, k) => {
    const customer = options.customers[planned.customerIndex];
    if (!customer) return;
    const owner = planned.ownerId;
    let deal = existingDeals.get(`${customer.id}|${planned.name}`);
    if (!deal) {
      const body = {
        name: planned.name,
        customerId: customer.id,
        ...(customer.contactIds[0] ? { contactId: customer.contactIds[0] } : {}),
        ownerId: owner,
        amount: { amount: planned.amount, currency: 'EUR' },
        expectedCloseDate: planned.expectedCloseDate,
        lineItems: planned.lines.map((l) => ({ description: PRODUCTS.find((p) => p.sku === l.sku)!.name, quantity: l.quantity, unitPrice: { amount: PRODUCTS.find((p) => p.sku === l.sku)!.price, currency: 'EUR' } })),
      };
      deal = await expect(`POST /v1/deals (${planned.idempotencyKey})`, call('POST', '/v1/deals', owner, body, planned.idempotencyKey));
    }
    dealIds[k] = deal.id;

    // Forward through the stages, one at a time (the funnel counts every entry), never back.
    const target = Math.min(stages.length - 1, Math.floor(planned.stageShare * stages.length));
    if (deal.status === 'open') {
      for (let s = stages.findIndex((st) => st.id === deal.stageId) + 1; s >= 1 && s <= target; s++) {
        const answer = await call('POST', `/v1/deals/${deal.id}/stage`, owner, { stageId: stages[s]!.id }, `${planned.idempotencyKey}-stage-${s}`);
        if (answer.status === 200) deal = answer.body;
        else if (answer.status === 409) break; // closed or retired meanwhile: leave it
        else fail(`POST /v1/deals/${deal.id}/stage`, answer);
      }
    }

    // A quote before the win: created, sent and accepted (the order); whatever step an earlier run reached, go on from there.
    if (planned.quote && deal.status !== 'lost') {
      const quotes = await listAll(`/v1/deals/${deal.id}/quotes`, owner);
      let quote = quotes.find((q) => q.latest) ?? quotes[0];
      if (!quote) {
        // A first start resumed more than a month later: the planned date has passed (and that attempt's key has expired).
        const soonest = isoDate(Date.now() + 30 * DAY);
        const validUntil = planned.quote.validUntil >= isoDate(Date.now() + DAY) ? planned.quote.validUntil : soonest;
        const body = { validUntil, lines: planned.lines.map((l) => ({ productId: productIds.get(l.sku)!, quantity: l.quantity })), notes: 'Prices per year; payment within 30 days.' };
        quote = await expect(`POST /v1/deals/${deal.id}/quotes`, call('POST', `/v1/deals/${deal.id}/quotes`, owner, body, `${planned.idempotencyKey}-quote`));
      }
      if (quote.status === 'draft') {
        const answer = await call('POST', `/v1/quotes/${quote.id}/send`, owner, {}, `${planned.idempotencyKey}-quote-send`);
        if (answer.status === 200) quote = answer.body;
        else if (answer.status !== 409) fail(`POST /v1/quotes/${quote.id}/send`, answer);
      }
      if (quote.status === 'sent') {
        const answer = await call('POST', `/v1/quotes/${quote.id}/accept`, owner, {}, `${planned.idempotencyKey}-quote-accept`);
        if (answer.status === 200) quote = answer.body;
        else if (answer.status !== 409) fail(`POST /v1/quotes/${quote.id}/accept`, answer); // 409: accepted already or expired
      }
      if (quote.status === 'accepted') orders += 1;
    }

    if (planned.outcome !== 'open' && deal.status === 'open') {
      const answer = await call('POST', `/v1/deals/${deal.id}/${planned.outcome}`, owner, { reason: planned.reason }, `${planned.idempotencyKey}-${planned.outcome}`);
      if (answer.status === 200) deal = answer.body;
      else if (answer.status !== 409) fail(`POST /v1/deals/${deal.id}/${planned.outcome}`, answer); // 409: closed already
    }
    if (deal.status === 'won') wonCount += 1;
    if (deal.status === 'lost') lostCount += 1;
  }, 'deals');
  log({ msg: 'seeded deals', deals: dealIds.filter(Boolean).length, won: wonCount, lost: lostCount, orders, ms: Date.now() - started });

  // Activities by the deal's owner, linked to the deal (and its first contact).
  let activities = 0;
  // On a resumed run: what each customer's timeline already holds, counted by subject and deal
  // (not by time, which moves with the anchor when the marker was lost).
  const timelines = new Map<string, Promise<Map<string, number>>>();
  const existing = (customerId: string, asUser: string) => {
    let known = timelines.get(customerId);
    if (!known) {
      known = listAll(`/v1/customers/${customerId}/timeline`, asUser).then((entries) => {
        const counts = new Map<string, number>();
        for (const e of entries) {
          if (e.kind !== 'activity') continue;
          const key = `${e.activity?.subject}|${e.activity?.links?.dealId ?? ''}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        return counts;
      });
      timelines.set(customerId, known);
    }
    return known;
  };
  await pool(plan.activities, async (a) => {
    const deal = plan.deals[a.dealIndex]!;
    const customer = options.customers[deal.customerIndex];
    const dealId = dealIds[a.dealIndex];
    if (!customer || !dealId) return;
    if (resuming) {
      const counts = await existing(customer.id, deal.ownerId);
      const key = `${a.body.subject}|${dealId}`;
      const n = counts.get(key) ?? 0;
      if (n > 0) { counts.set(key, n - 1); activities += 1; return; }
    }
    const contactId = customer.contactIds[0];
    const body = {
      customerId: customer.id,
      ...a.body,
      ...(contactId ? { participants: [{ contactId }] } : {}),
      links: { dealId, ...(contactId ? { contactId } : {}) },
    };
    await expect(`POST /v1/activities (${a.idempotencyKey})`, call('POST', '/v1/activities', deal.ownerId, body, a.idempotencyKey));
    activities += 1;
  }, 'activities');

  // Open tasks: looked up per rep first (title + customer), then created by the rep or the manager.
  let tasks = 0;
  const openTasks = new Map<string, Set<string>>();
  for (const rep of SALES_REPS) {
    const items = await listAll(`/v1/tasks?assigneeId=${encodeURIComponent(rep.id)}&status=open`, manager);
    openTasks.set(rep.id, new Set(items.map((t) => `${t.title}|${t.customerId ?? ''}`)));
  }
  await pool(plan.tasks, async (t) => {
    const deal = t.dealIndex !== undefined ? plan.deals[t.dealIndex] : undefined;
    const customerId = deal ? options.customers[deal.customerIndex]?.id : undefined;
    const dealId = t.dealIndex !== undefined ? dealIds[t.dealIndex] : undefined;
    if (openTasks.get(t.assigneeId)?.has(`${t.body.title}|${customerId ?? ''}`)) { tasks += 1; return; }
    const body = {
      ...t.body,
      ...(t.creatorId !== t.assigneeId ? { assigneeId: t.assigneeId } : {}),
      ...(customerId ? { customerId } : {}),
      ...(dealId ? { related: { type: 'deal', id: dealId } } : {}),
    };
    await expect(`POST /v1/tasks (${t.idempotencyKey})`, call('POST', '/v1/tasks', t.creatorId, body, t.idempotencyKey));
    tasks += 1;
  }, 'tasks');

  // Quotas (manager) and the commission plan (admin): PUTs, idempotent by nature.
  await pool(plan.quotas, async (q) => {
    await expect(`PUT /v1/quotas/${q.userId}/${q.period}`, call('PUT', `/v1/quotas/${encodeURIComponent(q.userId)}/${q.period}`, manager, { amount: q.amount }));
  });
  await expect(`PUT /v1/commissions/plans/${plan.commissionPlan.planId}`, call('PUT', `/v1/commissions/plans/${plan.commissionPlan.planId}`, admin, plan.commissionPlan.body));

  const result: SalesSeedResult = {
    products: productIds.size, deals: dealIds.filter(Boolean).length, won: wonCount, lost: lostCount, orders, activities, tasks, quotas: plan.quotas.length, period: plan.period,
  };
  log({ msg: 'seeded sales', ...result, ms: Date.now() - started });
  return result;
}
