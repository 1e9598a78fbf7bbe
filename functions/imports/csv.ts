/**
 * Reading and writing the CSV of an import, streaming and by byte offset.
 *
 * Records are parsed from the raw bytes (csv-parse with `encoding: null`), not from decoded text:
 * the bytes that structure a CSV — `,`, `;`, `"`, CR, LF — never occur inside a multi-byte
 * character of UTF-8 or GB18030, so the parser splits the file correctly in either encoding, and
 * `info.bytes` is an offset in the *file*. That offset is the worker's checkpoint: a chunk starts
 * with a ranged GET at the offset after the last committed row, never re-reading what is done.
 * Each field is then decoded on its own with a fatal TextDecoder.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type { Parser } from 'csv-parse';
import { Readable } from 'node:stream';

/**
 * csv-parse (31 KB) loaded on first use: the import API reads records only for a preview or a
 * header check, the worker only once it has a file, and the split bundle (lib/bundling.ts) keeps
 * it out of both functions' cold start.
 */
let csvParse: Promise<typeof import('csv-parse')> | undefined;
const loadCsvParse = () => {
  csvParse ??= import('csv-parse');
  csvParse.catch(() => { csvParse = undefined; });
  return csvParse;
};

export type Encoding = 'utf-8' | 'gb18030';
export type Delimiter = ',' | ';';

/** Longest record accepted (a bigger one is a broken file, e.g. an unclosed quote). */
export const MAX_RECORD_BYTES = 1 << 20;

/** One record as read: its fields (bytes) and the file offset just after it. */
export interface RawRecord {
  fields: Buffer[];
  /** Offset in the file after this record (and its line break). */
  end: number;
}

/** A problem of the whole file (encoding, broken quoting): the import cannot go on. */
export class FileProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileProblem';
  }
}

const decoders = new Map<Encoding, TextDecoder>();
const decoderFor = (encoding: Encoding) => {
  let d = decoders.get(encoding);
  if (!d) decoders.set(encoding, (d = new TextDecoder(encoding, { fatal: true, ignoreBOM: true })));
  return d;
};

/** A field's text; FileProblem when its bytes are not valid in the encoding. */
export function decodeField(bytes: Buffer, encoding: Encoding, where: string): string {
  try {
    return decoderFor(encoding).decode(bytes);
  } catch {
    throw new FileProblem(`${where} is not valid ${encoding === 'utf-8' ? 'UTF-8' : 'GB18030'}; save the file as UTF-8${encoding === 'utf-8' ? ' or start the import with encoding gb18030' : ''}`);
  }
}

/** `,` or `;`: whichever the header line (the bytes before its first line break) holds more of. */
export function detectDelimiter(head: Buffer): Delimiter {
  let end = head.indexOf(10);
  if (end < 0) end = head.length;
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (let i = 0; i < end; i++) {
    const b = head[i];
    if (b === 0x22) quoted = !quoted;
    else if (!quoted && b === 0x2c) commas++;
    else if (!quoted && b === 0x3b) semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

function parser(parse: typeof import('csv-parse').parse, delimiter: Delimiter): Parser {
  return parse({
    // Buffers, not strings: fields are decoded one by one (decodeField). No `bom` option: csv-parse
    // would switch to strings when it finds one; hasUtf8Bom() skips it by offset instead.
    encoding: null,
    info: true,
    delimiter,
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    // A quote inside an unquoted field (`5" display`) is kept as text, as spreadsheets write it.
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
  });
}

interface ParsedRecord { record: Buffer[]; info: { bytes: number } }

/** What csv-parse emits with `info: true` and `encoding: null` (its stream is untyped). */
function isParsedRecord(value: unknown): value is ParsedRecord {
  if (typeof value !== 'object' || value === null || !('record' in value) || !('info' in value)) return false;
  const { record, info } = value;
  return Array.isArray(record) && record.every((f) => Buffer.isBuffer(f)) && typeof info === 'object' && info !== null && 'bytes' in info && typeof info.bytes === 'number';
}

function parseProblem(error: unknown, startLine: string): FileProblem {
  const message = error instanceof Error ? error.message : String(error);
  return new FileProblem(`The file is not well-formed CSV ${startLine}: ${message.replace(/\s+/g, ' ').slice(0, 300)}`);
}

/**
 * Up to `max` records of `source` (bytes of the file from `start` on), each with its end offset.
 * `done`: the file ended within them. Stops reading (and destroys `source`) once it has `max`.
 */
export async function readRecords(source: Readable, options: { delimiter: Delimiter; start: number; max: number }): Promise<{ records: RawRecord[]; done: boolean }> {
  const records: RawRecord[] = [];
  // Listening before the first await: a stream that errors while the parser loads must not throw
  // an unhandled 'error' event.
  let failed: Error | undefined;
  source.on('error', (error) => { failed ??= error; });
  let done = true;
  let CsvError: typeof import('csv-parse').CsvError | undefined;
  try {
    const csvParse = await loadCsvParse();
    CsvError = csvParse.CsvError;
    const csv = source.pipe(parser(csvParse.parse, options.delimiter));
    source.on('error', (error) => csv.destroy(error));
    if (failed) csv.destroy(failed);
    for await (const chunk of csv) {
      if (!isParsedRecord(chunk)) throw new Error('csv-parse emitted an unexpected record');
      records.push({ fields: chunk.record, end: options.start + chunk.info.bytes });
      if (records.length >= options.max) {
        done = false;
        break;
      }
    }
  } catch (error) {
    if (error instanceof FileProblem) throw error;
    if (CsvError && error instanceof CsvError) throw parseProblem(error, `after byte ${records.at(-1)?.end ?? options.start}`);
    throw error;
  } finally {
    source.destroy();
  }
  // `break` ends the iteration before the parser saw the end: the file may still end right here.
  return { records, done };
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];

/** Whether the bytes begin with a UTF-8 byte-order mark (Excel's "CSV UTF-8"). */
export const hasUtf8Bom = (head: Uint8Array) => UTF8_BOM.every((b, i) => head[i] === b);

/** Records of an in-memory head of the file (preview, header): complete records only unless `whole`. */
export async function recordsOfHead(head: Buffer, delimiter: Delimiter, max: number, whole: boolean): Promise<RawRecord[]> {
  // A head cut inside a record: drop the bytes after the last line break (quoted line breaks make
  // that cut earlier than needed, which only shortens a preview).
  const start = hasUtf8Bom(head) ? UTF8_BOM.length : 0;
  const cut = (whole ? head : head.subarray(0, head.lastIndexOf(10) + 1)).subarray(start);
  const { records } = await readRecords(Readable.from([cut]), { delimiter, start, max });
  return records;
}

/**
 * Checks that the whole file is valid in its encoding, streaming (memory: one piece of the stream
 * and one line). FileProblem names the first bad line. Lines split at LF, which never occurs inside
 * a multi-byte character of either encoding.
 */
export async function checkEncoding(source: AsyncIterable<Uint8Array>, encoding: Encoding): Promise<{ bytes: number }> {
  let pending = Buffer.alloc(0);
  let line = 1;
  let bytes = 0;
  const valid = (part: Buffer) => {
    if (encoding === 'utf-8') return isUtf8(part);
    try {
      decoderFor(encoding).decode(part);
      return true;
    } catch {
      return false;
    }
  };
  const check = (part: Buffer) => {
    if (valid(part)) {
      for (let i = part.indexOf(10); i >= 0; i = part.indexOf(10, i + 1)) line++;
      return;
    }
    let from = 0;
    for (;;) {
      const nl = part.indexOf(10, from);
      const piece = part.subarray(from, nl < 0 ? part.length : nl + 1);
      if (!valid(piece)) throw new FileProblem(`Line ${line} of the file is not valid ${encoding === 'utf-8' ? 'UTF-8' : 'GB18030'}; save the file as UTF-8${encoding === 'utf-8' ? ' or start the import with encoding gb18030' : ''}. Nothing was imported`);
      if (nl < 0) return;
      line++;
      from = nl + 1;
    }
  };
  for await (const piece of source) {
    bytes += piece.length;
    const data = pending.length ? Buffer.concat([pending, piece]) : Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    const lastBreak = data.lastIndexOf(10);
    if (lastBreak < 0) {
      pending = Buffer.from(data);
      if (pending.length > MAX_RECORD_BYTES * 4) throw new FileProblem(`Line ${line} is longer than ${MAX_RECORD_BYTES * 4} bytes; is this a CSV file?`);
      continue;
    }
    check(data.subarray(0, lastBreak + 1));
    pending = Buffer.from(data.subarray(lastBreak + 1));
  }
  if (pending.length) check(pending);
  return { bytes };
}

/**
 * Spreadsheet programs run a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula
 * (OWASP "CSV injection"): such cells get a leading `'` in the rejected-rows file, exactly as the
 * export files do (functions/exports/rows.ts). The data itself is stored as it came: a formula in a
 * name is text, never evaluated.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (cells: (string | number | undefined)[]) => `${cells.map(csvCell).join(',')}\r\n`;
