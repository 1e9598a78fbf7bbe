/**
 * The input rules every route shares (docs/conventions.md, "Input rules"): text hygiene, bounds of
 * dates, money and durations, and the decoding of path, query and body. Each case here was a 500 or
 * stored garbage before these rules (issue 8, items 4 and 9).
 */
import { describe, expect, it } from 'vitest';
import fc from '../support/fast-check-seed';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parseJsonBody, parseParams, parseQuery, readingClientInput, validate } from '../../functions/http/request';
import { cutAtGrapheme, searchKey } from '../../functions/data/keys';
import { durationMinutes, remindAtOf } from '../../functions/tasks/model';
import * as z from '../../schemas/zod';
import { once } from '../../schemas/once';
import { CalendarDate, IdParam, MoneyInput, Timestamp } from '../../schemas/common';
import { CustomerCreate, CustomerListQuery } from '../../schemas/customers';
import { DealCreate } from '../../schemas/deals';
import { QuotaParams } from '../../schemas/forecast';
import { TaskCreate } from '../../schemas/tasks';
import { multilineText, text, textProblem } from '../../schemas/text';

const event = (over: Partial<APIGatewayProxyEventV2>): APIGatewayProxyEventV2 => ({ headers: {}, ...over }) as APIGatewayProxyEventV2;
function thrown(fn: () => unknown): { status?: number; errors?: { path: string; message: string }[] } | 'no error' {
  try {
    fn();
  } catch (err) {
    return { status: (err as { status?: number }).status, errors: (err as { extra?: { errors?: { path: string; message: string }[] } }).extra?.errors };
  }
  return 'no error';
}
const Line = once(() => text(20));
const Lines = once(() => multilineText(50));
const parsed = (schema: z.ZodMiniType, value: unknown) => {
  const r = schema.safeParse(value);
  return r.success ? { ok: r.data } : { error: r.error.issues[0]!.message };
};

describe('text fields', () => {
  it('normalise to NFC and trim', () => {
    expect(parsed(Line(), '  Cafe\u0301  ')).toEqual({ ok: 'Caf\u00e9' });
    // Counted after normalising, in characters (code points): 20 decomposed é fit in text(20).
    expect(parsed(Line(), 'e\u0301'.repeat(20))).toEqual({ ok: '\u00e9'.repeat(20) });
    expect(parsed(Line(), '\u{20000}'.repeat(20))).toHaveProperty('ok');
    expect(parsed(Line(), 'x'.repeat(21))).toHaveProperty('error');
  });

  it('refuse unpaired surrogates, NUL, ANSI escapes, DEL, C1 controls and bidi controls everywhere', () => {
    for (const bad of ['a\ud800', '\udc00b', 'a\u0000b', 'red\u001b[31m', 'a\u007fb', 'a\u0085b', 'a\u202eb', 'a\u2066b\u2069']) {
      expect(parsed(Line(), bad), JSON.stringify(bad)).toHaveProperty('error');
      expect(parsed(Lines(), bad), JSON.stringify(bad)).toHaveProperty('error');
    }
    expect(parsed(Line(), 'a\ud800')).toEqual({ error: 'Text must be valid Unicode (it contains an unpaired surrogate)' });
    // A surrogate pair is one character, not a problem.
    expect(parsed(Line(), 'a\ud83d\ude00')).toEqual({ ok: 'a\u{1F600}' });
  });

  it('keep line breaks and tabs in multi-line text only, with CR LF made LF', () => {
    for (const bad of ['a\nb', 'a\r\nb', 'a\rb', 'a\tb', 'a\u2028b']) expect(parsed(Line(), bad), JSON.stringify(bad)).toHaveProperty('error');
    expect(parsed(Lines(), 'one\r\ntwo\rthree\n\tfour')).toEqual({ ok: 'one\ntwo\nthree\n\tfour' });
  });

  it('are what the schemas use: customer names, contact notes, tags', () => {
    expect(CustomerCreate().safeParse({ type: 'person', name: 'Evil\u202Egnp.exe' }).success).toBe(false);
    expect(CustomerCreate().safeParse({ type: 'person', name: 'A\r\nB' }).success).toBe(false);
    expect(CustomerCreate().safeParse({ type: 'person', name: 'ok', website: 'https://example.com/\u202Ex' }).success).toBe(false);
    const tag = CustomerCreate().safeParse({ type: 'person', name: 'ok', tags: ['Cafe\u0301'] });
    expect(tag.success && tag.data.tags).toEqual(['caf\u00e9']);
  });

  it('accept any well-formed text without controls (property)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), (s) => {
      const clean = s.replace(/[\p{Cc}\u202A-\u202E\u2066-\u2069\u2028\u2029]/gu, '');
      const expected = clean.normalize('NFC').trim();
      const result = parsed(Line(), clean);
      if (expected.length > 0 && [...expected].length <= 20) expect(result).toEqual({ ok: expected });
      expect(textProblem(clean)).toBeUndefined();
    }));
  });
});

describe('bounds of dates, money and durations', () => {
  it('keeps dates and timestamps within 1900–2199', () => {
    for (const ok of ['1900-01-01', '2026-02-28', '2199-12-31']) expect(CalendarDate().safeParse(ok).success, ok).toBe(true);
    for (const bad of ['1899-12-31', '2200-01-01', '0000-01-01', '9999-12-31', '2026-02-30']) expect(CalendarDate().safeParse(bad).success, bad).toBe(false);
    expect(Timestamp().safeParse('2026-11-23T10:00:00Z').success).toBe(true);
    for (const bad of ['9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', '1899-12-31T23:59:59.999Z']) expect(Timestamp().safeParse(bad).success, bad).toBe(false);
  });

  it('refuses negative and absurd money', () => {
    expect(MoneyInput().safeParse({ amount: 0, currency: 'EUR' }).success).toBe(true);
    expect(MoneyInput().safeParse({ amount: -1, currency: 'EUR' }).success).toBe(false);
    expect(MoneyInput().safeParse({ amount: 1e13, currency: 'EUR' }).success).toBe(false);
    expect(DealCreate().safeParse({ name: 'x', customerId: 'cus_01JAAAAAAAAAAAAAAAAAAAAAAA', amount: { amount: -500, currency: 'EUR' } }).success).toBe(false);
  });

  it('caps reminder durations at one year, so a reminder time is always a valid date', () => {
    const task = (beforeDue: string | number) => TaskCreate().safeParse({ title: 't', dueAt: '2026-12-01T10:00:00Z', reminders: [{ beforeDue }] }).success;
    expect(task('P52W')).toBe(true);
    expect(task('P365D')).toBe(true);
    expect(task(525_600)).toBe(true);
    for (const bad of ['P53W', 'P366D', 'PT525601M', 'P99999999W', `P${'9'.repeat(30)}D`, 525_601]) expect(task(bad), String(bad)).toBe(false);
    expect(() => durationMinutes('P99999999W')).toThrow(RangeError);
    expect(remindAtOf({ n: 1, beforeDueMinutes: durationMinutes('P52W') }, '1900-06-01T00:00:00.000Z')).toBe('1899-06-02T00:00:00.000Z');
  });

  it('keeps periods within 1900–2199', () => {
    expect(QuotaParams().period.safeParse('2026-Q4').success).toBe(true);
    for (const bad of ['0000-Q1', '9999-12', '1899-01']) expect(QuotaParams().period.safeParse(bad).success, bad).toBe(false);
  });
});

describe('decoding client input', () => {
  const idParam = IdParam('cus');

  it('answers a percent-escape left in a path parameter with 400, never a URIError', () => {
    // The gateway has already decoded once: `%25` arrives as `%`, `%zz` and `%C0%AF` as they were sent.
    for (const raw of ['%', '%zz', '%C0%AF', '%E0%A4%A', 'cus_%41']) {
      const result = thrown(() => parseParams(idParam(), event({ pathParameters: { id: raw } })));
      expect(result, raw).toMatchObject({ status: 400, errors: [{ path: 'path.id' }] });
    }
    for (const raw of ['a\u0000', 'x\ud800', 'a\u202eb']) expect(thrown(() => parseParams(idParam(), event({ pathParameters: { id: raw } }))), raw).toMatchObject({ status: 400 });
    // Valid text that is no id is still simply not found.
    expect(thrown(() => parseParams(idParam(), event({ pathParameters: { id: 'x' } })))).toMatchObject({ status: 404 });
    expect(parseParams(idParam(), event({ pathParameters: { id: 'cus_01JAAAAAAAAAAAAAAAAAAAAAAA' } }))).toEqual({ id: 'cus_01JAAAAAAAAAAAAAAAAAAAAAAA' });
    // Not decoded a second time.
    expect(parseParams(QuotaParams(), event({ pathParameters: { userId: 'a b', period: '2026-Q1' } }))).toEqual({ userId: 'a b', period: '2026-Q1' });
  });

  it('answers a query string that is not percent-encoded UTF-8 with 400 naming the parameter', () => {
    for (const rawQueryString of ['q=%zz', 'q=%C0%AF', 'q=%E0%A4%A', 'q=%ED%A0%80', '%zz=1']) {
      const queryStringParameters = { q: rawQueryString.split('=')[1]! };
      const result = thrown(() => parseQuery(CustomerListQuery(), event({ rawQueryString, queryStringParameters })));
      expect(result, rawQueryString).toMatchObject({ status: 400 });
    }
    expect(thrown(() => parseQuery(CustomerListQuery(), event({ rawQueryString: 'q=a%1Bb', queryStringParameters: { q: 'a\u001bb' } }))))
      .toMatchObject({ status: 400, errors: [{ path: 'query.q' }] });
    expect(parseQuery(CustomerListQuery(), event({ rawQueryString: 'q=Caf%C3%A9+au+lait', queryStringParameters: { q: 'Café au lait' } }))).toEqual({ q: 'Café au lait' });
  });

  it('answers a body that is not UTF-8 with 400', () => {
    const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d]).toString('base64');
    expect(thrown(() => parseJsonBody(event({ body, isBase64Encoded: true, headers: { 'content-type': 'application/json' } })))).toMatchObject({ status: 400 });
    const good = Buffer.from('{"a":"é"}').toString('base64');
    expect(parseJsonBody(event({ body: good, isBase64Encoded: true, headers: { 'content-type': 'application/json' } }))).toEqual({ a: 'é' });
  });

  it('turns any exception thrown while reading input into a 400', () => {
    const Throwing = z.string().check(z.refine(() => { throw new RangeError('Invalid time value'); }));
    expect(thrown(() => validate(Throwing, 'x', 'body'))).toMatchObject({ status: 400 });
    expect(thrown(() => readingClientInput('query', () => decodeURIComponent('%')))).toMatchObject({ status: 400 });
  });
});

describe('search keys', () => {
  it('are cut at a character boundary, never inside a surrogate pair or a grapheme', () => {
    const name = `${'a'.repeat(99)}\u{20000}tail`;
    const key = searchKey(name);
    expect(key).toBe('a'.repeat(99));
    expect(key).not.toMatch(/\p{Cs}/u);
    expect(cutAtGrapheme('ab\u{1F469}\u200D\u{1F4BB}', 4)).toBe('ab');
    expect(cutAtGrapheme('abc', 10)).toBe('abc');
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 150 }), (s) => {
      const k = searchKey(s);
      expect(k.length).toBeLessThanOrEqual(100);
      expect(k).not.toMatch(/\p{Cs}/u);
    }));
  });
});
