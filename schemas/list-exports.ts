/**
 * Query parameters of the list exports (`GET /v1/customers/export.csv`, contacts, leads): the
 * filters of the list route they export — the same names, values and index choice — without its
 * paging (`limit`, `cursor`: an export has every row), plus the file options.
 */
import * as z from './zod';
import { once } from './once';
import { CustomerListQuery } from './customers';
import { LeadListQuery } from './leads';

const FileOptions = once(() => ({
  bom: z.optional(z.enum(['true', 'false']).check(z.meta({
    description: 'true starts each file with a UTF-8 byte-order mark, so Excel opens it as UTF-8 (umlauts, Chinese names); default false',
  }))),
}));

export const CustomerExportQuery = once(() => z.extend(z.omit(CustomerListQuery(), { limit: true, cursor: true }), FileOptions()));
export const LeadExportQuery = once(() => z.extend(z.omit(LeadListQuery(), { limit: true, cursor: true }), FileOptions()));
