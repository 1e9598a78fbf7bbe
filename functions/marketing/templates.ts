/**
 * Email templates: subject, HTML and text parts with personalisation (template-engine.ts), and the
 * render preview for one contact as the caller may see it (masked fields stay masked).
 */
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { withoutKeys } from '../data/records';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { Conflict, NotFound, PreconditionFailed } from '../http/problem';
import { maskFor } from '../security/masking';
import { canAccess, type Principal } from '../security/principal';
import { assertValidTemplate, renderTemplate, type TemplateData } from './template-engine';
import { templateAudit } from './audit';
import { getContact, getCustomer, getItem, queryPage, type ContactRecord, type CustomerRecord } from './store';
import { unsubscribeFooter } from './footer';
import type { InputsOf } from '../api/route-def';
import type { routes } from './routes';

type Inputs = InputsOf<typeof routes>;

export interface TemplateItem {
  id: string;
  name: string;
  subject: string;
  html: string;
  text: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

const stored = (t: TemplateItem) => ({ ...keys.template.primary(t.id), ...keys.template.list(t.id), kind: 'template', ...t });

/** Puts the template (new, or conditioned on the version read) with its audit entry, in one transaction. */
async function save(item: TemplateItem, previous: TemplateItem | undefined, principal: Principal, now: Date): Promise<void> {
  await new Transaction()
    .put('template', stored(item), previous === undefined ? { expression: 'attribute_not_exists(pk)' } : { expression: 'version = :v', values: { ':v': previous.version } })
    .put('audit', templateAudit(previous, item, principal, now))
    .commit();
}

export async function createTemplate(principal: Principal, body: Inputs['createTemplate']['body'], now: Date): Promise<TemplateItem> {
  await assertValidTemplate(body);
  const at = now.toISOString();
  const item: TemplateItem = { id: newId('tpl'), ...body, version: 1, createdAt: at, updatedAt: at, createdBy: principal.userId, updatedBy: principal.userId };
  await save(item, undefined, principal, now);
  return item;
}

export async function getTemplate(id: string): Promise<TemplateItem> {
  const item = await getItem<TemplateItem>(keys.template.primary(id));
  if (!item) throw NotFound('No such template');
  return item;
}

export async function updateTemplate(principal: Principal, id: string, patch: Inputs['updateTemplate']['body'], expectedVersion: number | undefined, now: Date): Promise<TemplateItem> {
  await assertValidTemplate(patch);
  const current = await getTemplate(id);
  if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
  const next: TemplateItem = { ...current, ...patch, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
  try {
    await save(next, current, principal, now);
  } catch (err) {
    if (!(err instanceof ConditionsFailed)) throw err;
    if (expectedVersion !== undefined) throw PreconditionFailed();
    throw Conflict('The template was changed by someone else meanwhile; read it again and retry');
  }
  return next;
}

export async function listTemplates(query: { limit?: number; cursor?: string }) {
  const fingerprint = JSON.stringify(['templates']);
  const page = await queryPage({ index: 'gsi1', partition: keys.template.listPartition, limit: query.limit ?? 25, startKey: await decodeCursor(query.cursor, fingerprint), descending: true });
  return { items: page.items.map((i) => withoutKeys<TemplateItem>(i)), nextCursor: await encodeCursor(page.lastKey, fingerprint) };
}

/** The template's data for one contact and its customer (only allow-listed fields). */
export function templateData(contact: ContactRecord, customer: CustomerRecord | undefined, unsubscribeUrl: string | undefined): TemplateData {
  return {
    contact: { firstName: contact.firstName, lastName: contact.lastName, jobTitle: contact.jobTitle, email: contact.email },
    customer: { name: customer?.name, industry: customer?.industry, tier: customer?.tier, city: customer?.address?.city, country: customer?.address?.country },
    unsubscribeUrl,
  };
}

/** The email exactly as the campaign sends it (footer included), for a contact as this caller sees it. */
export async function renderForContact(principal: Principal, templateId: string, contactId: string) {
  const template = await getTemplate(templateId);
  const contact = await getContact(contactId);
  if (!contact || !canAccess(principal, 'contacts:read', contact.ownerId)) throw NotFound('No such contact');
  const customer = await getCustomer(contact.customerId);
  const visible = maskFor('contact', contact as unknown as Record<string, unknown>, principal, contact.ownerId) as unknown as ContactRecord & { masked?: string[] };
  const url = 'https://unsubscribe.example/preview';
  const rendered = await renderTemplate(template, templateData(visible, customer, url));
  const footer = unsubscribeFooter(url);
  return { subject: rendered.subject, html: rendered.html + footer.html, text: rendered.text + footer.text, ...(visible.masked ? { masked: visible.masked } : {}) };
}
