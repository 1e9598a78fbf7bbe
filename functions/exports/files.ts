/**
 * The writers of export files: rows go in one by one, bytes stream out to S3 (./upload.ts), so the
 * worker holds at most one S3 part (5 MiB) plus — for Parquet — one row group, never a file.
 *
 * - **CSV**: RFC 4180 text (functions/exports/rows.ts), a header row first, optionally a UTF-8
 *   byte-order mark; rendered row by row.
 * - **Parquet**: written by `hyparquet-writer` (pure JavaScript, so the same code runs in Lambda
 *   and locally), typed by the lake's column types (PARQUET_TYPES below), SNAPPY-compressed, in
 *   row groups of ROW_GROUP_ROWS rows: the rows of one group are collected column by column,
 *   encoded, and the encoded bytes handed to the upload before the next group starts. The library
 *   is loaded on the first Parquet file (CSV exports never load it).
 */
import type { SchemaElement } from 'hyparquet';
import type { LakeColumn, LakeTable, LakeType } from '../analytics/lake';
import { columnValue, csvHeader, csvRow } from './rows';
import { type ObjectTarget, StreamingUpload, type UploadResult } from './upload';

/** Rows per Parquet row group (the unit held in memory while a Parquet file is written). */
export const ROW_GROUP_ROWS = 10_000;

type Item = Record<string, unknown>;

export interface FileWriter {
  /** Adds one (already masked) item as a row. */
  add(item: Item): Promise<void>;
  /** Rows added so far. */
  readonly rows: number;
  /** Ends the file and completes its upload. */
  finish(): Promise<UploadResult>;
  /** Drops the file (nothing is stored; an unfinished multipart upload is aborted). */
  abort(): Promise<void>;
  /** The largest number of bytes the upload held at once. */
  readonly peakBuffered: number;
}

export interface FileOptions {
  format: 'csv' | 'parquet';
  table: LakeTable;
  target: ObjectTarget;
  /** CSV: start with a UTF-8 byte-order mark (Excel). */
  bom?: boolean;
  /** Bytes per uploaded part (tests use a small one to exercise multipart uploads). */
  partBytes?: number;
  /** Rows per Parquet row group. */
  rowGroupRows?: number;
}

export function openFile(options: FileOptions): FileWriter {
  return options.format === 'parquet' ? new ParquetFile(options) : new CsvFile(options);
}

class CsvFile implements FileWriter {
  rows = 0;
  private readonly upload: StreamingUpload;
  private started = false;

  constructor(private readonly options: FileOptions) {
    this.upload = new StreamingUpload(options.target, options.partBytes);
  }

  get peakBuffered() { return this.upload.peakBuffered; }

  private async start() {
    if (this.started) return;
    this.started = true;
    await this.upload.write(`${this.options.bom ? '\uFEFF' : ''}${csvHeader(this.options.table)}`);
  }

  async add(item: Item) {
    await this.start();
    await this.upload.write(csvRow(this.options.table, item));
    this.rows += 1;
  }

  async finish() {
    await this.start();
    return this.upload.finish();
  }

  abort() { return this.upload.abort(); }
}

/** The Parquet type of each lake type (DuckDB and Athena read these as the lake's types). */
export const PARQUET_TYPES: Record<LakeType, Omit<SchemaElement, 'name'>> = {
  varchar: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  // Text holding JSON (as in the lake): readable by every engine without a JSON extension.
  json: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  bigint: { type: 'INT64' },
  double: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
  // UTC instants with millisecond precision (what the API stores).
  timestamp: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' },
  date: { type: 'INT32', converted_type: 'DATE' },
  // A standard three-level LIST of strings (below).
  'varchar[]': { converted_type: 'LIST' },
};

/** The Parquet schema of a lake table: every column optional (absent fields are NULL). */
export function parquetSchema(table: LakeTable): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'root', num_children: table.columns.length }];
  for (const column of table.columns) {
    if (column.type === 'varchar[]') {
      schema.push(
        { name: column.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
      );
    } else {
      schema.push({ name: column.name, repetition_type: 'OPTIONAL', ...PARQUET_TYPES[column.type] });
    }
  }
  return schema;
}

const DAY_MS = 86_400_000;

/** One column's value of an item as the Parquet writer takes it (null: absent). */
export function parquetValue(column: LakeColumn, item: Item): unknown {
  const value = columnValue(column, item);
  if (value === undefined || value === null) return null;
  switch (column.type) {
    case 'bigint':
      return typeof value === 'number' && Number.isFinite(value) ? BigInt(Math.round(value)) : null;
    case 'double':
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    case 'timestamp': {
      const ms = Date.parse(String(value));
      return Number.isNaN(ms) ? null : BigInt(ms);
    }
    case 'date': {
      const ms = Date.parse(`${String(value).slice(0, 10)}T00:00:00Z`);
      return Number.isNaN(ms) ? null : Math.floor(ms / DAY_MS);
    }
    default:
      return value;
  }
}

let library: Promise<typeof import('hyparquet-writer')> | undefined;

class ParquetFile implements FileWriter {
  rows = 0;
  private readonly upload: StreamingUpload;
  private readonly groupRows: number;
  private columns: unknown[][];
  private writer: { write(options: { columnData: { name: string; data: unknown[] }[]; rowGroupSize: number }): void | Promise<void>; finish(): void | Promise<void> } | undefined;

  constructor(private readonly options: FileOptions) {
    this.upload = new StreamingUpload(options.target, options.partBytes);
    this.groupRows = options.rowGroupRows ?? ROW_GROUP_ROWS;
    this.columns = options.table.columns.map(() => []);
  }

  get peakBuffered() { return this.upload.peakBuffered; }

  private async open() {
    if (this.writer) return this.writer;
    library ??= import('hyparquet-writer');
    const { ByteWriter, ParquetWriter } = await library;
    const upload = this.upload;
    // After each row group (and at the end): hand the encoded bytes to the upload and reuse the
    // buffer. `offset` keeps counting the file's bytes (the footer's offsets need it).
    class UploadWriter extends ByteWriter {
      flush() {
        const pending = upload.write(new Uint8Array(this.buffer, 0, this.index));
        this.index = 0;
        return pending;
      }

      override finish() { return this.flush(); }
    }
    this.writer = new ParquetWriter({ writer: new UploadWriter(64 * 1024), schema: parquetSchema(this.options.table), codec: 'SNAPPY', createdBy: 'crm exports' });
    return this.writer;
  }

  private async writeGroup() {
    const writer = await this.open();
    const count = this.columns[0]?.length ?? 0;
    if (count === 0) return;
    const columnData = this.options.table.columns.map((c, i) => ({ name: c.name, data: this.columns[i]! }));
    await writer.write({ columnData, rowGroupSize: count });
    this.columns = this.options.table.columns.map(() => []);
  }

  async add(item: Item) {
    const columns = this.options.table.columns;
    for (let i = 0; i < columns.length; i++) this.columns[i]!.push(parquetValue(columns[i]!, item));
    this.rows += 1;
    if (this.columns[0]!.length >= this.groupRows) await this.writeGroup();
  }

  async finish() {
    await this.writeGroup();
    const writer = await this.open();
    await writer.finish();
    return this.upload.finish();
  }

  abort() { return this.upload.abort(); }
}
