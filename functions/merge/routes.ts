/** Route rows served by the `merge` feature: merging a duplicate customer into a survivor. */
import type { RouteDef } from '../api/route-def';
import { IdParam } from '../../schemas/common';
import { MergeRequest, MergeResult } from '../../schemas/merge';

const cus = IdParam('cus');

export const routes = [
  { method: 'POST', path: '/v1/customers/{id}/merge', feature: 'merge', operation: 'mergeCustomer', tag: 'Customers', summary: 'Merge a duplicate into this customer (the survivor): contacts, activities, tasks, deals, orders, assets, contracts and tickets move; the duplicate is archived with `mergedInto`. Resumable: a retry continues where an interrupted merge stopped', permission: 'customers:merge', params: cus, body: MergeRequest, response: { status: 200, schema: MergeResult }, errors: [404, 409] },
] as const satisfies readonly RouteDef[];
