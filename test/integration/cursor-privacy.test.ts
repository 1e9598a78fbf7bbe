/**
 * Cursors reveal nothing and own-scope lists read only the caller's own partitions. A sales rep
 * walking the deals board (and their archived customers, and the commission plans) one item at a
 * time never meets another rep's record: not in the items, not inside any cursor, and not as an
 * extra (empty) page that a filtered-away record would cause. Cursors are AES-GCM sealed: opaque,
 * different every time, and any change, truncation or replay against another query or user is a
 * 400 problem. A cursor sealed before a key rotation keeps working for one rotation, as
 * docs/operations.md promises, and stops after the second.
 * HTTP through the local gateway against DynamoDB Local.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { resetConfigForTests } from '../../functions/config';
import { cursorKeyFromSecret, openCursor, resetCursorKeyForTests, sealCursor } from '../../functions/data/cursor';
import { planList as planCustomerList } from '../../functions/customers/service';
import { planBoard, planDealList } from '../../functions/deals/service';
import { planList as planLeadList } from '../../functions/leads/service';
import type { Principal } from '../../functions/security/principal';
import { planTaskList } from '../../functions/tasks/service';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;
const rep3 = SALES_REPS[2]!.id;

interface Page { status: number; body: { items: Record<string, any>[]; nextCursor: string | null }; headers: Headers }

const withCursor = (path: string, cursor: string | null | undefined) =>
  cursor ? `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}` : path;

/** Every page of a list, as `role`/`userId` sees it. */
async function walk(path: string, role: 'sales' | 'manager' | 'admin', userId?: string) {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const res = (await crm.request('GET', withCursor(path, cursor), { role, userId })) as Page;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    pages.push(res);
    cursor = res.body.nextCursor;
    expect(pages.length, 'walk does not end').toBeLessThan(200);
  } while (cursor);
  return { pages, items: pages.flatMap((p) => p.body.items), cursors: pages.map((p) => p.body.nextCursor).filter((c): c is string => c !== null) };
}

/** What a curious client gets out of a cursor: its characters, and its bytes decoded every way. */
function readable(cursor: string): string {
  const views = [cursor];
  for (const part of cursor.split(/[.~]/)) {
    for (const encoding of ['base64url', 'base64'] as const) {
      const bytes = Buffer.from(part, encoding);
      views.push(bytes.toString('utf8'), bytes.toString('latin1'));
    }
  }
  return views.join('\n');
}

function expectOpaque(cursor: string, secrets: string[]) {
  const text = readable(cursor);
  for (const secret of secrets) expect(text, `cursor reveals ${secret}`).not.toContain(secret);
}

async function customer(ownerId: string, name = `Cursor Co ${randomBytes(3).toString('hex')}`) {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name, ownerId } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string };
}

async function deal(body: Record<string, unknown>) {
  const res = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: `Deal ${randomBytes(3).toString('hex')}`, amount: { amount: 100_000, currency: 'EUR' }, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; ownerId: string; stageId: string; expectedCloseDate?: string };
}

let pipelineId: string;
let otherPipelineId: string;
let stages: string[];
const mine: string[] = [];
const theirs: { id: string; stageId: string; expectedCloseDate?: string }[] = [];

beforeAll(async () => {
  crm = await startTestStack();
  const created = await crm.request('POST', '/v1/pipelines', { role: 'admin', body: { name: 'Cursor board', currency: 'EUR', stages: [{ name: 'One', probability: 20 }, { name: 'Two', probability: 60 }] } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  pipelineId = created.body.id;
  stages = created.body.stages.map((s: { id: string }) => s.id);
  const other = await crm.request('POST', '/v1/pipelines', { role: 'admin', body: { name: 'Other board', currency: 'EUR', stages: [{ name: 'Only', probability: 50 }] } });
  otherPipelineId = other.body.id;

  const c1 = (await customer(rep1)).id;
  const c2 = (await customer(rep2)).id;
  const c3 = (await customer(rep3)).id;
  // Other reps' deals sort between and around rep1's on the board (same stage, close dates interleaved).
  let day = 10;
  for (let i = 0; i < 3; i++) {
    for (const [owner, customerId] of [[rep2, c2], [rep1, c1], [rep3, c3]] as const) {
      const d = await deal({ customerId, ownerId: owner, pipelineId, stageId: stages[i % 2], expectedCloseDate: `2027-03-${String(day++).padStart(2, '0')}` });
      if (owner === rep1) mine.push(d.id);
      else theirs.push(d);
    }
  }
  // rep1's own deals that are not on this board: one won, one in another pipeline.
  const won = await deal({ customerId: c1, ownerId: rep1, pipelineId, stageId: stages[0], expectedCloseDate: '2027-03-01' });
  expect((await crm.request('POST', `/v1/deals/${won.id}/won`, { role: 'admin', body: {} })).status).toBe(200);
  await deal({ customerId: c1, ownerId: rep1, pipelineId: otherPipelineId, expectedCloseDate: '2027-03-02' });
});
afterAll(async () => {
  await crm?.stop();
});

describe('the deals board, one item at a time', () => {
  it('shows a rep only their open deals of the pipeline, and no cursor or extra page betrays anyone else\'s', async () => {
    const { pages, items, cursors } = await walk(`/v1/pipelines/${pipelineId}/deals?limit=1`, 'sales', rep1);
    expect(items.map((d) => d.id).sort()).toEqual([...mine].sort());
    expect(items.every((d) => d.ownerId === rep1 && d.status === 'open' && d.pipelineId === pipelineId)).toBe(true);
    // The rep's own partition holds 5 deals (3 on this board, 1 won, 1 elsewhere): at most one page
    // each plus the last. Reading the shared board would add a page per other rep's deal (9 + 1).
    expect(pages.length).toBeLessThanOrEqual(5 + 1);
    expect(cursors.length).toBeGreaterThan(0);
    for (const cursor of cursors) {
      expectOpaque(cursor, [...theirs.map((d) => d.id), ...theirs.map((d) => d.expectedCloseDate!), rep2, rep3, 'DEAL', 'deal_', 'stg_', 'pip_', pipelineId]);
    }
  });

  it('does the same for one stage column', async () => {
    const { items, cursors } = await walk(`/v1/pipelines/${pipelineId}/deals?stage=${stages[0]}&limit=1`, 'sales', rep1);
    const expected = (await Promise.all(mine.map((id) => crm.request('GET', `/v1/deals/${id}`, { role: 'admin' }))))
      .map((r) => r.body).filter((d) => d.stageId === stages[0]).map((d) => d.id);
    expect(items.map((d) => d.id).sort()).toEqual(expected.sort());
    for (const cursor of cursors) expectOpaque(cursor, [...theirs.map((d) => d.id), rep2, rep3, 'deal_']);
  });

  it('gives a manager every open deal, in board order, through cursors that are opaque all the same', async () => {
    const { items, cursors } = await walk(`/v1/pipelines/${pipelineId}/deals?limit=1`, 'manager');
    expect(items.map((d) => d.id).sort()).toEqual([...mine, ...theirs.map((d) => d.id)].sort());
    const order = items.map((d) => `${d.stageId}#${d.expectedCloseDate}`);
    expect(order).toEqual([...order].sort());
    for (const cursor of cursors) expectOpaque(cursor, [...items.map((d) => d.id), 'DEAL', 'deal_', 'stg_', '2027-03']);
  });
});

describe('cursors are sealed', () => {
  const problem = (res: { status: number; headers: Headers; body: any }, label: string) => {
    expect(res.status, label).toBe(400);
    expect(res.headers.get('content-type'), label).toBe('application/problem+json');
    expect(res.body.errors[0].path, label).toBe('cursor');
  };

  it('are different on every answer, and each works', async () => {
    const path = `/v1/pipelines/${pipelineId}/deals?limit=2`;
    const [a, b] = [await crm.request('GET', path, { role: 'manager' }), await crm.request('GET', path, { role: 'manager' })];
    expect(a.body.nextCursor).not.toBe(b.body.nextCursor);
    const [nextA, nextB] = [await crm.request('GET', withCursor(path, a.body.nextCursor), { role: 'manager' }), await crm.request('GET', withCursor(path, b.body.nextCursor), { role: 'manager' })];
    expect(nextA.status).toBe(200);
    expect(nextA.body.items).toEqual(nextB.body.items);
  });

  it('open only as sealed: no other spelling of the last character, no other key, no other query', () => {
    const key = cursorKeyFromSecret('k');
    const lastKey = { pk: 'DEAL#deal_1', sk: '#DEAL', gsi2pk: 'DEALS#BOARD#pip_1', gsi2sk: 'stg_1#2027-03-10#deal_1' };
    for (let n = 0; n < 20; n++) {
      const cursor = sealCursor(key, { ...lastKey, n }, 'board');
      expect(openCursor([key], cursor, 'board')).toEqual({ ...lastKey, n });
      expect(openCursor([cursorKeyFromSecret('other')], cursor, 'board')).toBeUndefined();
      expect(openCursor([key], cursor, 'board:other')).toBeUndefined();
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      for (const c of alphabet) {
        if (c !== cursor.at(-1)) expect(openCursor([key], cursor.slice(0, -1) + c, 'board')).toBeUndefined();
      }
    }
  });

  it('answer 400 when changed, cut, extended, forged in the old readable format, or replayed elsewhere', async () => {
    const path = `/v1/pipelines/${pipelineId}/deals?limit=1`;
    const good: string = (await crm.request('GET', path, { role: 'manager' })).body.nextCursor;
    const raw = Buffer.from(good, 'base64url');
    const variants: Record<string, string> = {};
    for (const at of [0, 1, 13, Math.floor(raw.length / 2), raw.length - 1]) {
      const flipped = Buffer.from(raw);
      flipped[at] = flipped[at]! ^ 0x01;
      variants[`byte ${at} flipped`] = flipped.toString('base64url');
    }
    variants.truncated = raw.subarray(0, raw.length - 4).toString('base64url');
    variants.extended = Buffer.concat([raw, Buffer.from([0])]).toString('base64url');
    variants['not base64url'] = `${good.slice(0, -2)}+/`;
    variants.empty = '';
    // A cursor in the signed-but-readable format of before: never accepted, whatever key signed it.
    const payload = Buffer.from(JSON.stringify({ k: { pk: 'DEAL#x', sk: '#DEAL' }, f: 'x' })).toString('base64url');
    variants['legacy format'] = `${payload}.${createHmac('sha256', 'guess').update(payload).digest('base64url')}`;
    for (const [label, bad] of Object.entries(variants)) {
      problem(await crm.request('GET', `${path}&cursor=${encodeURIComponent(bad)}`, { role: 'manager' }), label);
    }
    // The same cursor for another query, another pipeline, or a rep (whose board is another query).
    problem(await crm.request('GET', withCursor(`/v1/pipelines/${pipelineId}/deals?stage=${stages[0]}&limit=1`, good), { role: 'manager' }), 'other stage');
    problem(await crm.request('GET', withCursor(`/v1/pipelines/${otherPipelineId}/deals?limit=1`, good), { role: 'manager' }), 'other pipeline');
    problem(await crm.request('GET', withCursor(path, good), { role: 'sales', userId: rep1 }), 'rep replays the manager\'s cursor');
    const repCursor: string = (await crm.request('GET', path, { role: 'sales', userId: rep1 })).body.nextCursor;
    problem(await crm.request('GET', withCursor(path, repCursor), { role: 'sales', userId: rep2 }), 'another rep replays it');
    problem(await crm.request('GET', withCursor('/v1/deals?limit=1', repCursor), { role: 'sales', userId: rep1 }), 'board cursor on the deal list');
  });
});

describe('every own-scope list plan', () => {
  it('reads a partition keyed by the caller, never a shared one filtered by owner', () => {
    const me: Principal = { userId: rep1, role: 'sales', groups: ['sales'] };
    const plans = [
      ...([{}, { tier: 'A' }, { lifecycleStage: 'lead' }, { tag: 'vip' }, { q: 'ac' }, { ownerId: rep1 }, { archived: 'true' }, { archived: 'true', tier: 'A', tag: 'vip' }] as const)
        .map((q) => ['customers', q, planCustomerList(me, 'own', q)] as const),
      ...([{}, { status: 'new' }, { source: 'web' }, { q: 'x' }] as const).map((q) => ['leads', q, planLeadList(me, 'own', q)] as const),
      ...([{}, { status: 'open' }, { pipelineId: 'pip_1', stageId: 'stg_1' }, { from: '2027-01-01', to: '2027-02-01' }] as const)
        .map((q) => ['deals', q, planDealList(me, 'own', q)] as const),
      ...[{}, { stage: 'stg_1' }].map((q) => ['board', q, planBoard(me, 'own', 'pip_1', q)] as const),
      ...[{}, { customerId: 'cus_1' }, { status: 'done' as const }, { due: 'overdue' as const }]
        .map((q) => ['tasks', q, planTaskList(me, 'own', q, new Date(), 'Europe/Berlin')] as const),
    ];
    for (const [list, query, plan] of plans) {
      const label = `${list} ${JSON.stringify(query)}`;
      expect(plan, label).not.toBe('empty');
      if (plan === 'empty') continue;
      expect(plan.partition, label).toContain(rep1);
      expect(Object.keys(plan.filters), label).not.toContain('ownerId');
    }
    // Someone else's records as a filter: nothing is read at all.
    expect(planCustomerList(me, 'own', { ownerId: rep2, archived: 'true' })).toBe('empty');
    expect(planDealList(me, 'own', { ownerId: rep2 })).toBe('empty');
    expect(planLeadList(me, 'own', { ownerId: rep2 })).toBe('empty');
  });
});

describe('other own-scope lists', () => {
  it('lists a rep\'s archived customers from their own partition', async () => {
    const own = [await customer(rep1, 'Archive Alpha'), await customer(rep1, 'Archive Delta')];
    const others = [await customer(rep2, 'Archive Beta'), await customer(rep3, 'Archive Charlie'), await customer(rep2, 'Archive Bravo'), await customer(rep3, 'Archive Echo')];
    for (const c of [...own, ...others]) expect((await crm.request('DELETE', `/v1/customers/${c.id}`, { role: 'admin' })).status).toBe(200);

    const { pages, items, cursors } = await walk('/v1/customers?archived=true&limit=1', 'sales', rep1);
    expect(items.map((c) => c.id).sort()).toEqual(own.map((c) => c.id).sort());
    expect(pages.length).toBeLessThanOrEqual(own.length + 1);
    for (const cursor of cursors) expectOpaque(cursor, [...others.map((c) => c.id), 'archive beta', 'archive charlie', 'archive bravo', 'archive echo', rep2, rep3, 'CUSTOMERS', 'cus_']);
    // One Query per page, on the owner's archived partition: nobody else's item is read.
    expect(Number(pages[0]!.headers.get('x-db-requests'))).toBe(1);

    // Restored, a customer is back on the live lists and off the archived one.
    expect((await crm.request('POST', `/v1/customers/${own[0]!.id}/restore`, { role: 'admin' })).status).toBe(200);
    expect((await walk('/v1/customers?archived=true&limit=1', 'sales', rep1)).items.map((c) => c.id)).toEqual([own[1]!.id]);
    expect((await crm.request('GET', `/v1/customers?q=archive&limit=100`, { role: 'sales', userId: rep1 })).body.items.map((c: { id: string }) => c.id)).toEqual([own[0]!.id]);
    // A manager still sees every archived customer, also per owner.
    const all = (await walk('/v1/customers?archived=true&limit=2', 'manager')).items.map((c) => c.id);
    expect(all).toEqual(expect.arrayContaining([own[1]!.id, ...others.map((c) => c.id)]));
    expect((await walk(`/v1/customers?archived=true&ownerId=${rep2}&limit=1`, 'manager')).items.map((c) => c.name).sort()).toEqual(['Archive Beta', 'Archive Bravo']);
  });

  it('gives a rep the one commission plan they are on, without a cursor into everyone\'s plans', async () => {
    const plan = (id: string, userIds: string[]) => crm.request('PUT', `/v1/commissions/plans/${id}`, { role: 'admin', body: { name: id, currency: 'EUR', rateBp: 500, userIds } });
    expect((await plan('aaa-other-team', [rep2])).status).toBe(200);
    expect((await plan('bbb-rep-one', [rep1])).status).toBe(200);
    expect((await plan('ccc-third', [rep3])).status).toBe(200);
    const res = await crm.request('GET', '/v1/commissions/plans?limit=1', { role: 'sales', userId: rep1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [expect.objectContaining({ id: 'bbb-rep-one' })], nextCursor: null });
    const manager = await crm.request('GET', '/v1/commissions/plans?limit=1', { role: 'manager' });
    expect(manager.body.items.map((p: { id: string }) => p.id)).toEqual(['aaa-other-team']);
    const replay = await crm.request('GET', withCursor('/v1/commissions/plans?limit=1', manager.body.nextCursor), { role: 'sales', userId: rep1 });
    expect(replay.status).toBe(400);
    expect((await crm.request('GET', '/v1/commissions/plans', { role: 'sales', userId: SALES_REPS[2]!.id })).body.items.map((p: { id: string }) => p.id)).toEqual(['ccc-third']);
  });
});

describe('key rotation', () => {
  /** Rotates the local cursor key as docs/operations.md describes (CURSOR_SECRET / CURSOR_SECRET_PREVIOUS). */
  function rotate(to: string) {
    process.env.CURSOR_SECRET_PREVIOUS = process.env.CURSOR_SECRET;
    process.env.CURSOR_SECRET = to;
    resetConfigForTests();
    resetCursorKeyForTests();
  }

  it('keeps a cursor sealed before one rotation working, and refuses it after the second', async () => {
    const path = `/v1/pipelines/${pipelineId}/deals?limit=2`;
    const whole = (await walk(path, 'manager')).items.map((d) => d.id);
    const first = await crm.request('GET', path, { role: 'manager' });
    const beforeRotation: string = first.body.nextCursor;

    rotate(randomBytes(32).toString('hex'));
    const afterOne = await crm.request('GET', withCursor(path, beforeRotation), { role: 'manager' });
    expect(afterOne.status, JSON.stringify(afterOne.body)).toBe(200);
    expect(afterOne.body.items.map((d: { id: string }) => d.id)).toEqual(whole.slice(2, 4));
    const sealedAfterOne: string = afterOne.body.nextCursor;

    rotate(randomBytes(32).toString('hex'));
    const stale = await crm.request('GET', withCursor(path, beforeRotation), { role: 'manager' });
    expect(stale.status).toBe(400);
    expect(stale.body.errors[0].path).toBe('cursor');
    const fresh = await crm.request('GET', withCursor(path, sealedAfterOne), { role: 'manager' });
    expect(fresh.status).toBe(200);
    expect(fresh.body.items.map((d: { id: string }) => d.id)).toEqual(whole.slice(4, 6));
  });
});
