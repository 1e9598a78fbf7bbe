/**
 * The SES send-rate limiter on the real clock: grants spaced by 1/rate as they really happen (no
 * burst, also after a stall of the event loop), first come first served, a deadline that queues
 * nothing, a pause after SES throttled, and which SES errors count as rate throttles.
 */
import { describe, expect, it, vi } from 'vitest';
import { isRateThrottle, SendRateLimiter } from '../../functions/notifications/send-rate';

/** The largest number of timestamps in any half-open window [t, t + ms). */
function busiestWindow(times: number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + ms) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

const err = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('send-rate limiter', () => {
  it('spaces 30 concurrent sends at 25/s: no second holds more than 26, and the spacing adds up', async () => {
    const limiter = new SendRateLimiter(25);
    const granted: number[] = [];
    await Promise.all(Array.from({ length: 30 }, async () => {
      expect(await limiter.acquire()).toBe(true);
      granted.push(Date.now());
    }));
    expect(busiestWindow(granted, 1000)).toBeLessThanOrEqual(26);
    const sorted = granted.sort((a, b) => a - b);
    // Half the interval leaves room for a garbage-collection pause on a busy machine; a burst has gaps near 0.
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(20);
    expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThanOrEqual(29 * 40 - 10);
  });

  it('does not catch up with a burst after the event loop was blocked', async () => {
    const limiter = new SendRateLimiter(50);
    const granted: number[] = [];
    const all = Promise.all(Array.from({ length: 20 }, async () => { await limiter.acquire(); granted.push(Date.now()); }));
    // Block the loop for 200 ms while grants are due: they must not all fire at once afterwards.
    await new Promise((done) => setTimeout(done, 30));
    const until = Date.now() + 200;
    while (Date.now() < until) { /* busy */ }
    await all;
    const sorted = granted.sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(10);
    expect(busiestWindow(sorted, 200)).toBeLessThanOrEqual(11);
  });

  it('refuses, without queueing, a send whose turn would come after the deadline', async () => {
    // On a fake clock: the claim is about which turn each send gets, not how fast a busy machine is.
    vi.useFakeTimers();
    try {
      const limiter = new SendRateLimiter(10);
      expect(await limiter.acquire()).toBe(true);
      const started = Date.now();
      // The next turn is 100 ms away: a deadline 20 ms ahead cannot be met, and it answers at once.
      expect(await limiter.acquire(started + 20)).toBe(false);
      expect(Date.now()).toBe(started);
      // Nothing was queued: the next caller gets the turn 100 ms after the first grant, not 200.
      const next = limiter.acquire();
      await vi.advanceTimersByTimeAsync(100);
      expect(await next).toBe(true);
      expect(Date.now() - started).toBe(100);
    } finally {
      vi.useRealTimers();
    }
  });

  it('holds every send back after SES throttled', async () => {
    const limiter = new SendRateLimiter(100);
    await limiter.acquire();
    limiter.pause(300);
    const started = Date.now();
    await limiter.acquire();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('sizes a page to what fits in the time left', () => {
    const limiter = new SendRateLimiter(14);
    expect(limiter.capacityWithin(10_000)).toBe(141);
    expect(limiter.capacityWithin(0)).toBe(1);
  });

  it('treats "too fast" as a rate throttle and the daily quota, or anything else, not', () => {
    expect(isRateThrottle(err('TooManyRequestsException', 'Too many requests'))).toBe(true);
    expect(isRateThrottle(err('ThrottlingException', 'Maximum sending rate exceeded.'))).toBe(true);
    expect(isRateThrottle(err('Throttling', 'Maximum sending rate exceeded.'))).toBe(true);
    expect(isRateThrottle(err('LimitExceededException', 'Rate exceeded'))).toBe(true);
    expect(isRateThrottle(err('ThrottlingException', 'Daily message quota exceeded.'))).toBe(false);
    expect(isRateThrottle(err('MessageRejected', 'Email address is not verified.'))).toBe(false);
    expect(isRateThrottle(err('InternalFailure', 'Maximum sending rate exceeded.'))).toBe(false);
  });
});
