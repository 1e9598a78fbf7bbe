/**
 * Record events do not leak records. A customer's history and timeline hold events of records
 * that have their own permissions and owners (a deal of another rep, an order, a contact …). For
 * every kind of record that writes into a customer's partition and every role, an event is shown
 * only to a caller who could read the record through its own GET route (for a deleted record:
 * could read it just before it was deleted), every readable record's events are shown, and no
 * personal value appears in clear where the caller's masking would hide it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALES_REPS } from '../../local/demo-users';
import { PERMISSIONS, type Role } from '../../functions/security/permissions';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id; // owns the customer
const rep2 = SALES_REPS[1]!.id; // owns some deals on it
const rep3 = SALES_REPS[2]!.id; // owns nothing here

interface Actor { name: string; role: Role; userId?: string }
const ACTORS: Actor[] = [
  { name: 'admin', role: 'admin' },
  { name: 'manager', role: 'manager' },
  { name: 'sales (customer owner)', role: 'sales', userId: rep1 },
  { name: 'sales (owner of other deals)', role: 'sales', userId: rep2 },
  { name: 'sales (unrelated)', role: 'sales', userId: rep3 },
  { name: 'marketing', role: 'marketing' },
  { name: 'service', role: 'service' },
  { name: 'analyst', role: 'analyst' },
];

/** The GET route of each kind of record an event can describe. */
const RECORD_ROUTES: Record<string, (id: string) => string> = {
  customer: (id) => `/v1/customers/${id}`,
  contact: (id) => `/v1/contacts/${id}`,
  activity: (id) => `/v1/activities/${id}`,
  asset: (id) => `/v1/assets/${id}`,
  deal: (id) => `/v1/deals/${id}`,
  order: (id) => `/v1/orders/${id}`,
  quote: (id) => `/v1/quotes/${id}`,
  lead: (id) => `/v1/leads/${id}`,
  task: (id) => `/v1/tasks/${id}`,
};

const tag = Math.random().toString(36).slice(2, 8);
/** Values that must never appear in clear in an event (audit entries redact them for everyone). */
const SENSITIVE = {
  customerEmail: `owner-${tag}@visibility.example`,
  customerPhone: '+49 30 55501234',
  taxId: `DE99${tag}`,
  street: `Hidden street ${tag}`,
  contactEmail: `contact-${tag}@visibility.example`,
  contactPhone: '+49 170 5550199',
  activityContent: `private call notes ${tag}`,
  participantEmail: `guest-${tag}@visibility.example`,
};

type Ref = { entityType: string; entityId: string; secrets: string[] };
const records: Ref[] = [];
/** Who could read each record (`<type>#<id>` → actor name → readable), taken before deletions. */
const readable = new Map<string, Map<string, boolean>>();
let customerId = '';

const refKey = (entityType: string, entityId: string) => `${entityType}#${entityId}`;

async function ok(method: string, path: string, body?: unknown, actor: Actor = { name: 'admin', role: 'admin' }) {
  const res = await crm.request(method, path, { role: actor.role, userId: actor.userId, body });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
}

function track(entityType: string, entityId: string, secrets: string[] = []) {
  records.push({ entityType, entityId, secrets });
}

async function snapshot(ref: Ref) {
  const seen = new Map<string, boolean>();
  for (const actor of ACTORS) {
    const res = await crm.request('GET', RECORD_ROUTES[ref.entityType]!(ref.entityId), { role: actor.role, userId: actor.userId });
    expect([200, 403, 404], `${actor.name} GET ${ref.entityType}`).toContain(res.status);
    seen.set(actor.name, res.status === 200);
  }
  readable.set(refKey(ref.entityType, ref.entityId), seen);
}

async function deleteAfterSnapshot(ref: Ref, path: string) {
  await snapshot(ref);
  const res = await crm.request('DELETE', path, { role: 'admin' });
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
}

async function walk(actor: Actor, path: string): Promise<{ status: number; items: any[]; text: string }> {
  const items: any[] = [];
  let text = '';
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await crm.request('GET', `${path}${sep}limit=7${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { role: actor.role, userId: actor.userId });
    if (res.status !== 200) return { status: res.status, items, text: res.text };
    items.push(...res.body.items);
    text += res.text;
    cursor = res.body.nextCursor;
    if (!cursor) break;
  }
  return { status: 200, items, text };
}

beforeAll(async () => {
  crm = await startTestStack();
  const customer = await ok('POST', '/v1/customers', {
    type: 'company', name: `Visible Co ${tag}`, ownerId: rep1, email: SENSITIVE.customerEmail, phone: SENSITIVE.customerPhone,
    taxId: SENSITIVE.taxId, address: { line1: SENSITIVE.street, postalCode: '10115', city: 'Berlin', country: 'DE' },
  });
  customerId = customer.id;
  await ok('PATCH', `/v1/customers/${customerId}`, { tier: 'A', industry: 'Retail' });
  track('customer', customerId);

  const contact = await ok('POST', `/v1/customers/${customerId}/contacts`, { lastName: `Contact ${tag}`, email: SENSITIVE.contactEmail, phone: SENSITIVE.contactPhone });
  await ok('PATCH', `/v1/contacts/${contact.id}`, { jobTitle: 'Buyer', phone: '+49 170 5550200' });
  track('contact', contact.id);
  const goneContact = await ok('POST', `/v1/customers/${customerId}/contacts`, { lastName: `Gone ${tag}` });
  track('contact', goneContact.id);
  await deleteAfterSnapshot(records.at(-1)!, `/v1/contacts/${goneContact.id}`);

  // Deals: the customer owner's, another rep's (won, with a reason), another rep's deleted one,
  // and one handed from the customer owner to another rep (judged by its current owner).
  const pipeline = await ok('GET', '/v1/pipelines');
  const deal = async (ownerId: string, name: string, amount: number) => ok('POST', '/v1/deals', { name, customerId, ownerId, amount: { amount, currency: 'EUR' } });
  const mine = await deal(rep1, `Own deal ${tag}`, 111_111);
  track('deal', mine.id, [mine.name]);
  const hidden = await deal(rep2, `Hidden deal ${tag}`, 987_654);
  const stages = (pipeline.items as any[]).find((p) => p.id === hidden.pipelineId)?.stages ?? [];
  const next = stages.find((s: any) => s.id !== hidden.stageId && !s.retiredAt);
  if (next) await ok('POST', `/v1/deals/${hidden.id}/stage`, { stageId: next.id });
  await ok('POST', `/v1/deals/${hidden.id}/won`, { reason: `secret won reason ${tag}` });
  track('deal', hidden.id, [hidden.name, '987654', `secret won reason ${tag}`]);
  const gone = await deal(rep2, `Deleted deal ${tag}`, 555_555);
  track('deal', gone.id, [gone.name, '555555']);
  await deleteAfterSnapshot(records.at(-1)!, `/v1/deals/${gone.id}`);
  const ownGone = await deal(rep1, `Own deleted deal ${tag}`, 222_222);
  track('deal', ownGone.id, [ownGone.name]);
  await deleteAfterSnapshot(records.at(-1)!, `/v1/deals/${ownGone.id}`);
  const handed = await deal(rep1, `Handed deal ${tag}`, 444_444);
  await ok('PATCH', `/v1/deals/${handed.id}`, { ownerId: rep2, name: `Handed deal renamed ${tag}` });
  track('deal', handed.id, [`Handed deal renamed ${tag}`, '444444']);

  // Orders: one from the customer owner's deal, one from the other rep's deal (orders follow the customer).
  for (const d of [mine, hidden]) {
    const quote = await ok('POST', `/v1/deals/${d.id}/quotes`, { validUntil: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10), lines: [{ description: 'Line', unitPrice: 1234, quantity: 1, taxRateBp: 0 }] });
    await ok('POST', `/v1/quotes/${quote.id}/send`);
    const accepted = await ok('POST', `/v1/quotes/${quote.id}/accept`);
    track('order', accepted.orderId);
  }

  const activity = await ok('POST', '/v1/activities', {
    customerId, type: 'call', direction: 'outbound', subject: `Call ${tag}`, content: SENSITIVE.activityContent,
    participants: [{ name: 'Guest Person', email: SENSITIVE.participantEmail }], links: { contactId: contact.id },
  }, { name: 'rep1', role: 'sales', userId: rep1 });
  await ok('PATCH', `/v1/activities/${activity.id}`, { outcome: 'Call back next week' });
  track('activity', activity.id);
  const goneActivity = await ok('POST', '/v1/activities', { customerId, type: 'note', content: SENSITIVE.activityContent });
  track('activity', goneActivity.id);
  await deleteAfterSnapshot(records.at(-1)!, `/v1/activities/${goneActivity.id}`);

  const asset = await ok('POST', `/v1/customers/${customerId}/assets`, { productName: `Boiler ${tag}`, category: 'heating', purchaseDate: '2024-03-01' });
  await ok('PATCH', `/v1/assets/${asset.id}`, { serialNumber: `SN-${tag}` });
  track('asset', asset.id);
  const goneAsset = await ok('POST', `/v1/customers/${customerId}/assets`, { productName: `Old boiler ${tag}`, category: 'heating', purchaseDate: '2020-03-01' });
  track('asset', goneAsset.id);
  await deleteAfterSnapshot(records.at(-1)!, `/v1/assets/${goneAsset.id}`);

  for (const ref of records) if (!readable.has(refKey(ref.entityType, ref.entityId))) await snapshot(ref);
}, 180_000);

afterAll(async () => {
  await crm?.stop();
});

const canReach = (role: Role, action: 'activities:read' | 'customers:history' | 'pii:read', ownerId: string, userId: string | undefined) => {
  const scope = PERMISSIONS[role][action];
  return scope === 'all' || (scope === 'own' && ownerId === userId);
};

/** The (entityType, entityId) of every record event in a page item of the timeline or the history. */
function eventsOf(items: any[]): { entityType: string; entityId: string; json: string }[] {
  return items
    .filter((item) => item.kind !== 'activity')
    .map((item) => {
      const event = item.kind === 'record' ? item.record : item;
      return { entityType: event.entityType, entityId: event.entityId, json: JSON.stringify(item) };
    });
}

describe.each(ACTORS)('record events as $name', (actor) => {
  const userId = actor.userId ?? (actor.role === 'sales' ? rep1 : undefined);

  for (const [label, path, action] of [
    ['timeline', (id: string) => `/v1/customers/${id}/timeline`, 'activities:read'],
    ['timeline of record events', (id: string) => `/v1/customers/${id}/timeline?type=record`, 'activities:read'],
    ['history', (id: string) => `/v1/customers/${id}/history`, 'customers:history'],
  ] as const) {
    it(`${label}: shows exactly the events of records the caller can read, with nothing personal in clear`, async () => {
      const res = await walk(actor, path(customerId));
      const reachable = canReach(actor.role, action, rep1, userId);
      if (!reachable) {
        expect([403, 404]).toContain(res.status);
        return;
      }
      expect(res.status, res.text).toBe(200);
      const events = eventsOf(res.items);
      const kindsWritten = new Set(records.map((r) => r.entityType));
      for (const event of events) {
        // Every kind that shows up is one this test covers (a new kind writing into the partition must be added here).
        expect(Object.keys(RECORD_ROUTES), `unexpected kind ${event.entityType}`).toContain(event.entityType);
        expect(kindsWritten.has(event.entityType), `event of a kind this test did not write: ${event.json}`).toBe(true);
        const seen = readable.get(refKey(event.entityType, event.entityId));
        expect(seen, `event of an untracked record ${event.json}`).toBeDefined();
        expect(seen!.get(actor.name), `${actor.name} sees an event of ${event.entityType} ${event.entityId} it cannot GET: ${event.json}`).toBe(true);
        for (const value of Object.values(SENSITIVE)) expect(event.json, `${value} in clear in an event`).not.toContain(value);
      }
      // Completeness: every record the caller can read has its events here. The history holds every
      // record's entries; the timeline only key events (activities appear as themselves, not as records).
      const shown = new Set(events.map((e) => refKey(e.entityType, e.entityId)));
      for (const ref of records) {
        const key = refKey(ref.entityType, ref.entityId);
        const expected = readable.get(key)!.get(actor.name) && (label === 'history' || ref.entityType !== 'activity');
        expect(shown.has(key), `${actor.name}: ${key} ${expected ? 'missing' : 'shown'}`).toBe(expected);
        // Nothing of a record the caller cannot read appears anywhere in the answer.
        if (!readable.get(key)!.get(actor.name)) for (const secret of ref.secrets) expect(res.text).not.toContain(secret);
      }
      // Masking: a caller without personal-data rights on the customer sees none of it in clear anywhere.
      if (!canReach(actor.role, 'pii:read', rep1, userId)) {
        for (const value of Object.values(SENSITIVE)) expect(res.text, `${value} in clear`).not.toContain(value);
      }
    });
  }
});

describe('links to records the caller may not read', () => {
  it('an activity cannot link a deal the caller may not read: the same 400 as for a deal that does not exist', async () => {
    const theirs = await ok('POST', '/v1/deals', { name: `Their deal ${tag}`, customerId, ownerId: rep2, amount: { amount: 1, currency: 'EUR' } });
    const mine = await ok('POST', '/v1/deals', { name: `My deal ${tag}`, customerId, ownerId: rep1, amount: { amount: 1, currency: 'EUR' } });
    const post = (who: { role: Role; userId?: string }, dealId: string) =>
      crm.request('POST', '/v1/activities', { role: who.role, userId: who.userId, body: { customerId, type: 'note', links: { dealId } } });
    const hidden = await post({ role: 'sales', userId: rep1 }, theirs.id);
    const missing = await post({ role: 'sales', userId: rep1 }, 'deal_00000000000000000000000000');
    expect(hidden.status, hidden.text).toBe(400);
    expect(hidden.body.errors).toEqual([{ path: 'links.dealId', message: 'No such record of this customer' }]);
    expect(missing.body.errors).toEqual(hidden.body.errors);
    expect((await post({ role: 'service' }, theirs.id)).status).toBe(400); // service reads no deals
    expect((await post({ role: 'sales', userId: rep1 }, mine.id)).status).toBe(201);
    // A link someone who may read the deal made stays: the rep can still change the activity.
    const linked = await post({ role: 'admin' }, theirs.id);
    expect(linked.status, linked.text).toBe(201);
    const patched = await crm.request('PATCH', `/v1/activities/${linked.body.id}`, { role: 'sales', userId: rep1, body: { subject: 'Follow-up' } });
    expect(patched.status, patched.text).toBe(200);
  });
});

describe('record-event kinds', () => {
  it('the admin sees events of every kind this test writes (the walk above covers each kind)', async () => {
    const res = await walk(ACTORS[0]!, `/v1/customers/${customerId}/history`);
    expect(new Set(eventsOf(res.items).map((e) => e.entityType))).toEqual(new Set(['customer', 'contact', 'deal', 'order', 'activity', 'asset']));
  });

  it('an own-scope caller pays one extra BatchGetItem only on pages with deal events', async () => {
    const owner = ACTORS[2]!;
    const all = await crm.request('GET', `/v1/customers/${customerId}/history?limit=100`, { role: owner.role, userId: owner.userId });
    const manager = await crm.request('GET', `/v1/customers/${customerId}/history?limit=100`, { role: 'manager' });
    const ownerCommands = all.headers.get('x-db-commands')!.split(',');
    const managerCommands = manager.headers.get('x-db-commands')!.split(',');
    expect(managerCommands).not.toContain('BatchGetItem');
    expect(ownerCommands).toEqual([...managerCommands, 'BatchGetItem']);
  });
});
