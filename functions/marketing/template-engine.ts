/**
 * Personalisation of email templates with Handlebars (a maintained engine), locked down:
 *
 * - Every template is checked on save against an allow-list of its syntax tree: plain text,
 *   comments, `{{path}}` of a known variable, `{{default path "fallback"}}`, and `{{#if path}}` /
 *   `{{#unless path}}` blocks (with `{{else}}`). Refused with a 400 naming the part: partials,
 *   decorators, sub-expressions, `{{{raw}}}` / `{{& raw}}` output, `@data` variables, `this`,
 *   `../` paths, any other helper, any unknown variable.
 * - Rendering runs in an isolated Handlebars environment (`Handlebars.create()`) with only the
 *   `default` helper, `knownHelpersOnly` and Handlebars' own prototype-access protection; the data
 *   is a plain object of strings built from an allow-list of fields. A template can therefore
 *   print a field or a fallback, nothing else: no code runs, no property outside the data is read.
 * - HTML parts are HTML-escaped by default (Handlebars' `{{…}}`); the subject and the text part are
 *   not HTML and are rendered unescaped, and the subject's line breaks are removed (no header
 *   injection through a contact's name).
 * - A missing field renders as the empty string, or as the fallback of `{{default …}}`.
 *
 * Handlebars is loaded on first use (a dynamic import: esbuild keeps the CommonJS package behind a
 * lazy initialiser), so the functions that bundle this module do not pay for it at cold start.
 */
import type HandlebarsType from 'handlebars';
import { BadRequest, type FieldError } from '../http/problem';

export const TEMPLATE_VARIABLES = [
  'contact.firstName', 'contact.lastName', 'contact.jobTitle', 'contact.email',
  'customer.name', 'customer.industry', 'customer.tier', 'customer.city', 'customer.country',
  'unsubscribeUrl',
] as const;
const VARIABLES = new Set<string>(TEMPLATE_VARIABLES);
const BLOCK_HELPERS = new Set(['if', 'unless']);

export interface TemplateParts {
  subject: string;
  html: string;
  text: string;
}

export interface TemplateData {
  contact: { firstName?: string; lastName?: string; jobTitle?: string; email?: string };
  customer: { name?: string; industry?: string; tier?: string; city?: string; country?: string };
  unsubscribeUrl?: string;
}

type Node = { type: string; [key: string]: any };

type Handlebars = typeof HandlebarsType;
let loaded: Promise<Handlebars> | undefined;
const handlebars = (): Promise<Handlebars> => (loaded ??= import('handlebars').then((m) => ((m as { default?: Handlebars }).default ?? m) as Handlebars));

/** Problems of one part's syntax tree against the allow-list (empty: allowed). */
function check(Handlebars: Handlebars, source: string, html: boolean): string[] {
  let program: Node;
  try {
    program = Handlebars.parse(source) as unknown as Node;
  } catch (err) {
    // Handlebars' parse message quotes the position, not data: safe to echo, shortened.
    return [`Not a valid template: ${String((err as Error).message).split('\n')[0]!.slice(0, 200)}`];
  }
  const problems: string[] = [];
  const path = (node: Node | undefined): string | undefined => {
    if (!node || node.type !== 'PathExpression' || node.data || node.depth !== 0 || node.this) return undefined;
    return node.original as string;
  };
  const variable = (node: Node | undefined, where: string) => {
    const name = path(node);
    if (!name) problems.push(`${where}: only variables (${TEMPLATE_VARIABLES.join(', ')}) may be used here`);
    else if (!VARIABLES.has(name)) problems.push(`Unknown variable "${name}"; use one of ${TEMPLATE_VARIABLES.join(', ')}`);
  };
  const walk = (statements: Node[]) => {
    for (const node of statements) {
      switch (node.type) {
        case 'ContentStatement':
        case 'CommentStatement':
          break;
        case 'MustacheStatement': {
          if (html && !node.escaped) { problems.push('Raw output ({{{…}}} or {{&…}}) is not allowed: values are always HTML-escaped'); break; }
          const name = path(node.path);
          if (name === 'default') {
            const [value, fallback, ...rest] = node.params as Node[];
            variable(value, '{{default}}');
            if (!fallback || fallback.type !== 'StringLiteral' || rest.length > 0 || node.hash) problems.push('Use {{default variable "fallback text"}}');
          } else if (node.params.length > 0 || node.hash) problems.push(`Unknown helper "${name ?? '?'}"; only "default", "if" and "unless" exist`);
          else variable(node.path, '{{…}}');
          break;
        }
        case 'BlockStatement': {
          const name = path(node.path);
          if (!name || !BLOCK_HELPERS.has(name)) { problems.push(`Unknown block "${name ?? '?'}"; only {{#if}} and {{#unless}} exist`); break; }
          if (node.params.length !== 1 || node.hash) { problems.push(`{{#${name}}} takes exactly one variable`); break; }
          variable(node.params[0], `{{#${name}}}`);
          if (node.program?.blockParams || node.inverse?.blockParams) problems.push('Block parameters are not allowed');
          walk(node.program?.body ?? []);
          walk(node.inverse?.body ?? []);
          break;
        }
        default:
          problems.push(`${node.type.replace(/Statement$/, '')} is not allowed in templates`);
      }
    }
  };
  try {
    walk(program.body as Node[]);
  } catch {
    // Absurd nesting (thousands of blocks) overflows the walk: refuse it like any other problem.
    return ['The template is nested too deeply'];
  }
  return [...new Set(problems)].slice(0, 10);
}

/** Throws a 400 naming each part whose template is not allowed. */
export async function assertValidTemplate(parts: Partial<TemplateParts>): Promise<void> {
  const Handlebars = await handlebars();
  const errors: FieldError[] = [];
  for (const [field, source] of Object.entries(parts) as [keyof TemplateParts, string | undefined][]) {
    if (source === undefined) continue;
    for (const message of check(Handlebars, source, field === 'html')) errors.push({ path: field, message });
  }
  if (errors.length > 0) throw BadRequest('The template is not valid', errors);
}

let environment: Handlebars | undefined;
async function engine(): Promise<Handlebars> {
  if (environment) return environment;
  const env = (await handlebars()).create();
  env.registerHelper('default', (value: unknown, fallback: unknown) => (value === undefined || value === null || value === '' ? fallback : value));
  environment = env;
  return env;
}

const OPTIONS = { knownHelpers: { default: true, if: true, unless: true }, knownHelpersOnly: true, strict: false, preventIndent: true } as const;

/** A plain data object of strings only, so nothing but these fields can ever be reached. */
function plain(data: TemplateData): Record<string, unknown> {
  const pick = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'string' && v !== ''));
  return { contact: pick(data.contact), customer: pick(data.customer), ...(data.unsubscribeUrl ? { unsubscribeUrl: data.unsubscribeUrl } : {}) };
}

type Compiled = { subject: HandlebarsTemplateDelegate; html: HandlebarsTemplateDelegate; text: HandlebarsTemplateDelegate };
/** Compiled templates of this container (a campaign renders one template thousands of times). */
const cache = new Map<string, Compiled>();
const MAX_CACHED = 20;

async function compiled(template: TemplateParts): Promise<Compiled> {
  const key = JSON.stringify([template.subject, template.html, template.text]);
  let found = cache.get(key);
  if (!found) {
    const env = await engine();
    found = {
      subject: env.compile(template.subject, { ...OPTIONS, noEscape: true }),
      html: env.compile(template.html, OPTIONS),
      text: env.compile(template.text, { ...OPTIONS, noEscape: true }),
    };
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, found);
  }
  return found;
}

/** Renders the three parts for one recipient. The template must have passed assertValidTemplate. */
export async function renderTemplate(template: TemplateParts, data: TemplateData): Promise<TemplateParts> {
  const parts = await compiled(template);
  const values = plain(data);
  return {
    subject: parts.subject(values).replace(/[\r\n\u2028\u2029]+/g, ' ').trim(),
    html: parts.html(values),
    text: parts.text(values),
  };
}
