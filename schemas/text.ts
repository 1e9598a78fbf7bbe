/**
 * The one definition of what text the API accepts (docs/conventions.md, "Input rules"). Every
 * schema module builds its free-text fields with `text(max)` (one line: names, titles, subjects,
 * ids of users) or `multilineText(max)` (notes, contents, descriptions, reasons), never with a bare
 * `z.string()`, so a rule tightened here holds for every route at once.
 *
 * Both builders, in this order:
 * - reject unpaired UTF-16 surrogates (a `\ud800` escape in JSON): they are not text, and they break
 *   every UTF-8 consumer downstream (DynamoDB, SES, Parquet);
 * - normalise to Unicode NFC, so "é" typed as e + U+0301 and as U+00E9 is one value (uniqueness,
 *   search and sorting agree), and trim surrounding white space;
 * - count `max` in code points after normalising (zod's `maxLength`, as JSON Schema's `maxLength`
 *   counts), so an emoji or a CJK extension character counts once;
 * - reject control characters: no NUL, no ANSI escape sequences (ESC), no DEL or C1 controls, and
 *   no bidirectional embedding/override/isolate controls (U+202A–U+202E, U+2066–U+2069), which make
 *   text display differently from what it is ("Trojan Source"). Single-line text also refuses line
 *   breaks (CR, LF, U+2028, U+2029) and tabs; multi-line text keeps `\n` and `\t` (CR LF and lone CR
 *   become `\n`).
 *
 * Everything here is a function that builds a schema when called (inside a `once` factory of the
 * calling module): nothing zod is constructed when this module loads.
 */
import * as z from './zod';
import { LONE_SURROGATE, textProblem } from './text-rules';

export { textProblem } from './text-rules';

function build(max: number, multiline: boolean) {
  return z.string().check(
    // Before normalising: NFC of an unpaired surrogate is itself, but be explicit about the order.
    z.refine((s) => !LONE_SURROGATE.test(s), 'Text must be valid Unicode (it contains an unpaired surrogate)'),
    z.normalize('NFC'),
    ...(multiline ? [z.overwrite((s: string) => s.replace(/\r\n?/g, '\n'))] : []),
    z.trim(),
    z.minLength(1),
    z.maxLength(max),
    z.superRefine((s, ctx) => {
      const problem = textProblem(s, { multiline });
      // The surrogate case was reported above; report the first other problem once.
      if (problem && !LONE_SURROGATE.test(s)) ctx.issues.push({ code: 'custom', message: problem, input: s });
    }),
  );
}

/**
 * One line of text, 1–`max` characters (code points) after NFC and trimming: names, titles, subjects, user ids.
 * No control characters, line breaks, tabs or bidi controls.
 */
export const text = (max: number) => build(max, false);

/** Text that may span lines (notes, content, descriptions, reasons): like `text`, but keeps `\n` and `\t`. */
export const multilineText = (max: number) => build(max, true);
