/**
 * `POST /v1/leads/batch`: each item becomes the plan of the single-record call it stands for
 * (functions/http/batch.ts runs them, one after the other, each answered by itself).
 */
import { type BatchItemPlan, runBatch } from '../http/batch';
import { BadRequest } from '../http/problem';
import { validate } from '../http/request';
import { authorize, type Principal } from '../security/principal';
import type { Infer } from '../../schemas/once';
import type { LeadBatch } from '../../schemas/batch';
import { LeadCreate, LeadPatch } from '../../schemas/leads';
import * as service from './service';

type Item = Infer<typeof LeadBatch>['items'][number];

export function leadPlan(principal: Principal, now: Date, item: Item): BatchItemPlan {
  const scope = authorize(principal, 'leads:write');
  if (item.op === 'create') {
    if (item.id) throw BadRequest('A create takes no id', [{ path: 'id', message: 'Only for op update' }]);
    const body = validate<Infer<typeof LeadCreate>>(LeadCreate(), item.body, 'body');
    return {
      method: 'POST', path: '/v1/leads', idempotencyKey: item.idempotencyKey, body,
      run: async () => ({ status: 201, body: await service.createLead(principal, scope, body, now) }),
      reread: (id) => service.getLead(principal, id),
    };
  }
  const id = item.id;
  if (!id) throw BadRequest('An update names its record', [{ path: 'id', message: 'Required for op update' }]);
  const body = validate<Infer<typeof LeadPatch>>(LeadPatch(), item.body, 'body');
  return {
    method: 'PATCH', path: `/v1/leads/${id}`, idempotencyKey: item.idempotencyKey, body,
    run: async () => ({ status: 200, body: await service.updateLead(principal, scope, id, body, item.ifMatch, now) }),
    reread: (recordId) => service.getLead(principal, recordId),
  };
}

export function leadsBatch(principal: Principal, requestId: string, now: Date, batch: Infer<typeof LeadBatch>) {
  return runBatch(principal, requestId, now, batch.items.map((item) => {
    try {
      return leadPlan(principal, now, item);
    } catch (err) {
      return err as Error;
    }
  }));
}
