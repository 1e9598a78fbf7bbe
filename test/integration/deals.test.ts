/**
 * Pipelines and deals end to end: create, move with stage history and time in stage, retired
 * stages, win/lose, optimistic concurrency, concurrent moves, board paging, list filters and row
 * level — HTTP through the local gateway against DynamoDB Local, request counts from x-db-* headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoUsersOf, SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const rep1 = SALES_REPS[0]!.id;
const rep2 = SALES_REPS[1]!.id;
const DEFAULT_PIPELINE = 'pip_00000000000000000000000000';
const QUALIFICATION = 'stg_00000000000000000000000001';
const NEEDS = 'stg_00000000000000000000000002';
const PROPOSAL = 'stg_00000000000000000000000003';
const NEGOTIATION = 'stg_00000000000000000000000004';
const requests = (res: { headers: Headers }) => Number(res.headers.get('x-db-requests'));

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

async function customer(ownerId = rep1) {
  const res = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Deal Co ${Math.random()}`, ownerId } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function deal(body: Record<string, unknown>, role: 'admin' | 'sales' | 'manager' = 'admin', userId?: string) {
  const res = await crm.request('POST', '/v1/deals', { role, userId, body: { name: 'Deal', amount: { amount: 100_000, currency: 'EUR' }, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

describe('pipelines', () => {
  it('creates the default pipeline on first read, once, with the B2B stages', async () => {
    const [a, b] = await Promise.all([crm.request('GET', '/v1/pipelines', { role: 'sales' }), crm.request('GET', '/v1/pipelines', { role: 'manager' })]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const def = a.body.items.find((p: { id: string }) => p.id === DEFAULT_PIPELINE);
    expect(def.isDefault).toBe(true);
    expect(def.stages.map((s: { name: string; probability: number }) => [s.name, s.probability])).toEqual([
      ['Qualification', 10], ['Needs analysis', 25], ['Proposal', 50], ['Negotiation', 75],
    ]);
    const one = await crm.request('GET', `/v1/pipelines/${DEFAULT_PIPELINE}`, { role: 'analyst' });
    expect(one.status).toBe(200);
    expect(requests(one)).toBe(1);
  });

  it('adds, renames, reorders and retires stages; never drops one; 412 on a stale If-Match', async () => {
    const created = await crm.request('POST', '/v1/pipelines', { role: 'admin', body: { name: 'Renewals', currency: 'EUR', stages: [{ name: 'Due', probability: 30 }, { name: 'Offer', probability: 60 }] } });
    expect(created.status).toBe(201);
    const [due, offer] = created.body.stages;
    const patched = await crm.request('PATCH', `/v1/pipelines/${created.body.id}`, {
      role: 'admin', headers: { 'if-match': '"1"' },
      body: { stages: [{ id: offer.id, name: 'Quote', probability: 65 }, { id: due.id, name: 'Due', probability: 30, retired: true }, { name: 'Signature', probability: 90 }] },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.stages.map((s: { name: string; retired: boolean }) => [s.name, s.retired])).toEqual([['Quote', false], ['Due', true], ['Signature', false]]);
    expect(patched.body.stages[2].id).toMatch(/^stg_/);
    const stale = await crm.request('PATCH', `/v1/pipelines/${created.body.id}`, { role: 'admin', headers: { 'if-match': '"1"' }, body: { name: 'X' } });
    expect(stale.status).toBe(412);
    const dropped = await crm.request('PATCH', `/v1/pipelines/${created.body.id}`, { role: 'admin', body: { stages: [{ id: offer.id, name: 'Quote', probability: 65 }] } });
    expect(dropped.status).toBe(422);
    const bad = await crm.request('POST', '/v1/pipelines', { role: 'admin', body: { name: 'Bad', stages: [{ name: 'A', probability: 101 }] } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
  });
});

describe('deals', () => {
  it('creates a deal in the default pipeline\'s first stage with its first history entry', async () => {
    const customerId = await customer();
    const res = await crm.request('POST', '/v1/deals', { role: 'sales', body: { name: 'Boilers for HQ', customerId, amount: { amount: 1_234_500, currency: 'EUR' }, expectedCloseDate: '2026-12-15', lineItems: [{ description: 'Boiler', quantity: 3, unitPrice: { amount: 411_500, currency: 'EUR' } }] } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/deals/${res.body.id}`);
    expect(res.body).toMatchObject({ ownerId: rep1, pipelineId: DEFAULT_PIPELINE, stageId: QUALIFICATION, probability: 10, status: 'open', version: 1 });
    const read = await crm.request('GET', `/v1/deals/${res.body.id}`, { role: 'sales' });
    expect(read.status).toBe(200);
    expect(requests(read)).toBe(1);
    const history = await crm.request('GET', `/v1/deals/${res.body.id}/history`, { role: 'sales' });
    expect(history.body.items).toHaveLength(1);
    expect(history.body.items[0]).toMatchObject({ stageId: QUALIFICATION, enteredBy: rep1, current: true });
    expect(requests(history)).toBe(2);
  });

  it('moves through stages recording entered/left at and by whom and the time in each stage', async () => {
    const d = await deal({ customerId: await customer() });
    const moved = await crm.request('POST', `/v1/deals/${d.id}/stage`, { role: 'manager', body: { stageId: PROPOSAL } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ stageId: PROPOSAL, probability: 50, version: 2 });
    // one GetItem (deal) + one GetItem (pipeline) + one TransactWriteItems
    expect(requests(moved)).toBe(3);
    await new Promise((r) => setTimeout(r, 1100));
    await crm.request('POST', `/v1/deals/${d.id}/stage`, { role: 'admin', body: { stageId: NEGOTIATION } });
    const history = (await crm.request('GET', `/v1/deals/${d.id}/history`, { role: 'admin' })).body.items;
    expect(history.map((h: { stageId: string }) => h.stageId)).toEqual([QUALIFICATION, PROPOSAL, NEGOTIATION]);
    expect(history[0].leftAt).toBe(history[1].enteredAt);
    expect(history[1].leftAt).toBe(history[2].enteredAt);
    expect(history[1].enteredBy).toBe(demoUsersOf('manager')[0]!.id);
    expect(history[2].enteredBy).toBe(demoUsersOf('admin')[0]!.id);
    expect(history[1].leftBy).toBe(history[2].enteredBy);
    expect(history[1].secondsInStage).toBeGreaterThanOrEqual(1);
    expect(history[2]).toMatchObject({ current: true });
    expect(history[2].leftAt).toBeUndefined();
    // moving to the current stage changes nothing
    const same = await crm.request('POST', `/v1/deals/${d.id}/stage`, { role: 'admin', body: { stageId: NEGOTIATION } });
    expect(same.body.version).toBe(3);
  });

  it('refuses moves into retired stages (409) while deals already there stay readable', async () => {
    const p = (await crm.request('POST', '/v1/pipelines', { role: 'admin', body: { name: 'Retiring', stages: [{ name: 'A', probability: 10 }, { name: 'B', probability: 40 }, { name: 'C', probability: 80 }] } })).body;
    const [a, b, c] = p.stages;
    const customerId = await customer();
    const inB = await deal({ customerId, pipelineId: p.id, stageId: b.id });
    const inA = await deal({ customerId, pipelineId: p.id });
    expect(inA.stageId).toBe(a.id);
    const retired = await crm.request('PATCH', `/v1/pipelines/${p.id}`, { role: 'admin', body: { stages: [{ id: a.id, name: 'A', probability: 10 }, { id: b.id, name: 'B', probability: 40, retired: true }, { id: c.id, name: 'C', probability: 80 }] } });
    expect(retired.status).toBe(200);
    expect((await crm.request('GET', `/v1/deals/${inB.id}`, { role: 'admin' })).body.stageId).toBe(b.id);
    const move = await crm.request('POST', `/v1/deals/${inA.id}/stage`, { role: 'admin', body: { stageId: b.id } });
    expect(move.status).toBe(409);
    expect(move.headers.get('content-type')).toBe('application/problem+json');
    const create = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'x', customerId, pipelineId: p.id, stageId: b.id, amount: { amount: 1, currency: 'EUR' } } });
    expect(create.status).toBe(409);
    // out of the retired stage is fine
    expect((await crm.request('POST', `/v1/deals/${inB.id}/stage`, { role: 'admin', body: { stageId: c.id } })).status).toBe(200);
    // a stage of another pipeline is not a valid target
    expect((await crm.request('POST', `/v1/deals/${inA.id}/stage`, { role: 'admin', body: { stageId: NEEDS } })).status).toBe(422);
  });

  it('wins and loses deals; closed deals cannot move or change; a lost reason is required', async () => {
    const customerId = await customer();
    const w = await deal({ customerId });
    const won = await crm.request('POST', `/v1/deals/${w.id}/won`, { role: 'admin', body: { reason: 'Best fit' } });
    expect(won.status).toBe(200);
    expect(won.body).toMatchObject({ status: 'won', wonReason: 'Best fit', probability: 100 });
    expect(won.body.closedAt).toBeDefined();
    expect((await crm.request('POST', `/v1/deals/${w.id}/stage`, { role: 'admin', body: { stageId: NEEDS } })).status).toBe(409);
    expect((await crm.request('PATCH', `/v1/deals/${w.id}`, { role: 'admin', body: { name: 'x' } })).status).toBe(409);
    expect((await crm.request('POST', `/v1/deals/${w.id}/lost`, { role: 'admin', body: { reason: 'x' } })).status).toBe(409);
    const history = (await crm.request('GET', `/v1/deals/${w.id}/history`, { role: 'admin' })).body.items;
    expect(history[0].leftAt).toBe(won.body.closedAt);
    const l = await deal({ customerId });
    const noReason = await crm.request('POST', `/v1/deals/${l.id}/lost`, { role: 'admin', body: {} });
    expect(noReason.status).toBe(400);
    const lost = await crm.request('POST', `/v1/deals/${l.id}/lost`, { role: 'admin', body: { reason: 'Price' } });
    expect(lost.body).toMatchObject({ status: 'lost', lostReason: 'Price', probability: 0 });
  });

  it('validates input precisely and never writes partially', async () => {
    const customerId = await customer();
    const other = await customer();
    const contact = (await crm.request('POST', `/v1/customers/${other}/contacts`, { role: 'admin', body: { lastName: 'Else' } })).body.id;
    const cases: [Record<string, unknown>, number][] = [
      [{ amount: { amount: 1.5, currency: 'EUR' } }, 400],
      [{ amount: { amount: 1, currency: 'eur' } }, 400],
      // Beyond what the weighted forecast can hold exactly: a clear 400, not a 500.
      [{ amount: { amount: 5_000_000_000_000_000, currency: 'EUR' } }, 400],
      [{ expectedCloseDate: '2026-02-30' }, 400],
      [{ probability: 101 }, 400],
      [{ contactId: contact }, 422],
      [{ stageId: 'stg_01JAAAAAAAAAAAAAAAAAAAAAAA' }, 422],
      [{ pipelineId: 'pip_01JAAAAAAAAAAAAAAAAAAAAAAA' }, 422],
      [{ customerId: 'cus_01JAAAAAAAAAAAAAAAAAAAAAAA' }, 404],
      [{ lineItems: [{ description: 'x', quantity: 1, unitPrice: { amount: 1, currency: 'USD' } }] }, 422],
    ];
    for (const [patch, status] of cases) {
      const res = await crm.request('POST', '/v1/deals', { role: 'admin', body: { name: 'Bad', customerId, amount: { amount: 1, currency: 'EUR' }, ...patch } });
      expect(res.status, JSON.stringify(patch)).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
    const list = await crm.request('GET', '/v1/deals?ownerId=' + encodeURIComponent(rep1) + '&status=open', { role: 'admin' });
    expect(list.body.items.filter((d: { customerId: string }) => d.customerId === customerId)).toHaveLength(0);
  });

  it('honours If-Match (412 when stale) and re-applies without it', async () => {
    const d = await deal({ customerId: await customer(), expectedCloseDate: '2026-12-01' });
    const stale = await crm.request('PATCH', `/v1/deals/${d.id}`, { role: 'admin', headers: { 'if-match': '"7"' }, body: { name: 'New' } });
    expect(stale.status).toBe(412);
    const ok = await crm.request('PATCH', `/v1/deals/${d.id}`, { role: 'admin', headers: { 'if-match': '"1"' }, body: { name: 'New', amount: { amount: 5, currency: 'EUR' }, probability: 90 } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ name: 'New', amount: { amount: 5, currency: 'EUR' }, probability: 90, probabilityOverride: 90, version: 2 });
    const moveStale = await crm.request('POST', `/v1/deals/${d.id}/stage`, { role: 'admin', headers: { 'if-match': '"1"' }, body: { stageId: NEEDS } });
    expect(moveStale.status).toBe(412);
    // the override survives stage moves; clearing it returns to the stage probability
    const moved = await crm.request('POST', `/v1/deals/${d.id}/stage`, { role: 'admin', body: { stageId: NEEDS } });
    expect(moved.body.probability).toBe(90);
    const cleared = await crm.request('PATCH', `/v1/deals/${d.id}`, { role: 'admin', body: { probability: null } });
    expect(cleared.body.probability).toBe(25);
    expect(cleared.body.probabilityOverride).toBeUndefined();
  });

  it('applies two concurrent stage moves in order: no lost update, consistent history and counters', async () => {
    const ownerId = `conc-${Date.now()}`;
    const customerId = await customer(ownerId);
    const d = await deal({ customerId, ownerId, amount: { amount: 10_000, currency: 'EUR' }, expectedCloseDate: '2027-05-10' });
    const [a, b] = await Promise.all([
      crm.request('POST', `/v1/deals/${d.id}/stage`, { role: 'admin', body: { stageId: PROPOSAL } }),
      crm.request('POST', `/v1/deals/${d.id}/stage`, { role: 'manager', body: { stageId: NEGOTIATION } }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const final = (await crm.request('GET', `/v1/deals/${d.id}`, { role: 'admin' })).body;
    expect(final.version).toBe(3);
    const history = (await crm.request('GET', `/v1/deals/${d.id}/history`, { role: 'admin' })).body.items;
    expect(history).toHaveLength(3);
    expect(history[2].stageId).toBe(final.stageId);
    expect(history.filter((h: { current: boolean }) => h.current)).toHaveLength(1);
    expect(history[0].leftAt).toBe(history[1].enteredAt);
    expect(history[1].leftAt).toBe(history[2].enteredAt);
    const forecast = (await crm.request('GET', `/v1/forecast?period=2027-05&ownerId=${ownerId}`, { role: 'admin' })).body;
    expect(forecast.rows).toEqual([{ ownerId, month: '2027-05', currency: 'EUR', closedWon: 0, commit: final.probability >= 75 ? 10_000 : 0, bestCase: 10_000, pipeline: 10_000, weighted: final.probability * 100, wonCount: 0, openCount: 1 }]);
  });

  it('deletes a deal with its history (204), then 404', async () => {
    const d = await deal({ customerId: await customer() });
    await crm.request('POST', `/v1/deals/${d.id}/stage`, { role: 'admin', body: { stageId: NEEDS } });
    expect((await crm.request('DELETE', `/v1/deals/${d.id}`, { role: 'admin', headers: { 'if-match': '"1"' } })).status).toBe(412);
    expect((await crm.request('DELETE', `/v1/deals/${d.id}`, { role: 'admin' })).status).toBe(204);
    expect((await crm.request('GET', `/v1/deals/${d.id}`, { role: 'admin' })).status).toBe(404);
    expect((await crm.request('GET', `/v1/deals/${d.id}/history`, { role: 'admin' })).status).toBe(404);
  });
});

describe('row level', () => {
  it('sales see and change only their own deals; managers all', async () => {
    const mine = await deal({ customerId: await customer(rep1), ownerId: rep1 });
    const theirs = await deal({ customerId: await customer(rep2), ownerId: rep2 });
    for (const [method, path, body] of [
      ['GET', `/v1/deals/${theirs.id}`, undefined], ['GET', `/v1/deals/${theirs.id}/history`, undefined],
      ['PATCH', `/v1/deals/${theirs.id}`, { name: 'x' }], ['DELETE', `/v1/deals/${theirs.id}`, undefined],
      ['POST', `/v1/deals/${theirs.id}/stage`, { stageId: NEEDS }], ['POST', `/v1/deals/${theirs.id}/won`, {}], ['POST', `/v1/deals/${theirs.id}/lost`, { reason: 'x' }],
    ] as const) {
      expect((await crm.request(method, path, { role: 'sales', userId: rep1, body })).status, `${method} ${path}`).toBe(404);
    }
    expect((await crm.request('GET', `/v1/deals/${mine.id}`, { role: 'sales', userId: rep1 })).status).toBe(200);
    expect((await crm.request('GET', `/v1/deals/${theirs.id}`, { role: 'manager' })).status).toBe(200);
    // sales may not create deals for someone else, nor on a customer they cannot see, nor reassign
    const own = await customer(rep1);
    expect((await crm.request('POST', '/v1/deals', { role: 'sales', userId: rep1, body: { name: 'x', customerId: own, ownerId: rep2, amount: { amount: 1, currency: 'EUR' } } })).status).toBe(403);
    expect((await crm.request('POST', '/v1/deals', { role: 'sales', userId: rep1, body: { name: 'x', customerId: await customer(rep2), amount: { amount: 1, currency: 'EUR' } } })).status).toBe(404);
    expect((await crm.request('PATCH', `/v1/deals/${mine.id}`, { role: 'sales', userId: rep1, body: { ownerId: rep2 } })).status).toBe(403);
    // lists and the board: own deals only
    const list = await crm.request('GET', '/v1/deals', { role: 'sales', userId: rep1 });
    expect(list.body.items.every((d: { ownerId: string }) => d.ownerId === rep1)).toBe(true);
    expect((await crm.request('GET', `/v1/deals?ownerId=${rep2}`, { role: 'sales', userId: rep1 })).body.items).toEqual([]);
    const board = await crm.request('GET', `/v1/pipelines/${DEFAULT_PIPELINE}/deals`, { role: 'sales', userId: rep1 });
    expect(board.body.items.length).toBeGreaterThan(0);
    expect(board.body.items.every((d: { ownerId: string }) => d.ownerId === rep1)).toBe(true);
    // a manager reassigns
    const reassigned = await crm.request('PATCH', `/v1/deals/${mine.id}`, { role: 'manager', body: { ownerId: rep2 } });
    expect(reassigned.body.ownerId).toBe(rep2);
    expect((await crm.request('GET', `/v1/deals/${mine.id}`, { role: 'sales', userId: rep1 })).status).toBe(404);
  });
});

describe('lists and the board', () => {
  it('pages the board of one stage with one Query per page and no duplicates', async () => {
    const p = (await crm.request('POST', '/v1/pipelines', { role: 'admin', body: { name: 'Board', stages: [{ name: 'One', probability: 10 }, { name: 'Two', probability: 20 }] } })).body;
    const customerId = await customer();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await deal({ customerId, pipelineId: p.id, stageId: p.stages[1].id, expectedCloseDate: `2027-01-0${i + 1}` })).id);
    await deal({ customerId, pipelineId: p.id });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { items: { id: string; stageId: string }[]; nextCursor: string | null }; headers: Headers } = await crm.request('GET', `/v1/pipelines/${p.id}/deals?stage=${p.stages[1].id}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { role: 'manager' });
      expect(res.status).toBe(200);
      expect(requests(res)).toBe(1);
      expect(res.body.items.every((d) => d.stageId === p.stages[1].id)).toBe(true);
      seen.push(...res.body.items.map((d) => d.id));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(created);
    const whole = await crm.request('GET', `/v1/pipelines/${p.id}/deals`, { role: 'manager' });
    expect(whole.body.items).toHaveLength(6);
    // won deals leave the board
    await crm.request('POST', `/v1/deals/${created[0]}/won`, { role: 'admin', body: {} });
    expect((await crm.request('GET', `/v1/pipelines/${p.id}/deals`, { role: 'manager' })).body.items).toHaveLength(5);
    const tampered = await crm.request('GET', `/v1/pipelines/${DEFAULT_PIPELINE}/deals?cursor=abc.def`, { role: 'manager' });
    expect(tampered.status).toBe(400);
  });

  it('filters by owner, status, pipeline, stage and closing period with one Query per page', async () => {
    const ownerId = `list-${Date.now()}`;
    const customerId = await customer(ownerId);
    const q4 = await deal({ customerId, ownerId, expectedCloseDate: '2028-11-30' });
    const q1 = await deal({ customerId, ownerId, expectedCloseDate: '2029-01-01' });
    const won = await deal({ customerId, ownerId, expectedCloseDate: '2028-10-01' });
    await crm.request('POST', `/v1/deals/${won.id}/won`, { role: 'admin', body: {} });
    const ids = async (query: string) => {
      const res = await crm.request('GET', `/v1/deals?${query}`, { role: 'admin' });
      expect(res.status, query).toBe(200);
      expect(requests(res), query).toBe(1);
      return res.body.items.map((d: { id: string }) => d.id).sort();
    };
    expect(await ids(`ownerId=${ownerId}`)).toEqual([q4.id, q1.id, won.id].sort());
    expect(await ids(`ownerId=${ownerId}&closing=2028-Q4`)).toEqual([q4.id, won.id].sort());
    expect(await ids(`ownerId=${ownerId}&closing=2028-Q4&status=open`)).toEqual([q4.id]);
    expect(await ids(`ownerId=${ownerId}&from=2028-12-01&to=2029-01-31`)).toEqual([q1.id]);
    expect(await ids(`ownerId=${ownerId}&status=won`)).toEqual([won.id]);
    expect(await ids('closing=2028-11')).toContain(q4.id);
    expect(await ids(`pipelineId=${DEFAULT_PIPELINE}&stageId=${QUALIFICATION}&closing=2029-Q1`)).toContain(q1.id);
    expect(await ids(`status=won&closing=2028-10`)).toContain(won.id);
    expect((await crm.request('GET', '/v1/deals?closing=2028-Q5', { role: 'admin' })).status).toBe(400);
  });
});
