/**
 * The `webhooks` job (schedule row, every minute; `npm run job -- webhooks --now <time>` locally):
 * attempts every delivery whose retry is due, oldest first, reading the sparse due index
 * (`WEBHOOKS#DUE`, `<= now`) one page at a time — a quiet minute costs one empty Query. Each
 * delivery is claimed with a conditional update (lease) before its attempt, so overlapping runs and
 * the deliverer never send the same attempt twice; a run that dies leaves its claims to expire
 * and be retried. Time comes from the run (`now`), so retry schedules can be tested by running
 * the job "in the future".
 */
import { randomUUID } from 'node:crypto';
import { Budget } from '../jobs/budget';
import { mapLimit } from '../jobs/concurrency';
import type { JobOutcome } from '../jobs/registry';
import { attemptDelivery } from './attempt';
import { LEASE_MS, type WebhookItem } from './model';
import * as repo from './repository';

const PAGE_SIZE = 50;
const CONCURRENCY = 10;

export interface WebhookRunOutcome extends JobOutcome {
  due: number;
  delivered: number;
  retried: number;
  dead: number;
  disabled: number;
}

export async function runWebhookRetries(now: Date, options: { budget?: Budget; onItemError?: (id: string, error: unknown) => void } = {}): Promise<WebhookRunOutcome> {
  const budget = options.budget ?? Budget.ofMs(240_000);
  const outcome: WebhookRunOutcome = { processed: 0, failed: 0, more: false, due: 0, delivered: 0, retried: 0, dead: 0, disabled: 0 };
  const webhooks = new Map<string, Promise<WebhookItem | undefined>>();
  const webhookOf = (id: string) => {
    let found = webhooks.get(id);
    if (!found) { found = repo.getWebhook(id); webhooks.set(id, found); }
    return found;
  };
  for (;;) {
    // Attempts take up to 10 s each: stop starting pages with less than a page's worth left.
    if (budget.remainingMs() < 15_000) { outcome.more = true; break; }
    const due = await repo.dueDeliveries(now, PAGE_SIZE);
    if (due.length === 0) break;
    outcome.due += due.length;
    let claimedAny = false;
    await mapLimit(due, CONCURRENCY, async (entry) => {
      try {
        const leaseId = randomUUID();
        const claimed = await repo.claimDelivery(entry.webhookId, entry.id, entry.nextAttemptAt, leaseId, new Date(now.getTime() + LEASE_MS));
        if (!claimed) return; // another run took it
        claimedAny = true;
        const result = await attemptDelivery(claimed, await webhookOf(entry.webhookId), leaseId, now);
        outcome.processed += 1;
        if (result.disabled) { outcome.disabled += 1; webhooks.delete(entry.webhookId); }
        if (result.delivery.status === 'delivered') outcome.delivered += 1;
        else if (result.delivery.status === 'dead') outcome.dead += 1;
        else outcome.retried += 1;
      } catch (error) {
        outcome.failed += 1;
        options.onItemError?.(entry.id, error);
      }
    });
    // Everything on the page was claimed by another run meanwhile, or failed: do not spin on it.
    if (!claimedAny || due.length < PAGE_SIZE) break;
  }
  return outcome;
}
