/**
 * Sending at the SES account's maximum send rate, never faster.
 *
 * The rate is read once per container: SES_MAX_SEND_RATE when set (local runs, tests, or an
 * operator capping a stage below the account's rate), else SES v2 GetAccount `SendQuota.MaxSendRate`.
 * When GetAccount fails (no ses:GetAccount grant, the local SES without an account configured) the
 * limiter falls back to FALLBACK_RATE — the sandbox rate, which every account has at least — and
 * logs why once.
 *
 * One limiter per container, shared by every send in it. Sends are spaced by at least 1/rate
 * seconds (no burst, also not after a stall), so any window of T seconds holds at most
 * rate × T + 1 sends; SES measures its rate per second and rejects the excess with a throttling
 * error.
 *
 * The limiter is per container: two containers sending at once each use the full rate. The
 * reminder job keeps its runs shorter than its one-minute schedule, so normally one container
 * sends at a time (see docs/operations.md, "Scheduled jobs at scale").
 */
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { loadSesV2 } from '../aws/sdk';

/** Messages per second when neither the override nor GetAccount gives a rate (the SES sandbox rate). */
export const FALLBACK_RATE = 1;
/** After SES throttled a send, nobody in the container sends for this long. */
export const THROTTLE_PAUSE_MS = 1_000;

/** A send slot could not be had before the caller's deadline; nothing was sent. */
export class NoSendSlot extends Error {
  constructor() {
    super('No send slot before the deadline');
    this.name = 'NoSendSlot';
  }
}

/**
 * Grants one send at a time, each at least 1/rate seconds after the previous grant as it really
 * happened (not as it was planned): a caller woken late by a busy event loop delays the grants
 * after it instead of letting them bunch up, so no window ever holds more than its share.
 * Grants are first come, first served.
 */
export class SendRateLimiter {
  readonly intervalMs: number;
  /** When the last grant happened (epoch ms). */
  private lastGrant = Number.NEGATIVE_INFINITY;
  /** The earliest time the next caller can expect a grant: the queue's planned end. */
  private nextFree = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly ratePerSecond: number) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError(`Send rate must be a positive number, got ${ratePerSecond}`);
    this.intervalMs = 1000 / ratePerSecond;
  }

  /**
   * Waits for the caller's turn. Returns false at once, queueing nothing, when that turn is not
   * expected before `deadline` (epoch ms).
   */
  async acquire(deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
    const planned = Math.max(Date.now(), this.nextFree);
    if (planned > deadline) return false;
    this.nextFree = planned + this.intervalMs;
    const turn = this.queue.then(() => this.grant());
    this.queue = turn;
    await turn;
    return true;
  }

  private async grant(): Promise<void> {
    // Timers may fire a little early against Date.now(): wait again rather than send early.
    for (let wait = this.lastGrant + this.intervalMs - Date.now(); wait > 0; wait = this.lastGrant + this.intervalMs - Date.now()) {
      await new Promise((done) => setTimeout(done, Math.ceil(wait)));
    }
    this.lastGrant = Date.now();
  }

  /** SES said "too fast" (another sender shares the account's rate): hold every send back a while. */
  pause(ms = THROTTLE_PAUSE_MS): void {
    const until = Date.now() + ms;
    this.lastGrant = Math.max(this.lastGrant, until - this.intervalMs);
    this.nextFree = Math.max(this.nextFree, until);
  }

  /** How many sends are expected to fit into the next `ms` milliseconds (at least 1). */
  capacityWithin(ms: number): number {
    const from = Math.max(0, this.nextFree - Date.now());
    return Math.max(1, Math.floor((ms - from) / this.intervalMs) + 1);
  }
}

export interface SendRateSource {
  rate: number;
  source: 'SES_MAX_SEND_RATE' | 'GetAccount' | 'fallback';
  /** Why GetAccount was not used (error name only). */
  reason?: string;
}

/** The rate to send at: the override, else the account's, else the fallback. */
export async function resolveSendRate(client: SESv2Client): Promise<SendRateSource> {
  const override = process.env.SES_MAX_SEND_RATE;
  if (override !== undefined && override !== '') {
    const rate = Number(override);
    if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`Configuration error: SES_MAX_SEND_RATE must be a positive number, got "${override}"`);
    return { rate, source: 'SES_MAX_SEND_RATE' };
  }
  try {
    const { GetAccountCommand } = await loadSesV2();
    const account = await client.send(new GetAccountCommand({}));
    const rate = account.SendQuota?.MaxSendRate;
    if (rate && rate > 0) return { rate, source: 'GetAccount' };
    return { rate: FALLBACK_RATE, source: 'fallback', reason: 'GetAccount returned no MaxSendRate' };
  } catch (err) {
    return { rate: FALLBACK_RATE, source: 'fallback', reason: (err as Error).name || 'Error' };
  }
}

let limiter: Promise<SendRateLimiter> | undefined;

/** The container's limiter, created on first use (GetAccount at most once per container). */
export function sendRateLimiter(client: SESv2Client): Promise<SendRateLimiter> {
  limiter ??= resolveSendRate(client).then((resolved) => {
    if (resolved.source === 'fallback') {
      // Not through the Logger: this module is shared by every sender; one line per container.
      console.warn(JSON.stringify({ level: 'WARN', message: 'SES send rate unknown; sending at the fallback rate', rate: resolved.rate, reason: resolved.reason }));
    }
    return new SendRateLimiter(resolved.rate);
  });
  limiter.catch(() => { limiter = undefined; });
  return limiter;
}

export interface SendOptions {
  /** Epoch ms: give up waiting for a send slot after this (throws NoSendSlot; nothing is sent). */
  deadline?: number;
}

/**
 * Runs one SES call in the container's next send slot. A rate throttle from SES pauses every
 * sender of the container before the error goes back to the caller.
 */
export async function withSendSlot<T>(client: SESv2Client, options: SendOptions, send: () => Promise<T>): Promise<T> {
  const slots = await sendRateLimiter(client);
  if (!(await slots.acquire(options.deadline))) throw new NoSendSlot();
  try {
    return await send();
  } catch (err) {
    if (isRateThrottle(err)) slots.pause();
    throw err;
  }
}

/** Tests that change SES_MAX_SEND_RATE between cases call this; production code never does. */
export function resetSendRateForTests(): void {
  limiter = undefined;
}

/**
 * True for SES's "too fast" answers, which say nothing about the message: retry soon, without
 * counting an attempt. The daily quota uses the same error names with another message ("Daily
 * message quota exceeded"); that is not a rate problem and takes the normal retry path.
 */
export function isRateThrottle(err: unknown): boolean {
  const name = (err as Error | undefined)?.name ?? '';
  const message = (err as Error | undefined)?.message ?? '';
  if (!['TooManyRequestsException', 'ThrottlingException', 'Throttling', 'LimitExceededException'].includes(name)) return false;
  return !/daily|quota|24[- ]hour/i.test(message);
}
