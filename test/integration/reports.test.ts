/**
 * Sales report figures against a hand-computed fixture: win rate, average deal size, stage-to-stage
 * conversion, by owner and pipeline — from counters the deal writes maintain, never a deal scan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SALES_REPS } from '../../local/demo-users';
import { startTestStack, type TestStack } from '../support/stack';

process.env.DB_METRICS_HEADERS = 'true';

let crm: TestStack;
const requests = (res: { headers: Headers }) => Number(res.headers.get('x-db-requests'));
const month = new Date().toISOString().slice(0, 7);

beforeAll(async () => {
  crm = await startTestStack();
});
afterAll(async () => {
  await crm?.stop();
});

describe('sales report', () => {
  const owner = SALES_REPS[2]!.id;
  let pipelineId: string;
  let s: string[];
  let toDelete: string;

  beforeAll(async () => {
    const p = await crm.request('POST', '/v1/pipelines', { role: 'admin', body: { name: 'Report', stages: [{ name: 'S1', probability: 10 }, { name: 'S2', probability: 40 }, { name: 'S3', probability: 80 }] } });
    pipelineId = p.body.id;
    s = p.body.stages.map((x: { id: string }) => x.id);
    const customerId = (await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Report Co', ownerId: owner } })).body.id;
    const deal = async (amount: number) => (await crm.request('POST', '/v1/deals', { role: 'sales', userId: owner, body: { name: 'R', customerId, pipelineId, amount: { amount, currency: 'EUR' } } })).body.id as string;
    const move = (id: string, stage: string) => crm.request('POST', `/v1/deals/${id}/stage`, { role: 'sales', userId: owner, body: { stageId: stage } });
    const a = await deal(100_000); await move(a, s[1]!); await move(a, s[2]!); await crm.request('POST', `/v1/deals/${a}/won`, { role: 'sales', userId: owner, body: {} });
    const b = await deal(40_000); await move(b, s[1]!); await crm.request('POST', `/v1/deals/${b}/lost`, { role: 'sales', userId: owner, body: { reason: 'Price' } });
    const c = await deal(50_001); await crm.request('POST', `/v1/deals/${c}/won`, { role: 'sales', userId: owner, body: {} });
    const d = await deal(10); await move(d, s[2]!); await crm.request('POST', `/v1/deals/${d}/lost`, { role: 'sales', userId: owner, body: { reason: 'Timing' } });
    await deal(20); // stays open in S1
    // moving back and forth does not count a stage twice
    const e = await deal(30); await move(e, s[1]!); await move(e, s[0]!); await move(e, s[1]!);
    toDelete = e;
  });

  it('computes win rate, average deal size, cycle and the stage funnel', async () => {
    const res = await crm.request('GET', `/v1/reports/sales?period=${month}&ownerId=${owner}&pipelineId=${pipelineId}`, { role: 'manager' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // one Query of the report aggregates + one BatchGetItem of the pipelines
    expect(requests(res)).toBe(2);
    expect(res.body.rows).toHaveLength(1);
    const row = res.body.rows[0];
    expect(row).toMatchObject({ ownerId: owner, pipelineId, won: 2, lost: 2, winRate: 0.5, averageDealSize: [{ amount: 75_001, currency: 'EUR' }] });
    expect(row.averageCycleDays).toBe(0);
    // S1: a b c d (open) e → 6 entered; S2 entered by a, b, e after S1 → 3 advanced; S3 entered by a (after S2) and d (skipped S2)
    expect(row.funnel).toEqual([
      { fromStageId: s[0], fromStage: 'S1', toStageId: s[1], toStage: 'S2', entered: 6, advanced: 3, conversion: 0.5 },
      { fromStageId: s[1], fromStage: 'S2', toStageId: s[2], toStage: 'S3', entered: 3, advanced: 1, conversion: 0.3333 },
    ]);
    expect(res.body.total).toMatchObject({ won: 2, lost: 2, winRate: 0.5 });
  });

  it('takes a deleted won deal out of the figures; sales read only their own', async () => {
    const before = (await crm.request('GET', `/v1/reports/sales?period=${month}&ownerId=${owner}&pipelineId=${pipelineId}`, { role: 'admin' })).body.rows[0];
    const open = (await crm.request('GET', `/v1/deals/${toDelete}`, { role: 'admin' })).body;
    await crm.request('POST', `/v1/deals/${open.id}/won`, { role: 'admin', body: {} });
    const won = (await crm.request('GET', `/v1/reports/sales?period=${month}&ownerId=${owner}&pipelineId=${pipelineId}`, { role: 'admin' })).body.rows[0];
    expect(won.won).toBe(before.won + 1);
    expect((await crm.request('DELETE', `/v1/deals/${open.id}`, { role: 'admin' })).status).toBe(204);
    const after = (await crm.request('GET', `/v1/reports/sales?period=${month}&ownerId=${owner}&pipelineId=${pipelineId}`, { role: 'admin' })).body.rows[0];
    expect(after.won).toBe(before.won);
    expect(after.averageDealSize).toEqual(before.averageDealSize);
    const own = await crm.request('GET', `/v1/reports/sales?period=${month}`, { role: 'sales', userId: owner });
    expect(own.status).toBe(200);
    expect(own.body.rows.every((r: { ownerId: string }) => r.ownerId === owner)).toBe(true);
    expect((await crm.request('GET', `/v1/reports/sales?period=${month}&ownerId=${SALES_REPS[0]!.id}`, { role: 'sales', userId: owner })).status).toBe(403);
    expect((await crm.request('GET', `/v1/reports/sales?period=${month}`, { role: 'marketing' })).status).toBe(403);
  });
});

describe('average deal size per currency (regression)', () => {
  it('lists a currency won at amount 0, and drops one whose only win was deleted', async () => {
    const owner = SALES_REPS[1]!.id;
    const p = await crm.request('POST', '/v1/pipelines', { role: 'admin', body: { name: 'Zero', stages: [{ name: 'Only', probability: 50 }] } });
    const pipelineId = p.body.id as string;
    const customerId = (await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: 'Zero Co', ownerId: owner } })).body.id;
    const won = async (amount: number, currency: string) => {
      const id = (await crm.request('POST', '/v1/deals', { role: 'sales', userId: owner, body: { name: 'Z', customerId, pipelineId, amount: { amount, currency } } })).body.id as string;
      await crm.request('POST', `/v1/deals/${id}/won`, { role: 'sales', userId: owner, body: {} });
      return id;
    };
    await won(0, 'USD');
    const gone = await won(5_000, 'EUR');
    expect((await crm.request('DELETE', `/v1/deals/${gone}`, { role: 'admin' })).status).toBe(204);
    const res = await crm.request('GET', `/v1/reports/sales?period=${month}&ownerId=${owner}&pipelineId=${pipelineId}`, { role: 'manager' });
    expect(res.body.rows[0]).toMatchObject({ won: 1, averageDealSize: [{ amount: 0, currency: 'USD' }] });
  });
});
