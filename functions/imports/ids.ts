/**
 * Ids of imported records, derived from the import and the file row instead of drawn at random.
 *
 * Why: a chunk of rows can run twice (the worker crashed after some rows committed but before the
 * chunk's checkpoint). With a derived id, the replayed row's create meets its own record — its
 * `attribute_not_exists(pk)` condition — and the worker counts it as created instead of writing
 * a second record (functions/imports/rows.ts). And a guard that a later row of the same file hits
 * (the same email twice) names a holder whose id tells "row 7 of this import": a duplicate inside
 * the file, told apart from a record that existed before.
 *
 * Shape: a valid prefixed ULID, `<prefix>_` + 10 characters of time (the import's creation time, so
 * imported ids still sort by when they were made) + the last 6 characters of the import's own id
 * (its random part) + the row number in 10 Crockford base-32 digits. Ids are not secrets here
 * (every read is authorised), but they stay as hard to collide with a random ULID as 30 random bits
 * within the same millisecond.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encode(value: number, length: number): string {
  let out = '';
  let n = Math.floor(value);
  for (let i = 0; i < length; i++) {
    out = CROCKFORD[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

function decode(text: string): number | undefined {
  let n = 0;
  for (const c of text) {
    const digit = CROCKFORD.indexOf(c);
    if (digit < 0) return undefined;
    n = n * 32 + digit;
  }
  return n;
}

export type RecordPrefix = 'cus' | 'con' | 'led' | 'prd';

/** What the ids of one import share: everything but the row number. */
function stem(importId: string, createdAt: string): string {
  return encode(new Date(createdAt).getTime(), 10) + importId.slice(-6);
}

/** The id row `row` of the import gives its new record. */
export function rowRecordId(prefix: RecordPrefix, importId: string, createdAt: string, row: number): string {
  return `${prefix}_${stem(importId, createdAt)}${encode(row, 10)}`;
}

/** The row of this import that created the record `id`, or undefined when another path created it. */
export function importRowOf(id: string, importId: string, createdAt: string): number | undefined {
  const underscore = id.indexOf('_');
  const body = id.slice(underscore + 1);
  const prefix = stem(importId, createdAt);
  if (body.length !== 26 || !body.startsWith(prefix)) return undefined;
  return decode(body.slice(prefix.length));
}
