/**
 * Runs the items of a bulk call (`POST /v1/<entity>/batch`) one after the other, each like its own
 * request: validated against its own schema, authorised for its own action, written in its own
 * transaction(s), with its own optional idempotency key taken through the same layer as the
 * Idempotency-Key header (functions/http/idempotency.ts; the key and body of an item are those of
 * the single-record call it stands for, so a retried item replays its first result). An item's
 * failure is its result (status + problem), never the batch's: nothing of a failed item is
 * written, and the other items are unaffected.
 *
 * Sequential on purpose: the request scope carries one idempotency guard at a time (the
 * transaction helper marks it committed), items may depend on each other (the second of two
 * items with the same email is the duplicate), and 100 items of ≈ 10–30 ms fit the function's time.
 */
import { isDependencyFailure } from '../aws/errors';
import { currentRequestScope } from '../data/client';
import { beginIdempotent, completeIdempotent, fingerprint, releaseIdempotent } from './idempotency';
import { OutcomeUnknown, SavedWithoutResponse, ServiceUnavailable, toProblemResponse } from './problem';
import type { Principal } from '../security/principal';

export interface BatchItemPlan {
  /** Method and path of the single-record call the item stands for (idempotency fingerprint, `instance`). */
  method: 'POST' | 'PATCH';
  path: string;
  idempotencyKey?: string;
  /** The item as the fingerprint sees it (the single call's body). */
  body: unknown;
  /** Applies the item: its status and record. */
  run: () => Promise<{ status: number; body: { id?: unknown } }>;
  /** Reads the record a committed item wrote when its stored answer is missing. */
  reread: (id: string) => Promise<{ id?: unknown }>;
}

export interface BatchItemResult {
  index: number;
  status: number;
  id?: string;
  body?: unknown;
  problem?: unknown;
  replayed?: boolean;
}

function problemOf(index: number, err: unknown, requestId: string, path: string): BatchItemResult {
  const response = toProblemResponse(err, requestId, path);
  return { index, status: response.statusCode, problem: JSON.parse(response.body) };
}

async function runItem(index: number, principal: Principal, requestId: string, now: Date, plan: BatchItemPlan): Promise<BatchItemResult> {
  const scope = currentRequestScope();
  if (!plan.idempotencyKey) {
    try {
      const out = await plan.run();
      return { index, status: out.status, id: String(out.body.id), body: out.body };
    } catch (err) {
      // Without a key a write that was sent but not confirmed may have been applied.
      return problemOf(index, isDependencyFailure(err) ? (scope?.uncertainWrite ? OutcomeUnknown(false) : ServiceUnavailable()) : err, requestId, plan.path);
    }
  }
  let begin;
  try {
    begin = await beginIdempotent(principal.userId, plan.idempotencyKey, fingerprint(plan.method, plan.path, plan.body), now);
  } catch (err) {
    return problemOf(index, err, requestId, plan.path);
  }
  if (begin.kind === 'replay') {
    const body = begin.response.body ? JSON.parse(begin.response.body) : undefined;
    return { index, status: begin.response.statusCode, id: body?.id, body, replayed: true };
  }
  if (begin.kind === 'rebuild') {
    const id = begin.resultIds[0];
    try {
      if (!id) throw SavedWithoutResponse();
      const body = await plan.reread(id);
      return { index, status: plan.method === 'POST' ? 201 : 200, id: String(body.id), body, replayed: true };
    } catch (err) {
      return problemOf(index, isDependencyFailure(err) ? SavedWithoutResponse() : err, requestId, plan.path);
    }
  }
  const guard = begin.guard;
  if (scope) {
    scope.idempotency = guard;
    scope.uncertainWrite = false;
  }
  try {
    const out = await plan.run();
    const result: BatchItemResult = { index, status: out.status, id: String(out.body.id), body: out.body };
    await completeIdempotent(guard, { statusCode: out.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out.body) }).catch(() => undefined);
    return result;
  } catch (err) {
    // Releasing is the fence, as in the chain: once the lock is gone the item can never commit.
    const settled = await releaseIdempotent(guard);
    const mapped = settled === 'committed' ? SavedWithoutResponse()
      : settled === 'unknown' && isDependencyFailure(err) ? OutcomeUnknown(true)
        : isDependencyFailure(err) ? ServiceUnavailable() : err;
    return problemOf(index, mapped, requestId, plan.path);
  } finally {
    if (scope) scope.idempotency = undefined;
  }
}

/** Every item's result in order, and the 207 body. */
export async function runBatch(principal: Principal, requestId: string, now: Date, plans: (BatchItemPlan | Error)[]) {
  const results: BatchItemResult[] = [];
  for (const [index, plan] of plans.entries()) {
    results.push(plan instanceof Error ? problemOf(index, plan, requestId, '') : await runItem(index, principal, requestId, now, plan));
  }
  const succeeded = results.filter((r) => r.status < 300).length;
  return { status: 207, body: { results, succeeded, failed: results.length - succeeded } };
}
