/**
 * Every route × every role, with the exact status expected, written out by hand (not derived from
 * the permission matrix, so a change to the matrix must be mirrored here on purpose). Requests run
 * through the real gateway and handlers; routes that change what they act on in a way a second
 * request would notice (deletes, state changes) get fresh records per role they let through.
 *
 * Cost is per DynamoDB request (DynamoDB Local spends ~10 ms of CPU on each, and a transactional
 * write is three of them with the local write model's reads) and per HTTP request. So the routes
 * of one feature share a customer and contact (`groupFixture`) and the records their preparations
 * make; a route's records of its own are made only where a case changes them (`fresh`), and the
 * roles a route refuses use the first let-through role's record. Tokens are signed once per
 * caller (`tokenOf`), requests go over plain kept-alive HTTP (`send`), and requests that change
 * nothing (refusals, reads) run at once. Every setup request must succeed (`setup`): a record that
 * failed to appear would turn a case's 404 or 403 into a pass for the wrong reason.
 */
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, routeKey } from '../../functions/api/routes';
import { authorizerOf } from '../../functions/api/route-def';
import { ROLES, type Role, STAFF_ROLES, type StaffRole, scopeOf } from '../../functions/security/permissions';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
/** The default sales demo user; in the API-key run below, the sales key (records it owns). */
let owner = SALES_REPS[0]!.id;
/**
 * Set for the API-key run of the matrix: each role's key. Every request the matrix makes as a role
 * (`as(role)`) then authenticates with that role's key instead of a JWT.
 */
let keyOf: Record<StaffRole, string> | undefined;
/**
 * How a role calls: staff with a token of the staff pool (or their role's key in the API-key run);
 * `customer` — a contact in the self-service portal — always with a portal pool token for the
 * fixture's contact (keys are never customers).
 */
const as = (role: Role, f?: Fixture): Caller => (role === 'customer'
  ? { role, userId: f?.contactId }
  : keyOf ? { headers: { 'x-api-key': keyOf[role] } } : { role });
const otherRep = SALES_REPS[1]!.id;

/**
 * The status per role. `customer` is written out on the portal's rows; elsewhere it defaults to
 * what the gateway answers a portal token before any function runs — 401 on a staff route (the
 * staff authorizer trusts the staff pool only), the staff roles' status on a public route.
 */
type Expect = Record<StaffRole, number> & { customer?: number };
const withCustomer = (route: (typeof ROUTES)[number], e: Expect): Record<Role, number> =>
  ({ ...e, customer: e.customer ?? (authorizerOf(route) === 'none' ? e.admin : 401) });
/** Portal rows: refused to every staff token by the portal authorizer (401), `ok` for the contact. */
const portal = (ok: number): Expect => ({ admin: 401, manager: 401, sales: 401, marketing: 401, service: 401, analyst: 401, customer: ok });
const all = (status: number): Expect => ({ admin: status, manager: status, sales: status, marketing: status, service: status, analyst: status });
const writers = (ok: number, extra: Partial<Expect> = {}): Expect => ({ admin: ok, manager: ok, sales: ok, marketing: 403, service: 403, analyst: 403, ...extra });

/** A customer owned by `ownerId` (as the API stored it) with one contact. */
interface Fixture { customerId: string; contactId: string; ownerId: string }

/** Who sends a request: a role's demo user (or `userId`; for `customer`, the contact), an explicit token, or headers alone. */
interface Caller { role?: Role; userId?: string; token?: string; headers?: Record<string, string> }
interface Answer { status: number; contentType: string | undefined; body: any; text: string }

/**
 * Tokens signed once per caller for the whole file (they live 12 h). A portal token's claims come
 * from its contact's customer, read by the portal pool's trigger when it is signed; no case moves a
 * contact to another customer, so the first token of a contact stays what a fresh one would be.
 * Signing costs a few milliseconds of CPU, and a portal token a table read besides — per customer
 * request, that was several seconds of this file.
 */
const tokens = new Map<string, Promise<string>>();
const tokenOf = (role: Role, userId?: string) => once(tokens, `${role}\u0000${userId ?? ''}`, () => crm.token(role, userId));

/**
 * The file's HTTP client: plain node:http on kept-alive connections to the local gateway (which
 * authenticates, routes and invokes the handlers as for any client). About a millisecond of CPU
 * less per request than fetch, on thousands of requests. Idle sockets are retired after 30 s,
 * before the gateway closes them at 60 s, so a request never meets a connection closing under it.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 16, timeout: 30_000 });
async function send(method: string, path: string, options: Caller & { body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token ?? (options.role ? await tokenOf(options.role, options.userId) : undefined);
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  if (payload) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const url = new URL(crm.baseUrl);
  return new Promise<Answer>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const contentType = res.headers['content-type'];
        let body: unknown = text === '' ? undefined : text;
        if (text && /json/i.test(contentType ?? '')) {
          try { body = JSON.parse(text); } catch { /* keep the text */ }
        }
        resolve({ status: res.statusCode ?? 0, contentType, body, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** A request that prepares a case; anything but a success fails the test (see the file's comment). */
async function setup(method: string, path: string, options: Caller & { body?: unknown }): Promise<Answer> {
  const res = await send(method, path, options);
  if (res.status >= 300) throw new Error(`Setup ${method} ${path} answered ${res.status}: ${res.text}`);
  return res;
}

async function fixture(ownerId = owner): Promise<Fixture> {
  const customer = await setup('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Fixture ${Math.random()}`, ownerId } });
  const contact = await setup('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: 'Fixture' } });
  return { customerId: customer.body.id, contactId: contact.body.id, ownerId: customer.body.ownerId };
}
/**
 * A customer of its own for a route that archives or restores it (`fresh: 'customer'`), without a
 * contact: those routes name the customer only, and the portal token the `customer` role presents
 * (refused by the staff authorizer whatever its contact) stays the feature's contact's.
 */
async function ownCustomer(shared: Fixture): Promise<Fixture> {
  const customer = await setup('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Fixture ${Math.random()}`, ownerId: shared.ownerId } });
  return { ...shared, customerId: customer.body.id };
}

/** A promise made once per key; a failed one is made again by the next caller. */
function once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let pending = cache.get(key);
  if (!pending) {
    pending = make();
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}
/** One customer and contact per owner (the API-key run and the visibility check have owners of their own). */
const ownerFixtures = new Map<string, Promise<Fixture>>();
/**
 * The fixture the routes of one feature share: the owner's customer and contact, in an object of
 * the feature's own. Records a prepare makes are cached per fixture object (the WeakMaps below),
 * so the routes of a feature share those (a ticket, a deal, a quote) and other features do not.
 * A route whose cases change such a record in a way the next case would notice is `fresh` instead
 * (an edit every role repeats with the same body is not noticed); no shared route archives or
 * deletes the customer or contact (`fresh: 'customer'`, and DELETE contact's own contact).
 */
const groupFixtures = new Map<string, Promise<Fixture>>();
function groupFixture(route: (typeof ROUTES)[number], ownerId = owner): Promise<Fixture> {
  return once(groupFixtures, `${route.feature}\u0000${ownerId}`, async () => ({ ...await once(ownerFixtures, ownerId, () => fixture(ownerId)) }));
}

/** Tasks and notifications of a fixture's customer owner, created once per fixture by `prepare`. */
const taskOf = new WeakMap<Fixture, string>();
const notificationOf = new WeakMap<Fixture, string>();
const NO_TASK = 'tsk_00000000000000000000000000';
const NO_NOTIFICATION = 'ntf_00000000000000000000000000';
async function withTask(f: Fixture): Promise<void> {
  if (taskOf.has(f)) return;
  const res = await setup('POST', '/v1/tasks', { role: 'admin', body: { title: 'Matrix task', assigneeId: f.ownerId, customerId: f.customerId } });
  taskOf.set(f, res.body.id);
}
async function withNotification(f: Fixture): Promise<void> {
  if (notificationOf.has(f)) return;
  const { notificationStored } = await import('../../functions/notifications/model');
  const { newId } = await import('../../functions/data/keys');
  const id = newId('ntf');
  const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
  await crm.ddb.send(new PutCommand({ TableName: crm.tableName, Item: notificationStored({ id, userId: f.ownerId, type: 'test', title: 'Matrix', createdAt: new Date().toISOString() }) }));
  notificationOf.set(f, id);
}
const taskOwnerOnly = (ok: number): Expect => ({ admin: ok, manager: ok, sales: ok, marketing: 404, service: 404, analyst: 404 });

/** An activity and an asset of a fixture's customer, created once per fixture by `prepare`. */
const activityOf = new WeakMap<Fixture, string>();
const assetOf = new WeakMap<Fixture, string>();
const NO_ACTIVITY = 'act_00000000000000000000000000';
const NO_ASSET = 'ast_00000000000000000000000000';
async function withActivity(f: Fixture): Promise<void> {
  if (activityOf.has(f)) return;
  const res = await setup('POST', '/v1/activities', { role: 'admin', body: { customerId: f.customerId, type: 'call', direction: 'outbound' } });
  activityOf.set(f, res.body.id);
}
async function withAsset(f: Fixture): Promise<void> {
  if (assetOf.has(f)) return;
  const res = await setup('POST', `/v1/customers/${f.customerId}/assets`, { role: 'admin', body: { productName: 'Matrix', category: 'boiler', purchaseDate: '2024-02-29' } });
  assetOf.set(f, res.body.id);
}
const readers = (ok: number): Expect => ({ ...all(ok), marketing: 403 });
/** A lead owned by the fixture's customer owner, created once per fixture by `prepare`. */
const leadOf = new WeakMap<Fixture, string>();
const NO_LEAD = 'led_00000000000000000000000000';
async function withLead(f: Fixture): Promise<void> {
  if (leadOf.has(f)) return;
  const res = await setup('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Matrix', companyName: 'Matrix Lead Co', ownerId: f.ownerId } });
  leadOf.set(f, res.body.id);
}
const leadWriters = (ok: number): Expect => ({ admin: ok, manager: ok, sales: ok, marketing: ok, service: 403, analyst: 403 });
/** A deal owned by the fixture's customer owner, created once per fixture by `prepare`. */
const dealOf = new WeakMap<Fixture, string>();
const NO_DEAL = 'deal_00000000000000000000000000';
const DEFAULT_PIPELINE = 'pip_00000000000000000000000000';
const SECOND_STAGE = 'stg_00000000000000000000000002';
async function withDeal(f: Fixture): Promise<void> {
  if (dealOf.has(f)) return;
  const res = await setup('POST', '/v1/deals', { role: 'admin', body: { name: 'Matrix deal', customerId: f.customerId, ownerId: f.ownerId, amount: { amount: 1000, currency: 'EUR' }, expectedCloseDate: '2026-11-15' } });
  dealOf.set(f, res.body.id);
}
async function withQuota(f: Fixture): Promise<void> {
  await setup('PUT', `/v1/quotas/${f.ownerId}/2026-Q4`, { role: 'admin', body: { amount: { amount: 100000, currency: 'EUR' } } });
}
const salesReaders = (ok: number): Expect => ({ admin: ok, manager: ok, sales: ok, marketing: 403, service: 403, analyst: ok });
const dealPath = (f: Fixture, rest = '') => `/v1/deals/${dealOf.get(f) ?? NO_DEAL}${rest}`;
/** Products, quotes (on the fixture's deal), orders and commission plans for the C4 sales rows. */
let matrixProductId: string | undefined;
async function withProduct(): Promise<void> {
  if (matrixProductId) return;
  const res = await setup('POST', '/v1/products', { role: 'admin', body: { sku: `MATRIX-${Date.now()}`, name: 'Matrix', prices: [{ amount: 100, currency: 'EUR' }], taxRateBp: 1900 } });
  matrixProductId = res.body.id;
}
const NO_PRODUCT = 'prd_00000000000000000000000000';
const QUOTE_BODY = { validUntil: '2099-12-31', lines: [{ description: 'Matrix', unitPrice: 1000, quantity: 1, taxRateBp: 1900 }] };
const quoteOf = new WeakMap<Fixture, string>();
const orderOf = new WeakMap<Fixture, string>();
const NO_QUOTE = 'quo_00000000000000000000000000';
const NO_ORDER = 'ord_00000000000000000000000000';
async function withQuote(f: Fixture): Promise<void> {
  if (quoteOf.has(f)) return;
  await withDeal(f);
  const res = await setup('POST', `/v1/deals/${dealOf.get(f)}/quotes`, { role: 'admin', body: QUOTE_BODY });
  quoteOf.set(f, res.body.id);
}
const sentQuotes = new WeakSet<Fixture>();
async function withSentQuote(f: Fixture): Promise<void> {
  await withQuote(f);
  if (sentQuotes.has(f)) return;
  await setup('POST', `/v1/quotes/${quoteOf.get(f)}/send`, { role: 'admin' });
  sentQuotes.add(f);
}
/**
 * An order from a quote of its own on the fixture's deal: accepting the fixture's quote would end
 * the draft that the feature's other routes (PATCH among them) act on.
 */
async function withOrder(f: Fixture): Promise<void> {
  if (orderOf.has(f)) return;
  await withDeal(f);
  const quote = await setup('POST', `/v1/deals/${dealOf.get(f)}/quotes`, { role: 'admin', body: QUOTE_BODY });
  await setup('POST', `/v1/quotes/${quote.body.id}/send`, { role: 'admin' });
  const res = await setup('POST', `/v1/quotes/${quote.body.id}/accept`, { role: 'admin' });
  orderOf.set(f, res.body.orderId);
}
const quotePath = (f: Fixture, rest = '') => `/v1/quotes/${quoteOf.get(f) ?? NO_QUOTE}${rest}`;
let matrixPlan = false;
/** Plan `matrix` covers the admin, manager and sales demo users, so each reads a statement. */
async function withPlan(): Promise<void> {
  if (matrixPlan) return;
  const userIds = await Promise.all((['admin', 'manager', 'sales'] as const).map(async (role) => (await send('GET', '/v1/me', as(role))).body.userId as string));
  await setup('PUT', '/v1/commissions/plans/matrix', { role: 'admin', body: { name: 'Matrix', currency: 'EUR', rateBp: 500, userIds } });
  matrixPlan = true;
}
const commissionReaders = (ok: number): Expect => ({ ...all(403), admin: ok, manager: ok, sales: ok });
/** A webhook (created once per fixture) and an API key (fresh per request) for the C9 rows. */
const webhookOf = new WeakMap<Fixture, string>();
const NO_WEBHOOK = 'whk_00000000000000000000000000';
async function withWebhook(f: Fixture): Promise<void> {
  if (webhookOf.has(f)) return;
  const res = await setup('POST', '/v1/webhooks', { role: 'admin', body: { url: 'https://hooks.example.com/matrix', events: ['deal.*'], active: false } });
  webhookOf.set(f, res.body.id);
}
const webhookPath = (f: Fixture, rest = '') => `/v1/webhooks/${webhookOf.get(f) ?? NO_WEBHOOK}${rest}`;
const apiKeyOf = new WeakMap<Fixture, string>();
async function withApiKey(f: Fixture): Promise<void> {
  if (apiKeyOf.has(f)) return;
  const res = await setup('POST', '/v1/api-keys', { role: 'admin', body: { name: 'Matrix', role: 'analyst' } });
  apiKeyOf.set(f, res.body.id);
}
const adminOnly = (ok: number): Expect => ({ ...all(403), admin: ok });
const RULES_BODY = { categories: [{ category: 'boiler', intervalMonths: 12 }], leadDays: 14, assignTo: 'owner' };

interface Case {
  expect: Expect;
  /** Builds the request against a fixture owned by `owner`. */
  path: (f: Fixture) => string;
  /** A value, or a function of the fixture (see bodyOf). */
  body?: unknown;
  /**
   * The cases change what they act on so that the next case would notice (a delete, a state change),
   * so each role the route lets through acts on its own: `record` — its own records (made by
   * `prepare`) of the feature's customer; `customer` — a customer of its own (`ownCustomer`).
   * Without it, the roles take turns on the feature's fixture.
   */
  fresh?: 'record' | 'customer';
  /** Prepares the fixture (e.g. archive before restore). */
  prepare?: (f: Fixture) => Promise<void>;
}

/** The request body of a case: a value, or built from the fixture (a body that names its customer). */
const bodyOf = (spec: Case, f: Fixture): unknown => (typeof spec.body === 'function' ? spec.body(f) : spec.body);

/** An export started by the admin (it stays queued: this stack runs no export worker). */
let matrixExportId: string | undefined;
const NO_EXPORT = 'exp_00000000000000000000000000';
async function withExport(): Promise<void> {
  matrixExportId ??= (await setup('POST', '/v1/exports', { role: 'admin', body: { entities: ['products'] } })).body.id;
}

/** A CSV import created by the admin (awaiting its upload: this stack runs no S3). Managers see only their own. */
let matrixImportId: string | undefined;
const NO_IMPORT = 'imp_00000000000000000000000000';
async function withImport(): Promise<void> {
  matrixImportId ??= (await setup('POST', '/v1/imports', { role: 'admin', body: { entity: 'customers', mapping: { Name: 'name' } } })).body.id;
}

/** Marketing (C6): one template, segment, list and campaign for the whole matrix; a draft campaign per fixture to schedule. */
const mkt: { templateId?: string; segmentId?: string; listId?: string; campaignId?: string; unsubscribeToken?: string } = {};
const NO_TEMPLATE = 'tpl_00000000000000000000000000';
const NO_SEGMENT = 'seg_00000000000000000000000000';
const NO_LIST = 'lst_00000000000000000000000000';
const NO_CAMPAIGN = 'cmp_00000000000000000000000000';
/** Once for the whole file, also when several requests prepare at the same time (fresh rows run their roles at once). */
let marketingCreated: Promise<void> | undefined;
async function withMarketing(): Promise<void> {
  await (marketingCreated ??= createMarketing().catch((error: unknown) => { marketingCreated = undefined; throw error; }));
}
async function createMarketing(): Promise<void> {
  mkt.templateId = (await setup('POST', '/v1/templates', { role: 'admin', body: { name: 'Matrix', subject: 'Hi {{contact.firstName}}', html: '<p>Hi</p>', text: 'Hi' } })).body.id;
  mkt.segmentId = (await setup('POST', '/v1/segments', { role: 'admin', body: { name: 'Matrix', rules: { tiers: ['A'] } } })).body.id;
  mkt.listId = (await setup('POST', '/v1/lists', { role: 'admin', body: { name: 'Matrix' } })).body.id;
  mkt.campaignId = (await setup('POST', '/v1/campaigns', { role: 'admin', body: campaignBody() })).body.id;
}
const campaignBody = () => ({ name: 'Matrix', channel: 'email', templateId: mkt.templateId ?? NO_TEMPLATE, audience: { segmentIds: [mkt.segmentId ?? NO_SEGMENT] } });
const draftOf = new WeakMap<Fixture, string>();
async function withDraftCampaign(f: Fixture): Promise<void> {
  await withMarketing();
  if (!draftOf.has(f)) draftOf.set(f, (await setup('POST', '/v1/campaigns', { role: 'admin', body: campaignBody() })).body.id);
}
/** A scheduled (far ahead) and a paused campaign for the pause and resume rows: repeating either action answers 200. */
const campaignIn: { scheduled?: string; paused?: string } = {};
async function withScheduledAndPausedCampaigns(): Promise<void> {
  if (campaignIn.paused) return;
  await withMarketing();
  for (const which of ['scheduled', 'paused'] as const) {
    const id = (await setup('POST', '/v1/campaigns', { role: 'admin', body: campaignBody() })).body.id;
    await setup('POST', `/v1/campaigns/${id}/schedule`, { role: 'admin', body: { sendAt: '2199-01-01T00:00:00.000Z' } });
    if (which === 'paused') await setup('POST', `/v1/campaigns/${id}/pause`, { role: 'admin' });
    campaignIn[which] = id;
  }
}
/** A ledger entry of the matrix campaign and its unsubscribe token (public routes need a valid one). */
async function withUnsubscribeToken(): Promise<void> {
  if (mkt.unsubscribeToken) return;
  await withMarketing();
  const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
  const { keys } = await import('../../functions/data/keys');
  const { addressHash, unsubscribeToken } = await import('../../functions/marketing/token');
  const f = await fixture();
  const email = 'matrix-unsubscribe@example.com';
  const hash = addressHash(email);
  await crm.ddb.send(new PutCommand({ TableName: crm.tableName, Item: { ...keys.campaign.recipient(mkt.campaignId!, hash), kind: 'campaign-recipient', campaignId: mkt.campaignId, addressHash: hash, email, contactId: f.contactId, customerId: f.customerId, status: 'sent' } }));
  mkt.unsubscribeToken = await unsubscribeToken({ campaignId: mkt.campaignId!, addressHash: hash });
}
/** A lead and the sealed confirmation token of its sign-up (the public confirm routes need a valid one). */
let signupNo = 0;
let signupTokenValue: string | undefined;
async function withSignupToken(): Promise<void> {
  if (signupTokenValue) return;
  const lead = await setup('POST', '/v1/leads', { role: 'admin', body: { lastName: 'Matrix signup', email: 'matrix-confirm@example.com' } });
  const { addressHash, signupToken } = await import('../../functions/marketing/token');
  signupTokenValue = await signupToken({ leadId: lead.body.id, addressHash: addressHash('matrix-confirm@example.com'), expiresAt: Math.floor(Date.now() / 1000) + 3600 });
}
const marketingReaders = (ok: number): Expect => ({ admin: ok, manager: ok, sales: 403, marketing: ok, service: 403, analyst: ok });
const marketingWriters = (ok: number): Expect => ({ ...all(403), admin: ok, marketing: ok });
const consentReaders = (ok: number): Expect => ({ ...all(ok), analyst: 403 });
const consentWriters = (ok: number): Expect => ({ ...all(ok), service: 403, analyst: 403 });

/** Service desk (C5): a ticket of each fixture's customer (owned by the sales rep), one queue for the matrix. */
const ticketOf = new WeakMap<Fixture, string>();
const NO_TICKET = 'tkt_00000000000000000000000000';
let matrixQueueId: string | undefined;
const NO_QUEUE = 'que_00000000000000000000000000';
async function withTicket(f: Fixture): Promise<void> {
  if (!ticketOf.has(f)) ticketOf.set(f, (await setup('POST', '/v1/tickets', { role: 'admin', body: { subject: 'Matrix', channel: 'phone', customerId: f.customerId, contactId: f.contactId } })).body.id);
}
async function withQueue(): Promise<void> {
  matrixQueueId ??= (await setup('POST', '/v1/queues', { role: 'admin', body: { name: 'Matrix queue' } })).body.id;
}
const ticketReaders = (ok: number): Expect => ({ ...all(ok), marketing: 403 });
const ticketWriters = (ok: number): Expect => ({ ...all(403), admin: ok, manager: ok, service: ok });
const queueReaders = (ok: number): Expect => ({ ...all(ok), sales: 403, marketing: 403 });
/** Service-desk extras: a message with an uploaded file per fixture's ticket; one resolved ticket's survey link. */
const attachmentOf = new WeakMap<Fixture, { messageId: string; attachmentId: string }>();
async function withAttachment(f: Fixture): Promise<void> {
  await withTicket(f);
  if (attachmentOf.has(f)) return;
  const ticketId = ticketOf.get(f)!;
  const message = await setup('POST', `/v1/tickets/${ticketId}/messages`, { role: 'admin', body: { visibility: 'internal', body: 'Matrix file' } });
  const file = await setup('POST', `/v1/tickets/${ticketId}/attachments`, { role: 'admin', body: { messageId: message.body.id, fileName: 'matrix.txt', contentType: 'text/plain', size: 6 } });
  const upload = await fetch(file.body.upload.url, { method: 'PUT', headers: file.body.upload.headers, body: 'matrix' });
  if (!upload.ok) throw new Error(`Setup upload of the matrix attachment answered ${upload.status}`);
  attachmentOf.set(f, { messageId: message.body.id, attachmentId: file.body.id });
}
let csatLink: string | undefined;
async function withCsatToken(): Promise<void> {
  if (csatLink) return;
  // The matrix owner's customer: one more resolved ticket there changes no case.
  const f = await once(ownerFixtures, owner, () => fixture(owner));
  const ticket = await setup('POST', '/v1/tickets', { role: 'admin', body: { subject: 'Matrix survey', channel: 'phone', customerId: f.customerId, contactId: f.contactId } });
  await setup('PATCH', `/v1/tickets/${ticket.body.id}`, { role: 'admin', body: { status: 'resolved' } });
  const { csatToken } = await import('../../functions/service-desk/csat-token');
  csatLink = `/v1/csat?token=${await csatToken(ticket.body.id, new Date(Date.now() + 86_400_000))}`;
}
const serviceReportReaders = (ok: number): Expect => ({ ...all(ok), sales: 403, marketing: 403 });
const SERVICE_DESK_BODY = { calendar: { workingDays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', holidays: [] }, policies: [] };

/** Service contracts (C5) and knowledge base: a contract per fixture, one article for the matrix. */
const contractOf = new WeakMap<Fixture, string>();
const NO_CONTRACT = 'ctr_00000000000000000000000000';
let contractNo = 0;
const contractBody = (f: Fixture) => ({ number: `MX-${process.pid}-${++contractNo}`, customerId: f.customerId, startDate: '2026-01-01', endDate: '2026-12-31', value: { amount: 100, currency: 'EUR' }, billingCycle: 'yearly' });
async function withContract(f: Fixture): Promise<void> {
  if (!contractOf.has(f)) contractOf.set(f, (await setup('POST', '/v1/contracts', { role: 'admin', body: contractBody(f) })).body.id);
}
let matrixArticleId: string | undefined;
const NO_ARTICLE = 'kba_00000000000000000000000000';
async function withArticle(): Promise<void> {
  matrixArticleId ??= (await setup('POST', '/v1/kb/articles', { role: 'admin', body: { title: 'Matrix', body: 'Matrix', category: 'matrix' } })).body.id;
}
/** A published article for the portal's rows (the portal reads published articles only). */
let matrixPublishedId: string | undefined;
async function withPublishedArticle(): Promise<void> {
  matrixPublishedId ??= (await setup('POST', '/v1/kb/articles', { role: 'admin', body: { title: 'Matrix published', body: 'Matrix', category: 'matrix', status: 'published' } })).body.id;
}
const contractWriters = (ok: number): Expect => ({ ...all(403), admin: ok, manager: ok, service: ok });
/** Custom fields (of contacts, one per fixture) and a duplicate customer per fixture for the merge row. */
const fieldOf = new WeakMap<Fixture, string>();
const NO_FIELD = 'cfd_00000000000000000000000000';
async function withField(f: Fixture): Promise<void> {
  if (fieldOf.has(f)) return;
  const res = await setup('POST', '/v1/custom-fields', { role: 'admin', body: { entity: 'contact', key: `m${Math.random().toString(36).slice(2, 12)}`, label: 'Matrix', type: 'text' } });
  fieldOf.set(f, res.body.id);
}
const fieldPath = (f: Fixture) => `/v1/custom-fields/${fieldOf.get(f) ?? NO_FIELD}`;
/** A contact of the fixture's customer for a route that deletes it, created once per fixture by `prepare`. */
const ownContactOf = new WeakMap<Fixture, string>();
async function withOwnContact(f: Fixture): Promise<void> {
  if (!ownContactOf.has(f)) ownContactOf.set(f, (await setup('POST', `/v1/customers/${f.customerId}/contacts`, { role: 'admin', body: { lastName: 'Matrix own' } })).body.id);
}
const duplicateOf = new WeakMap<Fixture, string>();
async function withDuplicate(f: Fixture): Promise<void> {
  if (duplicateOf.has(f)) return;
  const res = await setup('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Matrix duplicate ${Math.random()}`, ownerId: f.ownerId } });
  duplicateOf.set(f, res.body.id);
}
const kbReaders = (ok: number): Expect => ({ ...all(ok), sales: 403 });

const MATRIX: Record<string, Case> = {
  'POST /v1/tickets': { expect: ticketWriters(201), path: () => '/v1/tickets', body: (f: Fixture) => ({ subject: 'Matrix', channel: 'phone', customerId: f.customerId }) },
  'GET /v1/tickets': { expect: ticketReaders(200), path: (f) => `/v1/tickets?customerId=${f.customerId}` },
  'GET /v1/tickets/{id}': { expect: ticketReaders(200), path: (f) => `/v1/tickets/${ticketOf.get(f) ?? NO_TICKET}`, prepare: withTicket },
  'PATCH /v1/tickets/{id}': { expect: ticketWriters(200), path: (f) => `/v1/tickets/${ticketOf.get(f) ?? NO_TICKET}`, body: { priority: 'high' }, prepare: withTicket },
  'POST /v1/tickets/{id}/messages': { expect: ticketWriters(201), path: (f) => `/v1/tickets/${ticketOf.get(f) ?? NO_TICKET}/messages`, body: { visibility: 'internal', body: 'Matrix note' }, prepare: withTicket },
  'GET /v1/tickets/{id}/messages': { expect: ticketReaders(200), path: (f) => `/v1/tickets/${ticketOf.get(f) ?? NO_TICKET}/messages`, prepare: withTicket },
  'GET /v1/ticket-deadlines': { expect: queueReaders(200), path: () => '/v1/ticket-deadlines' },
  'POST /v1/tickets/{id}/attachments': { expect: ticketWriters(201), path: (f) => `/v1/tickets/${ticketOf.get(f) ?? NO_TICKET}/attachments`, body: (f: Fixture) => ({ messageId: attachmentOf.get(f)?.messageId ?? 'msg_00000000000000000000000000', fileName: 'matrix.txt', contentType: 'text/plain', size: 6 }), prepare: withAttachment },
  'GET /v1/tickets/{id}/attachments': { expect: ticketReaders(200), path: (f) => `/v1/tickets/${ticketOf.get(f) ?? NO_TICKET}/attachments`, prepare: withTicket },
  // Downloading a file needs pii:read too: the analyst reads tickets but not the customer's content.
  'GET /v1/tickets/{id}/attachments/{attachmentId}': { expect: { ...ticketReaders(200), analyst: 403 }, path: (f) => `/v1/tickets/${ticketOf.get(f) ?? NO_TICKET}/attachments/${attachmentOf.get(f)?.attachmentId ?? 'att_00000000000000000000000000'}`, prepare: withAttachment },
  'GET /v1/reports/service': { expect: serviceReportReaders(200), path: () => '/v1/reports/service?period=2026-Q4' },
  // The public survey link (a sealed token, no login): the first POST records, every later one is told it was recorded.
  'GET /v1/csat': { expect: all(200), path: () => `${csatLink}&rating=4`, prepare: withCsatToken },
  'POST /v1/csat': { expect: all(200), path: () => csatLink!, body: { rating: 5 }, prepare: withCsatToken },
  'POST /v1/queues': { expect: { ...all(403), admin: 201 }, path: () => '/v1/queues', body: { name: 'Matrix' } },
  'GET /v1/queues': { expect: queueReaders(200), path: () => '/v1/queues' },
  'GET /v1/queues/{queueId}': { expect: queueReaders(200), path: () => `/v1/queues/${matrixQueueId ?? NO_QUEUE}`, prepare: withQueue },
  'PATCH /v1/queues/{queueId}': { expect: { ...all(403), admin: 200 }, path: () => `/v1/queues/${matrixQueueId ?? NO_QUEUE}`, body: { description: 'Matrix' }, prepare: withQueue },
  'GET /v1/settings/service-desk': { expect: { ...all(403), admin: 200, manager: 200, service: 200 }, path: () => '/v1/settings/service-desk' },
  'PUT /v1/settings/service-desk': { expect: { ...all(403), admin: 200 }, path: () => '/v1/settings/service-desk', body: SERVICE_DESK_BODY },
  'GET /v1/contacts/{id}/consent': { expect: consentReaders(200), path: (f) => `/v1/contacts/${f.contactId}/consent` },
  'PUT /v1/contacts/{id}/consent/{channel}': { expect: consentWriters(200), path: (f) => `/v1/contacts/${f.contactId}/consent/email`, body: { status: 'opted_in', source: 'form' } },
  'GET /v1/contacts/{id}/consent/history': { expect: consentReaders(200), path: (f) => `/v1/contacts/${f.contactId}/consent/history` },
  'POST /v1/suppressions': { expect: marketingWriters(200), path: () => '/v1/suppressions', body: { email: 'matrix-suppressed@example.com' } },
  'GET /v1/suppressions': { expect: marketingReaders(200), path: () => '/v1/suppressions' },
  'POST /v1/templates': { expect: marketingWriters(201), path: () => '/v1/templates', body: { name: 'Matrix', subject: 'S', html: '<p>H</p>', text: 'T' } },
  'GET /v1/templates': { expect: marketingReaders(200), path: () => '/v1/templates' },
  'GET /v1/templates/{templateId}': { expect: marketingReaders(200), path: () => `/v1/templates/${mkt.templateId ?? NO_TEMPLATE}`, prepare: withMarketing },
  'PATCH /v1/templates/{templateId}': { expect: marketingWriters(200), path: () => `/v1/templates/${mkt.templateId ?? NO_TEMPLATE}`, body: { name: 'Matrix 2' }, prepare: withMarketing },
  'POST /v1/templates/{templateId}/render': { expect: marketingReaders(200), path: () => `/v1/templates/${mkt.templateId ?? NO_TEMPLATE}/render`, body: (f: Fixture) => ({ contactId: f.contactId }), prepare: withMarketing },
  'POST /v1/segments': { expect: marketingWriters(201), path: () => '/v1/segments', body: { name: 'Matrix', rules: { tiers: ['B'] } } },
  'GET /v1/segments': { expect: marketingReaders(200), path: () => '/v1/segments' },
  'GET /v1/segments/{segmentId}': { expect: marketingReaders(200), path: () => `/v1/segments/${mkt.segmentId ?? NO_SEGMENT}`, prepare: withMarketing },
  'PATCH /v1/segments/{segmentId}': { expect: marketingWriters(200), path: () => `/v1/segments/${mkt.segmentId ?? NO_SEGMENT}`, body: { name: 'Matrix 2' }, prepare: withMarketing },
  'POST /v1/segments/{segmentId}/preview': { expect: marketingReaders(200), path: () => `/v1/segments/${mkt.segmentId ?? NO_SEGMENT}/preview`, prepare: withMarketing },
  'POST /v1/lists': { expect: marketingWriters(201), path: () => '/v1/lists', body: { name: 'Matrix' } },
  'GET /v1/lists': { expect: marketingReaders(200), path: () => '/v1/lists' },
  'GET /v1/lists/{listId}': { expect: marketingReaders(200), path: () => `/v1/lists/${mkt.listId ?? NO_LIST}`, prepare: withMarketing },
  'GET /v1/lists/{listId}/members': { expect: marketingReaders(200), path: () => `/v1/lists/${mkt.listId ?? NO_LIST}/members`, prepare: withMarketing },
  'POST /v1/lists/{listId}/members': { expect: marketingWriters(200), path: () => `/v1/lists/${mkt.listId ?? NO_LIST}/members`, body: (f: Fixture) => ({ contactIds: [f.contactId] }), prepare: withMarketing },
  'POST /v1/lists/{listId}/members/remove': { expect: marketingWriters(200), path: () => `/v1/lists/${mkt.listId ?? NO_LIST}/members/remove`, body: (f: Fixture) => ({ contactIds: [f.contactId] }), prepare: withMarketing },
  'POST /v1/campaigns': { expect: marketingWriters(201), path: () => '/v1/campaigns', body: () => campaignBody(), prepare: withMarketing },
  'GET /v1/campaigns': { expect: marketingReaders(200), path: () => '/v1/campaigns' },
  'GET /v1/campaigns/{campaignId}': { expect: marketingReaders(200), path: () => `/v1/campaigns/${mkt.campaignId ?? NO_CAMPAIGN}`, prepare: withMarketing },
  'PATCH /v1/campaigns/{campaignId}': { expect: marketingWriters(200), path: (f) => `/v1/campaigns/${draftOf.get(f) ?? NO_CAMPAIGN}`, body: { name: 'Matrix renamed', budget: { amount: 1000, currency: 'EUR' } }, prepare: withDraftCampaign },
  'POST /v1/campaigns/{campaignId}/schedule': { expect: marketingWriters(200), path: (f) => `/v1/campaigns/${draftOf.get(f) ?? NO_CAMPAIGN}/schedule`, body: { sendAt: '2199-01-01T00:00:00.000Z' }, fresh: 'record', prepare: withDraftCampaign },
  'POST /v1/campaigns/{campaignId}/cancel': { expect: marketingWriters(200), path: () => `/v1/campaigns/${mkt.campaignId ?? NO_CAMPAIGN}/cancel`, prepare: withMarketing },
  'POST /v1/campaigns/{campaignId}/pause': { expect: marketingWriters(200), path: () => `/v1/campaigns/${campaignIn.scheduled ?? NO_CAMPAIGN}/pause`, prepare: withScheduledAndPausedCampaigns },
  'POST /v1/campaigns/{campaignId}/resume': { expect: marketingWriters(200), path: () => `/v1/campaigns/${campaignIn.paused ?? NO_CAMPAIGN}/resume`, prepare: withScheduledAndPausedCampaigns },
  'GET /v1/campaigns/{campaignId}/stats': { expect: { ...all(200), service: 403 }, path: () => `/v1/campaigns/${mkt.campaignId ?? NO_CAMPAIGN}/stats`, prepare: withMarketing },
  'GET /v1/settings/marketing': { expect: { ...all(403), admin: 200, manager: 200, service: 200 }, path: () => '/v1/settings/marketing' },
  'PUT /v1/settings/marketing': { expect: { ...all(403), admin: 200 }, path: () => '/v1/settings/marketing', body: { maxBounceRate: 0.05, maxComplaintRate: 0.001, minSends: 200, notifyUserIds: [] } },
  'GET /v1/campaigns/{campaignId}/recipients': { expect: marketingReaders(200), path: () => `/v1/campaigns/${mkt.campaignId ?? NO_CAMPAIGN}/recipients`, prepare: withMarketing },
  'GET /v1/unsubscribe': { expect: all(200), path: () => `/v1/unsubscribe?token=${mkt.unsubscribeToken}`, prepare: withUnsubscribeToken },
  'POST /v1/unsubscribe': { expect: all(200), path: () => `/v1/unsubscribe?token=${mkt.unsubscribeToken}`, prepare: withUnsubscribeToken },
  // Public sign-up: every caller alike (a fresh address each time, below the per-IP limit of the matrix's calls).
  'POST /v1/signup': { expect: all(202), path: () => '/v1/signup', body: () => ({ email: `matrix-signup-${++signupNo}@example.com`, lastName: 'Matrix' }) },
  'GET /v1/signup/confirm': { expect: all(200), path: () => `/v1/signup/confirm?token=${signupTokenValue}`, prepare: withSignupToken },
  'POST /v1/signup/confirm': { expect: all(200), path: () => `/v1/signup/confirm?token=${signupTokenValue}`, prepare: withSignupToken },
  'POST /v1/exports': { expect: { ...all(403), admin: 202, analyst: 202 }, path: () => '/v1/exports', body: { entities: ['products'] } },
  // Everyone who may export a list (GET /v1/customers/export.csv) reads their own exports.
  'GET /v1/exports': { expect: all(200), path: () => '/v1/exports' },
  'GET /v1/reports/dashboard': { expect: salesReaders(200), path: () => '/v1/reports/dashboard?period=2026-Q4' },
  'GET /dashboard': { expect: all(200), path: () => '/dashboard' },
  'GET /v1/exports/{id}': { expect: { ...all(404), admin: 200 }, path: () => `/v1/exports/${matrixExportId ?? NO_EXPORT}`, prepare: withExport },
  'POST /v1/imports': { expect: { ...all(403), admin: 201, manager: 201 }, path: () => '/v1/imports', body: { entity: 'customers', mapping: { Name: 'name' } } },
  // marketing holds imports:manage (own) for list-members imports; a customers import is its 403 from the service.
  'GET /v1/imports': { expect: { ...all(403), admin: 200, manager: 200, marketing: 200 }, path: () => '/v1/imports' },
  'GET /v1/imports/{id}': { expect: { ...all(403), admin: 200, manager: 404, marketing: 404 }, path: () => `/v1/imports/${matrixImportId ?? NO_IMPORT}`, prepare: withImport },
  // An id no import has: the permission answers first (403), then 404 — reading a file needs S3, which this stack does not run.
  'POST /v1/imports/{id}/preview': { expect: { ...all(403), admin: 404, manager: 404, marketing: 404 }, path: () => `/v1/imports/${NO_IMPORT}/preview`, body: {} },
  'POST /v1/imports/{id}/start': { expect: { ...all(403), admin: 404, manager: 404, marketing: 404 }, path: () => `/v1/imports/${NO_IMPORT}/start`, body: {} },
  'GET /v1/health': { expect: all(200), path: () => '/v1/health' },
  'GET /v1/openapi.json': { expect: all(200), path: () => '/v1/openapi.json' },
  'GET /docs': { expect: all(200), path: () => '/docs' },
  'GET /problems/{type}': { expect: all(200), path: () => '/problems/validation-failed' },
  'GET /v1/me': { expect: all(200), path: () => '/v1/me' },
  'POST /v1/customers': { expect: writers(201), path: () => '/v1/customers', body: { type: 'person', name: 'Matrix' } },
  'GET /v1/customers': { expect: all(200), path: () => '/v1/customers' },
  'GET /v1/customers/export.csv': { expect: all(202), path: () => '/v1/customers/export.csv?tier=A' },
  'GET /v1/contacts/export.csv': { expect: all(202), path: () => '/v1/contacts/export.csv?tier=A' },
  'GET /v1/customers/{id}': { expect: all(200), path: (f) => `/v1/customers/${f.customerId}` },
  'PATCH /v1/customers/{id}': { expect: writers(200), path: (f) => `/v1/customers/${f.customerId}`, body: { tier: 'B' } },
  'DELETE /v1/customers/{id}': { expect: writers(200), path: (f) => `/v1/customers/${f.customerId}`, fresh: 'customer' },
  'POST /v1/customers/{id}/restore': {
    expect: writers(200), path: (f) => `/v1/customers/${f.customerId}/restore`, fresh: 'customer',
    prepare: async (f) => { await setup('DELETE', `/v1/customers/${f.customerId}`, { role: 'admin' }); },
  },
  'GET /v1/customers/{id}/history': { expect: writers(200), path: (f) => `/v1/customers/${f.customerId}/history` },
  'POST /v1/customers/{id}/contacts': { expect: writers(201, { service: 201 }), path: (f) => `/v1/customers/${f.customerId}/contacts`, body: { lastName: 'Matrix' } },
  'GET /v1/customers/{id}/contacts': { expect: all(200), path: (f) => `/v1/customers/${f.customerId}/contacts` },
  'GET /v1/contacts/{id}': { expect: all(200), path: (f) => `/v1/contacts/${f.contactId}` },
  'PATCH /v1/contacts/{id}': { expect: writers(200, { service: 200 }), path: (f) => `/v1/contacts/${f.contactId}`, body: { jobTitle: 'Matrix' } },
  'DELETE /v1/contacts/{id}': { expect: writers(204, { service: 204 }), path: (f) => `/v1/contacts/${ownContactOf.get(f) ?? f.contactId}`, fresh: 'record', prepare: withOwnContact },
  'POST /v1/customers/batch': { expect: writers(207), path: () => '/v1/customers/batch', body: { items: [{ op: 'create', body: { type: 'person', name: 'Matrix' } }] } },
  'POST /v1/contacts/batch': { expect: writers(207, { service: 207 }), path: () => '/v1/contacts/batch', body: (f: Fixture) => ({ items: [{ op: 'create', customerId: f.customerId, body: { lastName: 'Matrix' } }] }) },
  'POST /v1/customers/{id}/merge': {
    expect: { ...all(403), admin: 200, manager: 200 }, path: (f) => `/v1/customers/${f.customerId}/merge`, fresh: 'record', prepare: withDuplicate,
    body: (f: Fixture) => ({ duplicateId: duplicateOf.get(f) ?? 'cus_00000000000000000000000000' }),
  },
  'POST /v1/custom-fields': { expect: adminOnly(201), path: () => '/v1/custom-fields', body: () => ({ entity: 'contact', key: `m${Math.random().toString(36).slice(2, 12)}`, label: 'Matrix', type: 'text' }) },
  'GET /v1/custom-fields': { expect: all(200), path: () => '/v1/custom-fields?entity=contact' },
  'GET /v1/custom-fields/{fieldId}': { expect: all(200), path: fieldPath, prepare: withField },
  'PATCH /v1/custom-fields/{fieldId}': { expect: adminOnly(200), path: fieldPath, body: { label: 'Matrix changed' }, prepare: withField },
  'DELETE /v1/custom-fields/{fieldId}': { expect: adminOnly(204), path: fieldPath, fresh: 'record', prepare: withField },
  'POST /v1/tasks': { expect: all(201), path: () => '/v1/tasks', body: { title: 'Matrix' } },
  'GET /v1/tasks': { expect: all(200), path: () => '/v1/tasks' },
  'GET /v1/tasks/{id}': { expect: taskOwnerOnly(200), path: (f) => `/v1/tasks/${taskOf.get(f) ?? NO_TASK}`, prepare: withTask },
  'PATCH /v1/tasks/{id}': { expect: taskOwnerOnly(200), path: (f) => `/v1/tasks/${taskOf.get(f) ?? NO_TASK}`, body: { priority: 'high' }, prepare: withTask },
  'GET /v1/notifications': { expect: all(200), path: () => '/v1/notifications' },
  // Only the addressee (the customer owner, a sales rep) reads a notification; admins included, nobody else.
  'POST /v1/notifications/{id}/read': {
    expect: { admin: 404, manager: 404, sales: 200, marketing: 404, service: 404, analyst: 404 },
    path: (f) => `/v1/notifications/${notificationOf.get(f) ?? NO_NOTIFICATION}/read`, prepare: withNotification,
  },
  'POST /v1/notifications/read-all': { expect: all(200), path: () => '/v1/notifications/read-all' },
  'POST /v1/activities': { expect: writers(201, { service: 201 }), path: () => '/v1/activities', body: (f: Fixture) => ({ customerId: f.customerId, type: 'note', content: 'Matrix' }) },
  'GET /v1/activities/{id}': { expect: readers(200), path: (f) => `/v1/activities/${activityOf.get(f) ?? NO_ACTIVITY}`, prepare: withActivity },
  'PATCH /v1/activities/{id}': { expect: writers(200, { service: 200 }), path: (f) => `/v1/activities/${activityOf.get(f) ?? NO_ACTIVITY}`, body: { subject: 'Matrix' }, prepare: withActivity },
  'DELETE /v1/activities/{id}': { expect: writers(204, { service: 204 }), path: (f) => `/v1/activities/${activityOf.get(f) ?? NO_ACTIVITY}`, fresh: 'record', prepare: withActivity },
  'GET /v1/customers/{id}/timeline': { expect: readers(200), path: (f) => `/v1/customers/${f.customerId}/timeline` },
  'POST /v1/customers/{id}/assets': { expect: writers(201, { service: 201 }), path: (f) => `/v1/customers/${f.customerId}/assets`, body: { productName: 'Matrix', category: 'boiler', purchaseDate: '2025-01-31' } },
  'GET /v1/customers/{id}/assets': { expect: readers(200), path: (f) => `/v1/customers/${f.customerId}/assets` },
  'GET /v1/assets/{id}': { expect: readers(200), path: (f) => `/v1/assets/${assetOf.get(f) ?? NO_ASSET}`, prepare: withAsset },
  'PATCH /v1/assets/{id}': { expect: writers(200, { service: 200 }), path: (f) => `/v1/assets/${assetOf.get(f) ?? NO_ASSET}`, body: { notes: 'Matrix' }, prepare: withAsset },
  'DELETE /v1/assets/{id}': { expect: writers(204, { service: 204 }), path: (f) => `/v1/assets/${assetOf.get(f) ?? NO_ASSET}`, fresh: 'record', prepare: withAsset },
  'GET /v1/settings/service-rules': { expect: { admin: 200, manager: 200, sales: 403, marketing: 403, service: 200, analyst: 403 }, path: () => '/v1/settings/service-rules' },
  'POST /v1/leads': { expect: leadWriters(201), path: () => '/v1/leads', body: { lastName: 'Matrix' } },
  'POST /v1/leads/batch': { expect: leadWriters(207), path: () => '/v1/leads/batch', body: { items: [{ op: 'create', body: { lastName: 'Matrix' } }] } },
  'GET /v1/leads': { expect: { ...all(200), service: 403 }, path: () => '/v1/leads' },
  'GET /v1/leads/export.csv': { expect: { ...all(202), service: 403 }, path: () => '/v1/leads/export.csv?status=new' },
  'GET /v1/leads/{id}': { expect: { ...all(200), service: 403 }, path: (f) => `/v1/leads/${leadOf.get(f) ?? NO_LEAD}`, prepare: withLead },
  'PATCH /v1/leads/{id}': { expect: leadWriters(200), path: (f) => `/v1/leads/${leadOf.get(f) ?? NO_LEAD}`, body: { status: 'working' }, prepare: withLead },
  'DELETE /v1/leads/{id}': { expect: leadWriters(204), path: (f) => `/v1/leads/${leadOf.get(f) ?? NO_LEAD}`, fresh: 'record', prepare: withLead },
  'POST /v1/leads/{id}/convert': { expect: writers(200), path: (f) => `/v1/leads/${leadOf.get(f) ?? NO_LEAD}/convert`, body: {}, fresh: 'record', prepare: withLead },
  'GET /v1/settings/territories': { expect: { admin: 200, manager: 200, sales: 403, marketing: 403, service: 403, analyst: 403 }, path: () => '/v1/settings/territories' },
  'PUT /v1/settings/territories': { expect: { admin: 200, manager: 403, sales: 403, marketing: 403, service: 403, analyst: 403 }, path: () => '/v1/settings/territories', body: { rules: [{ id: 'matrix', match: { country: ['XX'] }, ownerId: otherRep }] } },
  'GET /v1/pipelines': { expect: salesReaders(200), path: () => '/v1/pipelines' },
  'POST /v1/pipelines': { expect: { ...all(403), admin: 201 }, path: () => '/v1/pipelines', body: { name: 'Matrix', stages: [{ name: 'Open', probability: 20 }] } },
  'GET /v1/pipelines/{pipelineId}': { expect: salesReaders(200), path: () => `/v1/pipelines/${DEFAULT_PIPELINE}` },
  'PATCH /v1/pipelines/{pipelineId}': { expect: { ...all(403), admin: 200 }, path: () => `/v1/pipelines/${DEFAULT_PIPELINE}`, body: { name: 'Sales' } },
  'GET /v1/pipelines/{pipelineId}/deals': { expect: salesReaders(200), path: () => `/v1/pipelines/${DEFAULT_PIPELINE}/deals` },
  'POST /v1/deals': { expect: writers(201), path: () => '/v1/deals', body: (f: Fixture) => ({ name: 'Matrix', customerId: f.customerId, amount: { amount: 500, currency: 'EUR' } }) },
  'GET /v1/deals': { expect: salesReaders(200), path: () => '/v1/deals' },
  'GET /v1/deals/{id}': { expect: salesReaders(200), path: (f) => dealPath(f), prepare: withDeal },
  'PATCH /v1/deals/{id}': { expect: writers(200), path: (f) => dealPath(f), body: { name: 'Matrix renamed' }, prepare: withDeal },
  'DELETE /v1/deals/{id}': { expect: writers(204), path: (f) => dealPath(f), fresh: 'record', prepare: withDeal },
  'POST /v1/deals/{id}/stage': { expect: writers(200), path: (f) => dealPath(f, '/stage'), body: { stageId: SECOND_STAGE }, fresh: 'record', prepare: withDeal },
  'POST /v1/deals/{id}/won': { expect: writers(200), path: (f) => dealPath(f, '/won'), body: {}, fresh: 'record', prepare: withDeal },
  'POST /v1/deals/{id}/lost': { expect: writers(200), path: (f) => dealPath(f, '/lost'), body: { reason: 'Price' }, fresh: 'record', prepare: withDeal },
  'GET /v1/deals/{id}/history': { expect: salesReaders(200), path: (f) => dealPath(f, '/history'), prepare: withDeal },
  'GET /v1/forecast': { expect: salesReaders(200), path: () => '/v1/forecast?period=2026-Q4' },
  'GET /v1/quotas': { expect: salesReaders(200), path: () => '/v1/quotas?period=2026-Q4' },
  'GET /v1/quotas/{userId}/{period}': { expect: salesReaders(200), path: () => `/v1/quotas/${owner}/2026-Q4`, prepare: withQuota },
  'PUT /v1/quotas/{userId}/{period}': { expect: { ...all(403), admin: 200, manager: 200 }, path: () => `/v1/quotas/${otherRep}/2026-Q4`, body: { amount: { amount: 250000, currency: 'EUR' } } },
  'GET /v1/reports/sales': { expect: salesReaders(200), path: () => '/v1/reports/sales?period=2026-Q4' },
  'POST /v1/products': { expect: { ...all(403), admin: 201, manager: 201 }, path: () => '/v1/products', body: () => ({ sku: `MX-${Math.random().toString(36).slice(2, 10)}`, name: 'Matrix', prices: [{ amount: 100, currency: 'EUR' }], taxRateBp: 0 }) },
  'GET /v1/products': { expect: all(200), path: () => '/v1/products' },
  'GET /v1/products/{productId}': { expect: all(200), path: () => `/v1/products/${matrixProductId ?? NO_PRODUCT}`, prepare: withProduct },
  'PATCH /v1/products/{productId}': { expect: { ...all(403), admin: 200, manager: 200 }, path: () => `/v1/products/${matrixProductId ?? NO_PRODUCT}`, body: { description: 'Matrix' }, prepare: withProduct },
  'POST /v1/deals/{id}/quotes': { expect: writers(201), path: (f) => dealPath(f, '/quotes'), body: QUOTE_BODY, prepare: withDeal },
  'GET /v1/deals/{id}/quotes': { expect: salesReaders(200), path: (f) => dealPath(f, '/quotes'), prepare: withDeal },
  'GET /v1/quotes/{id}': { expect: salesReaders(200), path: (f) => quotePath(f), prepare: withQuote },
  'PATCH /v1/quotes/{id}': { expect: writers(200), path: (f) => quotePath(f), body: { discountBp: 100 }, prepare: withQuote },
  'POST /v1/quotes/{id}/send': { expect: writers(200), path: (f) => quotePath(f, '/send'), fresh: 'record', prepare: withQuote },
  'POST /v1/quotes/{id}/accept': { expect: writers(200), path: (f) => quotePath(f, '/accept'), fresh: 'record', prepare: withSentQuote },
  'POST /v1/quotes/{id}/reject': { expect: writers(200), path: (f) => quotePath(f, '/reject'), body: {}, fresh: 'record', prepare: withSentQuote },
  'POST /v1/quotes/{id}/revise': { expect: writers(201), path: (f) => quotePath(f, '/revise'), body: {}, fresh: 'record', prepare: withQuote },
  'GET /v1/customers/{id}/orders': { expect: readers(200), path: (f) => `/v1/customers/${f.customerId}/orders` },
  'GET /v1/orders/{id}': { expect: readers(200), path: (f) => `/v1/orders/${orderOf.get(f) ?? NO_ORDER}`, prepare: withOrder },
  'POST /v1/contracts': { expect: contractWriters(201), path: () => '/v1/contracts', body: (f: Fixture) => contractBody(f) },
  'GET /v1/contracts': { expect: { ...readers(200), sales: 403 }, path: () => '/v1/contracts' },
  'GET /v1/contracts/{id}': { expect: readers(200), path: (f) => `/v1/contracts/${contractOf.get(f) ?? NO_CONTRACT}`, prepare: withContract },
  'PATCH /v1/contracts/{id}': { expect: contractWriters(200), path: (f) => `/v1/contracts/${contractOf.get(f) ?? NO_CONTRACT}`, body: { notes: 'Matrix' }, prepare: withContract },
  'GET /v1/customers/{id}/contracts': { expect: readers(200), path: (f) => `/v1/customers/${f.customerId}/contracts` },
  'GET /v1/customers/{id}/entitlements': { expect: readers(200), path: (f) => `/v1/customers/${f.customerId}/entitlements` },
  'POST /v1/kb/articles': { expect: contractWriters(201), path: () => '/v1/kb/articles', body: { title: 'Matrix', body: 'Matrix', category: 'matrix' } },
  'GET /v1/kb/articles': { expect: kbReaders(200), path: () => '/v1/kb/articles' },
  'GET /v1/kb/articles/{articleId}': { expect: kbReaders(200), path: () => `/v1/kb/articles/${matrixArticleId ?? NO_ARTICLE}`, prepare: withArticle },
  'PATCH /v1/kb/articles/{articleId}': { expect: contractWriters(200), path: () => `/v1/kb/articles/${matrixArticleId ?? NO_ARTICLE}`, body: { tags: ['matrix'] }, prepare: withArticle },
  'GET /v1/kb/articles/{articleId}/versions': { expect: kbReaders(200), path: () => `/v1/kb/articles/${matrixArticleId ?? NO_ARTICLE}/versions`, prepare: withArticle },
  // Self-service portal: the customer is the fixture's contact; its tickets are the fixture customer's.
  'POST /v1/portal/tickets': { expect: portal(201), path: () => '/v1/portal/tickets', body: { subject: 'Matrix' } },
  'GET /v1/portal/tickets': { expect: portal(200), path: () => '/v1/portal/tickets' },
  'GET /v1/portal/tickets/{id}': { expect: portal(200), path: (f) => `/v1/portal/tickets/${ticketOf.get(f) ?? NO_TICKET}`, prepare: withTicket },
  'GET /v1/portal/tickets/{id}/messages': { expect: portal(200), path: (f) => `/v1/portal/tickets/${ticketOf.get(f) ?? NO_TICKET}/messages`, prepare: withTicket },
  'POST /v1/portal/tickets/{id}/messages': { expect: portal(201), path: (f) => `/v1/portal/tickets/${ticketOf.get(f) ?? NO_TICKET}/messages`, body: { body: 'Matrix reply' }, prepare: withTicket },
  // A fresh ticket is not resolved (409: nothing to rate yet); no message of the customer's to attach to (400); no such file (404).
  'POST /v1/portal/tickets/{id}/rating': { expect: portal(409), path: (f) => `/v1/portal/tickets/${ticketOf.get(f) ?? NO_TICKET}/rating`, body: { rating: 5 }, prepare: withTicket },
  'POST /v1/portal/tickets/{id}/attachments': { expect: portal(400), path: (f) => `/v1/portal/tickets/${ticketOf.get(f) ?? NO_TICKET}/attachments`, body: { messageId: 'msg_00000000000000000000000000', fileName: 'a.png', contentType: 'image/png', size: 1 }, prepare: withTicket },
  'GET /v1/portal/tickets/{id}/attachments': { expect: portal(200), path: (f) => `/v1/portal/tickets/${ticketOf.get(f) ?? NO_TICKET}/attachments`, prepare: withTicket },
  'GET /v1/portal/tickets/{id}/attachments/{attachmentId}': { expect: portal(404), path: (f) => `/v1/portal/tickets/${ticketOf.get(f) ?? NO_TICKET}/attachments/att_00000000000000000000000000`, prepare: withTicket },
  'GET /v1/portal/kb/articles': { expect: portal(200), path: () => '/v1/portal/kb/articles' },
  'GET /v1/portal/kb/articles/{articleId}': { expect: portal(200), path: () => `/v1/portal/kb/articles/${matrixPublishedId ?? NO_ARTICLE}`, prepare: withPublishedArticle },
  'PUT /v1/commissions/plans/{planId}': { expect: { ...all(403), admin: 200 }, path: () => '/v1/commissions/plans/matrix-put', body: { name: 'Matrix put', currency: 'EUR', rateBp: 300, userIds: [] } },
  'GET /v1/commissions/plans': { expect: commissionReaders(200), path: () => '/v1/commissions/plans' },
  'GET /v1/commissions/plans/{planId}': { expect: commissionReaders(200), path: () => '/v1/commissions/plans/matrix', prepare: withPlan },
  'GET /v1/commissions/statements': { expect: commissionReaders(200), path: () => '/v1/commissions/statements?period=2026-Q4', prepare: withPlan },
  'PUT /v1/settings/service-rules': { expect: { admin: 200, manager: 403, sales: 403, marketing: 403, service: 403, analyst: 403 }, path: () => '/v1/settings/service-rules', body: RULES_BODY },
  'POST /v1/webhooks': { expect: adminOnly(201), path: () => '/v1/webhooks', body: { url: 'https://hooks.example.com/matrix', events: ['deal.*'], active: false } },
  'GET /v1/webhooks': { expect: adminOnly(200), path: () => '/v1/webhooks' },
  'GET /v1/webhooks/{id}': { expect: adminOnly(200), path: (f) => webhookPath(f), prepare: withWebhook },
  'PATCH /v1/webhooks/{id}': { expect: adminOnly(200), path: (f) => webhookPath(f), body: { description: 'Matrix' }, prepare: withWebhook },
  'DELETE /v1/webhooks/{id}': { expect: adminOnly(204), path: (f) => webhookPath(f), fresh: 'record', prepare: withWebhook },
  'POST /v1/webhooks/{id}/rotate-secret': { expect: adminOnly(200), path: (f) => webhookPath(f, '/rotate-secret'), body: {}, prepare: withWebhook },
  'GET /v1/webhooks/{id}/deliveries': { expect: adminOnly(200), path: (f) => webhookPath(f, '/deliveries'), prepare: withWebhook },
  // No delivery with this id: the admin passes authorization and gets 404.
  'POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver': { expect: adminOnly(404), path: (f) => webhookPath(f, '/deliveries/dlv_00000000000000000000000000/redeliver'), prepare: withWebhook },
  'POST /v1/api-keys': { expect: adminOnly(201), path: () => '/v1/api-keys', body: { name: 'Matrix', role: 'analyst' } },
  'GET /v1/api-keys': { expect: adminOnly(200), path: () => '/v1/api-keys' },
  'PATCH /v1/api-keys/{id}': { expect: adminOnly(200), path: (f) => `/v1/api-keys/${apiKeyOf.get(f)}`, body: { rateLimitPerMinute: 120 }, prepare: withApiKey },
  'DELETE /v1/api-keys/{id}': { expect: adminOnly(200), path: (f) => `/v1/api-keys/${apiKeyOf.get(f)}`, fresh: 'record', prepare: withApiKey },
};

/** What differs when the caller is an API key of the role: keys never manage keys. */
const KEY_EXPECT: Record<string, Partial<Expect>> = {
  'POST /v1/api-keys': { admin: 403 },
  'GET /v1/api-keys': { admin: 403 },
  'PATCH /v1/api-keys/{id}': { admin: 403 },
  'DELETE /v1/api-keys/{id}': { admin: 403 },
};

beforeAll(async () => {
  // s3: the attachment rows upload and download a file through the local S3.
  crm = await startTestStack({ s3: true, ses: true });
});
// The public unsubscribe (and survey, sign-up) rows need a valid token in their path, also in the
// authentication check below. Generous: the first requests load the handler modules.
beforeAll(async () => {
  await withUnsubscribeToken();
  await withCsatToken();
  await withSignupToken();
}, 240_000);
afterAll(async () => {
  agent.destroy();
  await crm?.stop();
});

describe('authorization matrix', () => {
  it('covers every route in the route table, and nothing else', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  for (const route of ROUTES) {
    const key = routeKey(route);
    const spec = MATRIX[key];
    if (!spec) continue;
    it(`${key}: each role gets its exact status`, () => checkRoute(route, spec, spec.expect), 120_000);
  }
});

/** How many independent checks run at once (the gateway and the engine each have a core at most). */
const POOL = 4;
/** Runs `each` over `items`, at most `size` at a time; rejects with the first failure once all have ended. */
async function inPool<T>(items: readonly T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const results = await Promise.allSettled(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await each(items[next++]!);
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function checkRoute(route: (typeof ROUTES)[number], spec: Case, expected: Expect): Promise<void> {
  const key = routeKey(route);
  const got: Partial<Record<Role, number>> = {};
  const call = async (role: Role, f: Fixture) => {
    const res = await send(route.method, spec.path(f), { ...as(role, f), body: bodyOf(spec, f) });
    got[role] = res.status;
    if (res.status >= 400) expect(res.contentType, `${key} as ${role}`).toBe('application/problem+json');
  };
  const statuses = withCustomer(route, expected);
  const allowed = ROLES.filter((role) => statuses[role] < 400);
  const refused = ROLES.filter((role) => statuses[role] >= 400);
  // A read every let-through role answers 200 to changes nothing either (the GETs that write, the
  // CSV exports, answer 202; public routes may record what they are sent): those roles ask at once.
  const readsOnly = route.method === 'GET' && route.permission !== 'public' && allowed.every((role) => statuses[role] === 200);
  /**
   * The refusals first and at once: a refused request changes nothing (one that did would fail on
   * its own status). Then the roles let through: at once on a read, else in turn — a role's write
   * may change what the next one meets, and concurrent transactions on one item conflict.
   */
  const run = async (roles: readonly Role[], f: Fixture) => {
    await settle(roles.filter((role) => statuses[role] >= 400).map((role) => call(role, f)));
    const through = roles.filter((role) => statuses[role] < 400);
    if (readsOnly) await settle(through.map((role) => call(role, f)));
    else for (const role of through) await call(role, f);
  };
  const shared = await groupFixture(route);
  if (spec.fresh) {
    // Each role the route lets through acts on what it changes of its own. The refused roles go
    // first, on the first let-through role's record: that role's success then shows they left it intact.
    const slots: Role[][] = allowed.length > 0 ? allowed.map((role, i) => (i === 0 ? [...refused, role] : [role])) : [refused];
    if (spec.fresh === 'customer') {
      // A customer of its own per slot: nothing is shared between them, so the slots run at once.
      const fixtures = await Promise.all(slots.map(() => ownCustomer(shared)));
      for (const f of fixtures) await spec.prepare?.(f);
      await settle(slots.map((roles, i) => run(roles, fixtures[i]!)));
    } else {
      // Records of its own per slot (a fixture object of its own: the prepares cache per object) of
      // the feature's customer. One after another: their transactions check that one customer.
      for (const roles of slots) {
        const f = { ...shared };
        await spec.prepare?.(f);
        await run(roles, f);
      }
    }
  } else {
    // The feature's fixture for all roles.
    await spec.prepare?.(shared);
    await run(ROLES, shared);
  }
  expect(got).toEqual(statuses);
}

/** Awaits every promise (none is left running when the check ends), then rejects with the first failure. */
async function settle(pending: readonly Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(pending)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * The same matrix with machine clients: one API key per role (functions/apikeys/), sent as
 * `x-api-key` through the gateway's API key authorizer. A key acts as its role, owning what it
 * creates, so the records the matrix treats as the sales rep's are owned by the sales key here.
 */
describe('authorization matrix with API keys', () => {
  beforeAll(async () => {
    const keys = {} as Record<StaffRole, string>;
    for (const role of STAFF_ROLES) {
      const res = await send('POST', '/v1/api-keys', { role: 'admin', body: { name: `Matrix ${role}`, role } });
      expect(res.status).toBe(201);
      keys[role] = res.body.key;
      if (role === 'sales') owner = res.body.id;
    }
    keyOf = keys;
    matrixPlan = false;
  });
  afterAll(() => {
    keyOf = undefined;
    owner = SALES_REPS[0]!.id;
    matrixPlan = false;
  });

  // A key differs from a token only in how the caller is authenticated: after that the same chain
  // decides. So every action (not every route) runs here with every role's key — the first route
  // of each action, its read routes with a record, and every route a key treats differently.
  const seen = new Set<string>();
  for (const route of ROUTES) {
    const key = routeKey(route);
    const spec = MATRIX[key];
    // Public routes take no key; the machine API has no portal routes (test/integration/portal.test.ts).
    if (!spec || authorizerOf(route) !== 'staff') continue;
    const variant = `${route.permission} ${route.method === 'GET' && route.path.includes('{') ? 'record' : route.method === 'GET' ? 'list' : 'write'}`;
    if (seen.has(variant) && !KEY_EXPECT[key]) continue;
    seen.add(variant);
    it(`${key}: each role's API key gets its exact status`, () => checkRoute(route, spec, { ...spec.expect, ...KEY_EXPECT[key] }), 120_000);
  }
});

describe('authentication', () => {
  it('answers 401 problem+json without a token or with a bad one on every protected route, 200 on public ones', async () => {
    // The gateway refuses before any record is read: the matrix owner's customer and contact name the paths.
    const f = await once(ownerFixtures, owner, () => fixture(owner));
    const check = async (route: (typeof ROUTES)[number]) => {
      const spec = MATRIX[routeKey(route)]!;
      for (const token of [undefined, 'not.a.jwt', `${await tokenOf('admin')}x`]) {
        const res = await send(route.method, spec.path(f), { token, body: bodyOf(spec, f) });
        if (route.permission === 'public') expect(res.status, routeKey(route)).toBe(spec.expect.admin);
        else {
          expect(res.status, `${routeKey(route)} token=${token}`).toBe(401);
          expect(res.contentType).toBe('application/problem+json');
        }
      }
    };
    // Public routes run their handlers: one after the other, as a client would call them. The
    // gateway refuses every other request before a handler runs, so those go a few at a time.
    for (const route of ROUTES.filter((r) => r.permission === 'public')) await check(route);
    await inPool(ROUTES.filter((r) => r.permission !== 'public'), POOL, check);
  }, 180_000);
});

describe('row-level visibility of another rep\'s records', () => {
  it('answers 404 to a sales rep on every record route of a customer they do not own', async () => {
    // Routes whose permission a sales rep lacks answer 403 before any record is read (the matrix above).
    // Fixtures as in the matrix, owned by the other rep. The preparations run one after another
    // (they write to the features' shared customers); the refusals change nothing, a few at a time.
    // So the records a route would change (`fresh: 'record'`) are the feature's own here: nothing
    // changes them. Only a route whose preparation changes the customer (archiving it before a
    // restore) gets a customer of its own, so no other route meets an archived one.
    const cases: { route: (typeof ROUTES)[number]; spec: Case; f: Fixture }[] = [];
    for (const route of ROUTES.filter((r) => r.path.includes('{id}') && r.permission !== 'public' && scopeOf('sales', r.permission))) {
      const spec = MATRIX[routeKey(route)]!;
      const shared = await groupFixture(route, otherRep);
      const f = spec.fresh === 'customer' ? await ownCustomer(shared) : shared;
      await spec.prepare?.(f);
      cases.push({ route, spec, f });
    }
    await inPool(cases, POOL, async ({ route, spec, f }) => {
      const res = await send(route.method, spec.path(f), { role: 'sales', userId: owner, body: bodyOf(spec, f) });
      expect(res.status, routeKey(route)).toBe(404);
    });
  }, 180_000);
});
