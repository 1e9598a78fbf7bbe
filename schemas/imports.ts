import * as z from './zod';
import { once } from './once';
import { Id, IdParam, PageQuery, Timestamp, pageOf } from './common';

/**
 * CSV imports (migration, docs/imports.md). An import names one record type; every row goes
 * through that type's create (or update) route's own schema and service. `list-members` adds
 * contacts (by id or email) to the static list `listId` through the marketing feature's own
 * membership write.
 */
export const IMPORT_ENTITIES = ['customers', 'contacts', 'leads', 'products', 'list-members'] as const;
export type ImportEntity = (typeof IMPORT_ENTITIES)[number];
export const IMPORT_ENCODINGS = ['utf-8', 'gb18030'] as const;
export const IMPORT_DELIMITERS = [',', ';', 'auto'] as const;
export const DEDUPE_MODES = ['skip', 'update', 'create'] as const;
export const IMPORT_STATES = ['awaiting-upload', 'queued', 'running', 'succeeded', 'failed'] as const;

/** Largest mapping: more columns than any entity has fields (custom fields included). */
export const MAX_MAPPED_COLUMNS = 100;

/**
 * A mapping target: a field of the entity's create schema (`name`, `email`), a nested one
 * (`address.city`), a price per currency (`price.EUR`, products) or a custom field (`custom.<name>`).
 * Which targets an entity accepts is checked when the import is created (400 naming the header).
 */
const Target = once(() => z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}(\.[A-Za-z0-9_]{1,64})?$/, 'Expected a field name such as "email", "address.city", "price.EUR" or "custom.region"')));

const Header = once(() => z.string().check(z.minLength(1), z.maxLength(200)));

export const ImportCreate = once(() => z
  .strictObject({
    entity: z.enum(IMPORT_ENTITIES).check(z.meta({ description: 'Record type of every row; list-members adds contacts to the static list `listId`' })),
    listId: z.optional(Id('lst').check(z.meta({ description: 'With entity list-members (and only then): the static list the rows\' contacts join' }))),
    mapping: z.record(Header(), Target()).check(
      z.refine((m) => Object.keys(m).length > 0, 'Map at least one column'),
      z.refine((m) => Object.keys(m).length <= MAX_MAPPED_COLUMNS, `Map at most ${MAX_MAPPED_COLUMNS} columns`),
      z.refine((m) => new Set(Object.values(m)).size === Object.values(m).length, 'Map each field from one column only'),
      z.meta({ description: 'CSV header (exactly as in the file, BOM and surrounding spaces removed) → field. Columns not named here are ignored.' }),
    ),
    dedupe: z.optional(z.enum(DEDUPE_MODES).check(z.meta({ description: 'What a row matching an existing record (email, phone, SKU; docs/imports.md) does: skip it (default), update the record, or create a new one anyway (uniqueness guards still refuse a taken email, phone or SKU)' }))),
    encoding: z.optional(z.enum(IMPORT_ENCODINGS).check(z.meta({ description: 'Character encoding (default utf-8; a UTF-8 byte-order mark is detected and skipped). gb18030 for Chinese Excel exports' }))),
    delimiter: z.optional(z.enum(IMPORT_DELIMITERS).check(z.meta({ description: 'Field delimiter; auto (default) picks , or ; from the header line' }))),
  })
  .check(
    z.refine((b) => (b.entity === 'list-members') === (b.listId !== undefined), { message: 'listId goes with entity list-members, and only with it', path: ['listId'] }),
    z.meta({ id: 'ImportCreate' }),
  ));

/**
 * One row of a `list-members` import, as the mapping builds it: the contact by id, or every contact
 * holding the email. Validated like a create body (preview errors, rejected-rows reasons).
 */
export const ListMemberRow = once(() => z
  .strictObject({
    contactId: z.optional(Id('con')),
    email: z.optional(z.email().check(z.maxLength(254))),
  })
  .check(z.refine((r) => r.contactId !== undefined || r.email !== undefined, { message: 'Expected a contactId or an email', path: ['contactId'] })));

export const ImportPreviewInput = once(() => z
  .strictObject({
    rows: z.optional(z.int().check(z.minimum(1), z.maximum(50), z.meta({ description: 'Rows to preview (default 10, at most 50)' }))),
  })
  .check(z.meta({ id: 'ImportPreviewInput' })));

const Counts = once(() => z.object({
  read: z.int().check(z.meta({ description: 'Data rows read so far (the header not counted)' })),
  created: z.int(),
  updated: z.int(),
  skipped: z.int().check(z.meta({ description: 'Rows matching an existing record with dedupe skip' })),
  rejected: z.int().check(z.meta({ description: 'Rows refused (validation, duplicates, ragged rows); listed with their reason in the rejected-rows file' })),
}));

export const Import = once(() => z
  .object({
    id: Id('imp'),
    entity: z.enum(IMPORT_ENTITIES),
    listId: z.optional(Id('lst')),
    state: z.enum(IMPORT_STATES).check(z.meta({ description: 'awaiting-upload → (start) queued → running → succeeded, or failed' })),
    dedupe: z.enum(DEDUPE_MODES),
    encoding: z.enum(IMPORT_ENCODINGS),
    delimiter: z.enum(IMPORT_DELIMITERS),
    mapping: z.record(z.string(), z.string()),
    counts: Counts(),
    upload: z.optional(z.object({
      url: z.string().check(z.meta({ description: 'Presigned PUT URL for the CSV file (send the bytes as the request body)' })),
      method: z.literal('PUT'),
      expiresAt: Timestamp(),
    }).check(z.meta({ description: 'While awaiting the upload: where to PUT the file' }))),
    rejectedRows: z.optional(z.object({
      url: z.string().check(z.meta({ description: 'Presigned GET URL of the rejected-rows CSV: row, reason, then the row\'s original columns' })),
      rows: z.int(),
      expiresAt: Timestamp(),
    }).check(z.meta({ description: 'When succeeded with rejected rows' }))),
    error: z.optional(z.string().check(z.meta({ description: 'Why the import failed (e.g. the file is not valid UTF-8)' }))),
    createdAt: Timestamp(),
    createdBy: z.string(),
    updatedAt: Timestamp(),
    startedAt: z.optional(Timestamp()),
    completedAt: z.optional(Timestamp()),
  })
  .check(z.meta({ id: 'Import' })));

export const ImportPreview = once(() => z
  .object({
    headers: z.array(z.string()).check(z.meta({ description: 'The file\'s header row as read' })),
    delimiter: z.enum([',', ';']),
    unmappedHeaders: z.array(z.string()).check(z.meta({ description: 'Headers the mapping ignores' })),
    missingHeaders: z.array(z.string()).check(z.meta({ description: 'Mapped headers the file does not have' })),
    rows: z.array(z.object({
      row: z.int().check(z.meta({ description: 'Row number as a spreadsheet shows it (the header is row 1)' })),
      values: z.record(z.string(), z.unknown()).check(z.meta({ description: 'The record the row becomes, as the create route would receive it' })),
      errors: z.array(z.object({ path: z.string(), message: z.string() })),
    })),
  })
  .check(z.meta({ id: 'ImportPreview' })));

export const ImportIdParam = IdParam('imp');
export const ImportListQuery = once(() => z.strictObject({ ...PageQuery() }));
export const ImportPage = once(() => pageOf(Import(), 'ImportPage'));
