/**
 * Bounded parallelism and time budgets of the scheduled jobs: at most `limit` items in flight,
 * results in input order, nothing started after the stop condition, and no work left running in
 * the background after a failure.
 */
import { describe, expect, it } from 'vitest';
import { Budget, SAFETY_MARGIN_MS } from '../../functions/jobs/budget';
import { mapBounded, mapLimit } from '../../functions/jobs/concurrency';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('mapBounded', () => {
  it('keeps at most `limit` in flight and returns results in input order', async () => {
    let inFlight = 0;
    let most = 0;
    const out = await mapLimit(Array.from({ length: 25 }, (_, i) => i), 4, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep((i * 7) % 5);
      inFlight--;
      return i * 2;
    });
    expect(most).toBe(4);
    expect(out).toEqual(Array.from({ length: 25 }, (_, i) => i * 2));
  });

  it('starts nothing once told to stop and hands back what was not started, in order', async () => {
    let started = 0;
    const { results, notStarted } = await mapBounded([1, 2, 3, 4, 5, 6, 7, 8], { limit: 2, stop: () => started >= 3 }, async (n) => {
      started++;
      await sleep(2);
      return n;
    });
    expect(results).toEqual([1, 2, 3]);
    expect(notStarted).toEqual([4, 5, 6, 7, 8]);
  });

  it('after a failure, waits for the items in flight, starts no more, and rethrows', async () => {
    const finished: number[] = [];
    const started: number[] = [];
    const run = mapBounded([0, 1, 2, 3, 4, 5], { limit: 3 }, async (n) => {
      started.push(n);
      if (n === 0) throw new Error('boom');
      await sleep(30);
      finished.push(n);
      return n;
    });
    await expect(run).rejects.toThrow('boom');
    // 1 and 2 were in flight when 0 failed: they finished before the error came back.
    expect(finished.sort()).toEqual([1, 2]);
    expect(started.sort()).toEqual([0, 1, 2]);
  });
});

describe('Budget', () => {
  it('is the remaining time minus the safety margin, capped per job', () => {
    const context = { getRemainingTimeInMillis: () => 300_000 };
    const now = Date.now();
    expect(Budget.fromContext(context).deadline - now).toBeGreaterThanOrEqual(300_000 - SAFETY_MARGIN_MS - 50);
    expect(Budget.fromContext(context).deadline - now).toBeLessThanOrEqual(300_000 - SAFETY_MARGIN_MS + 50);
    expect(Budget.fromContext(context, 50_000).deadline - now).toBeLessThanOrEqual(50_050);
    expect(Budget.fromContext({ getRemainingTimeInMillis: () => 1_000 }).expired()).toBe(true);
  });
});
