import * as z from './zod';
import { once } from './once';
import { Id, IdParam, PageQuery, Timestamp, pageOf } from './common';

/**
 * What an on-demand export can contain: the records that have an index listing all of them, so the
 * export worker reads them page by page with Query (never Scan). Contacts are read customer by
 * customer. Everything else (activities, quotes, orders, …) is in the analytics lake. The order is
 * the order of the files and the progress.
 */
export const EXPORT_ENTITIES = [
  'customers', 'contacts', 'leads', 'deals', 'products', 'pipelines',
  'tickets', 'contracts', 'kb-articles', 'campaigns', 'segments', 'mailing-lists',
] as const;
export type ExportEntity = (typeof EXPORT_ENTITIES)[number];
export const EXPORT_FORMATS = ['csv', 'parquet'] as const;
export const EXPORT_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;

export const ExportInput = once(() => z
  .strictObject({
    entities: z.array(z.enum(EXPORT_ENTITIES)).check(
      z.minLength(1, 'Name at least one entity'),
      z.maxLength(EXPORT_ENTITIES.length),
      z.refine((list) => new Set(list).size === list.length, 'Name each entity once'),
      z.meta({ description: `Record types to export, each once: ${EXPORT_ENTITIES.join(', ')}` }),
    ),
    format: z.optional(z.enum(EXPORT_FORMATS).check(z.meta({ description: 'File format (default csv). Parquet needs a Parquet writer where the export runs (docs/analytics.md)' }))),
  })
  .check(z.meta({ id: 'ExportInput' })));

export const ExportFile = once(() => z
  .object({
    entity: z.enum(EXPORT_ENTITIES),
    part: z.int(),
    rows: z.int(),
    bytes: z.int(),
    url: z.string().check(z.meta({ description: 'Presigned download URL (GET), valid until `expiresAt`' })),
    expiresAt: Timestamp(),
  })
  .check(z.meta({ id: 'ExportFile' })));

export const ExportEntityProgress = once(() => z
  .object({
    entity: z.enum(EXPORT_ENTITIES),
    state: z.enum(['pending', 'running', 'done']),
    rows: z.int(),
    bytes: z.int(),
    files: z.int(),
  })
  .check(z.meta({ id: 'ExportEntityProgress' })));

export const Export = once(() => z
  .object({
    id: Id('exp'),
    state: z.enum(EXPORT_STATES).check(z.meta({ description: 'queued → running → succeeded, or failed' })),
    format: z.enum(EXPORT_FORMATS),
    entities: z.array(z.enum(EXPORT_ENTITIES)),
    masked: z.boolean().check(z.meta({ description: 'Personal fields are masked as the API masks them for your role (no pii:read)' })),
    progress: z.object({
      entitiesDone: z.int(),
      entitiesTotal: z.int(),
      rows: z.int(),
      bytes: z.int(),
      files: z.int(),
      entities: z.array(ExportEntityProgress()),
    }),
    files: z.optional(z.array(ExportFile()).check(z.meta({ description: 'When succeeded: one presigned URL per file (each file has a header row)' }))),
    error: z.optional(z.string()),
    createdAt: Timestamp(),
    createdBy: z.string(),
    updatedAt: Timestamp(),
    completedAt: z.optional(Timestamp()),
  })
  .check(z.meta({ id: 'Export' })));

export const ExportSummary = once(() => z
  .object({
    id: Id('exp'),
    state: z.enum(EXPORT_STATES),
    format: z.enum(EXPORT_FORMATS),
    entities: z.array(z.enum(EXPORT_ENTITIES)),
    rows: z.int(),
    bytes: z.int(),
    createdAt: Timestamp(),
    completedAt: z.optional(Timestamp()),
  })
  .check(z.meta({ id: 'ExportSummary' })));

export const ExportPage = once(() => pageOf(ExportSummary(), 'ExportPage'));
export const ExportListQuery = once(() => z.strictObject({ ...PageQuery() }));
export const ExportIdParam = IdParam('exp');
