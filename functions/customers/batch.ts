/**
 * `POST /v1/customers/batch` and `POST /v1/contacts/batch`: each item becomes the plan of the
 * single-record call it stands for (functions/http/batch.ts runs them). An item that fails its
 * schema or its permission is answered by itself; the others go on.
 */
import { type BatchItemPlan, runBatch } from '../http/batch';
import { BadRequest } from '../http/problem';
import { validate } from '../http/request';
import { authorize, type Principal } from '../security/principal';
import type { Infer } from '../../schemas/once';
import type { ContactBatch, CustomerBatch } from '../../schemas/batch';
import { ContactCreate, ContactPatch, CustomerCreate, CustomerPatch } from '../../schemas/customers';
import * as service from './service';

type Item<B extends () => unknown> = Infer<B> extends { items: (infer I)[] } ? I : never;

function planOrError(build: () => BatchItemPlan): BatchItemPlan | Error {
  try {
    return build();
  } catch (err) {
    return err as Error;
  }
}

const needsId = () => BadRequest('An update names its record', [{ path: 'id', message: 'Required for op update' }]);
const noId = () => BadRequest('A create takes no id', [{ path: 'id', message: 'Only for op update' }]);

export function customerPlan(principal: Principal, now: Date, item: Item<typeof CustomerBatch>): BatchItemPlan {
  if (item.op === 'create') {
    if (item.id) throw noId();
    const scope = authorize(principal, 'customers:create');
    const body = validate<Infer<typeof CustomerCreate>>(CustomerCreate(), item.body, 'body');
    return {
      method: 'POST', path: '/v1/customers', idempotencyKey: item.idempotencyKey, body,
      run: async () => ({ status: 201, body: await service.createCustomer(principal, scope, body, now) }),
      reread: (id) => service.getCustomer(principal, id),
    };
  }
  const id = item.id;
  if (!id) throw needsId();
  const scope = authorize(principal, 'customers:update');
  const body = validate<Infer<typeof CustomerPatch>>(CustomerPatch(), item.body, 'body');
  return {
    method: 'PATCH', path: `/v1/customers/${id}`, idempotencyKey: item.idempotencyKey, body,
    run: async () => ({ status: 200, body: await service.updateCustomer(principal, scope, id, body, item.ifMatch, now) }),
    reread: (recordId) => service.getCustomer(principal, recordId),
  };
}

export function contactPlan(principal: Principal, now: Date, item: Item<typeof ContactBatch>): BatchItemPlan {
  authorize(principal, 'contacts:write');
  if (item.op === 'create') {
    if (item.id) throw noId();
    const customerId = item.customerId;
    if (!customerId) throw BadRequest('A contact is created on a customer', [{ path: 'customerId', message: 'Required for op create' }]);
    const body = validate<Infer<typeof ContactCreate>>(ContactCreate(), item.body, 'body');
    return {
      method: 'POST', path: `/v1/customers/${customerId}/contacts`, idempotencyKey: item.idempotencyKey, body,
      run: async () => ({ status: 201, body: await service.createContact(principal, customerId, body, now) }),
      reread: (id) => service.getContact(principal, id),
    };
  }
  const id = item.id;
  if (!id) throw needsId();
  const body = validate<Infer<typeof ContactPatch>>(ContactPatch(), item.body, 'body');
  return {
    method: 'PATCH', path: `/v1/contacts/${id}`, idempotencyKey: item.idempotencyKey, body,
    run: async () => ({ status: 200, body: await service.updateContact(principal, id, body, item.ifMatch, now) }),
    reread: (recordId) => service.getContact(principal, recordId),
  };
}

export function customersBatch(principal: Principal, requestId: string, now: Date, batch: Infer<typeof CustomerBatch>) {
  return runBatch(principal, requestId, now, batch.items.map((item) => planOrError(() => customerPlan(principal, now, item))));
}

export function contactsBatch(principal: Principal, requestId: string, now: Date, batch: Infer<typeof ContactBatch>) {
  return runBatch(principal, requestId, now, batch.items.map((item) => planOrError(() => contactPlan(principal, now, item))));
}
