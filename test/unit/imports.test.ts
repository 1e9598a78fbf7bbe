/**
 * The pure parts of CSV imports: derived record ids, byte-offset reading (a chunk resumed at a
 * checkpoint reads exactly the rows after it, in UTF-8 and GB18030), delimiter detection, the
 * encoding check, cell conversions of the mapping and the CSV-injection guard of the report.
 */
import { Readable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { checkEncoding, csvLine, detectDelimiter, FileProblem, readRecords } from '../../functions/imports/csv';
import { importRowOf, rowRecordId } from '../../functions/imports/ids';
import { mapRow, minorUnits, targetProblem, validateCreate } from '../../functions/imports/mapping';

const stream = (bytes: Buffer, piece = 7) => Readable.from(Array.from({ length: Math.ceil(bytes.length / piece) }, (_, i) => bytes.subarray(i * piece, (i + 1) * piece)));
const text = (fields: Buffer[], encoding = 'utf-8') => fields.map((f) => new TextDecoder(encoding).decode(f));

describe('derived ids', () => {
  it('are valid ids that name their import row, and no other import claims them', () => {
    const id = rowRecordId('cus', 'imp_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E', '2026-12-01T10:00:00.000Z', 12345);
    expect(id).toMatch(/^cus_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(importRowOf(id, 'imp_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E', '2026-12-01T10:00:00.000Z')).toBe(12345);
    expect(importRowOf(id, 'imp_01J9ZQ4V6W7X8Y9Z0A1B2C3XXX', '2026-12-01T10:00:00.000Z')).toBeUndefined();
    expect(importRowOf('cus_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E', 'imp_01J9ZQ4V6W7X8Y9Z0A1B2C3D4E', '2026-12-01T10:00:00.000Z')).toBeUndefined();
  });
});

describe('reading by byte offset', () => {
  it('resumes at a record end with exactly the following records, quoted line breaks included', async () => {
    const file = Buffer.from('a,b\r\n"x, ""y""\nz",1\n2,3\r\n\r\n4,5');
    const all = await readRecords(stream(file), { delimiter: ',', start: 0, max: 100 });
    expect(all.done).toBe(true);
    expect(all.records.map((r) => text(r.fields))).toEqual([['a', 'b'], ['x, "y"\nz', '1'], ['2', '3'], ['4', '5']]);
    const first = await readRecords(stream(file), { delimiter: ',', start: 0, max: 2 });
    expect(first.done).toBe(false);
    const at = first.records[1]!.end;
    const rest = await readRecords(stream(file.subarray(at)), { delimiter: ',', start: at, max: 100 });
    expect(rest.records.map((r) => text(r.fields))).toEqual([['2', '3'], ['4', '5']]);
    expect(rest.records.at(-1)!.end).toBe(file.length);
  });

  it('splits GB18030 bytes on ; without breaking a character', async () => {
    const file = iconv.encode('名称;城市\n北京公司;北京\n', 'gb18030');
    expect(detectDelimiter(file)).toBe(';');
    const { records } = await readRecords(stream(file, 3), { delimiter: ';', start: 0, max: 10 });
    expect(records.map((r) => text(r.fields, 'gb18030'))).toEqual([['名称', '城市'], ['北京公司', '北京']]);
  });

  it('detects , unless the header holds more ; outside quotes', () => {
    expect(detectDelimiter(Buffer.from('"a;b",c\n1;2;3'))).toBe(',');
    expect(detectDelimiter(Buffer.from('a;b;c,d\n'))).toBe(';');
  });

  it('names the first line that is not valid UTF-8', async () => {
    const file = Buffer.concat([Buffer.from('a,b\nok,1\n'), Buffer.from([0x4d, 0xfc, 0x6c]), Buffer.from(',2\n')]);
    await expect(checkEncoding(stream(file, 5), 'utf-8')).rejects.toThrow(/^Line 3 of the file is not valid UTF-8/);
    await expect(checkEncoding(stream(file, 5), 'utf-8')).rejects.toBeInstanceOf(FileProblem);
    await expect(checkEncoding(stream(Buffer.from('a,b\n€,1\n'), 1), 'utf-8')).resolves.toEqual({ bytes: 10 });
  });
});

describe('mapping', () => {
  it('converts cells and validates with the create schema', () => {
    const mapped = mapRow('products', ['SKU', 'Name', 'EUR', 'Tax', 'On'], { SKU: 'sku', Name: 'name', EUR: 'price.EUR', Tax: 'taxRateBp', On: 'active' }, ['ab-1', 'Boiler', '1299,5', '1900', 'yes']);
    expect(mapped.errors).toEqual([]);
    expect(mapped.values).toEqual({ sku: 'ab-1', name: 'Boiler', prices: [{ amount: 129950, currency: 'EUR' }], taxRateBp: 1900, active: true });
    expect(validateCreate('products', mapped.values)).toMatchObject({ ok: true, body: { sku: 'AB-1' } });
    expect(minorUnits('100', 'JPY')).toBe(100);
    expect(minorUnits('1.5', 'JPY')).toMatch(/0 decimal places/);
    expect(mapRow('contacts', ['Primary'], { Primary: 'isPrimary' }, ['maybe']).errors).toEqual([{ path: 'isPrimary', message: 'Expected true or false (also yes/no, 1/0)' }]);
    expect(targetProblem('customers', 'address.city')).toBeUndefined();
    expect(targetProblem('customers', 'sku')).toMatch(/customers have no field "sku"/);
  });

  it('neutralises formulas in the report and quotes what needs quoting', () => {
    expect(csvLine([4, 'email: bad', '=cmd|\' /C calc\'!A0', '-1', 'a,"b"'])).toBe('4,email: bad,\'=cmd|\' /C calc\'!A0,\'-1,"a,""b"""\r\n');
  });
});
