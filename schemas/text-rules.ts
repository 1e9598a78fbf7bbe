/**
 * The character rules of text fields (schemas/text.ts), free of zod so that code outside the
 * schemas — the request parser every handler bundles (functions/http/request.ts) — can apply them
 * to path and query values without pulling a schema library into its bundle.
 */
/** In a `u` regex, `\p{Cs}` matches only surrogates that are not part of a pair. */
export const LONE_SURROGATE = /\p{Cs}/u;
/** C0 controls, DEL and C1 controls: everything but `\n` and `\t`. */
const CONTROL_BUT_NEWLINE_TAB = /[\0-\x08\x0B-\x1F\x7F-\x9F]/;
const LINE_OR_TAB = /[\t\n\u2028\u2029]/;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

/** What is wrong with a text value under the rules above, or undefined when nothing is. */
export function textProblem(value: string, opts: { multiline?: boolean } = {}): string | undefined {
  if (LONE_SURROGATE.test(value)) return 'Text must be valid Unicode (it contains an unpaired surrogate)';
  if (CONTROL_BUT_NEWLINE_TAB.test(value)) return 'Control characters (such as NUL or escape sequences) are not allowed';
  if (!opts.multiline && LINE_OR_TAB.test(value)) return 'Line breaks and tabs are not allowed in this single-line field';
  if (BIDI_CONTROL.test(value)) return 'Bidirectional override and isolate characters (U+202A–U+202E, U+2066–U+2069) are not allowed';
  return undefined;
}
