/**
 * Email templates: subject, HTML and text parts with personalisation (template-engine.ts), and the
 * render preview for one contact as the caller may see it (masked fields stay masked).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../data/client';
import { decodeCursor, encodeCursor } from '../data/cursor';
import { keys, newId } from '../data/keys';
import { withoutKeys } from '../data/records';
import { Conflict, NotFound, PreconditionFailed } from '../http/problem';
import { maskFor } from '../security/masking';
import { canAccess, type Principal } from '../security/principal';
import { assertValidTemplate, renderTemplate, type TemplateData } from './template-engine';
import { getContact, getCustomer, getItem, isConditionFailure, queryPage, table, type ContactRecord, type CustomerRecord } from './store';
import { unsubscribeFooter } from './footer';

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

async function save(item: TemplateItem, previousVersion: number | undefined): Promise<void> {
  await ddb().send(new PutCommand({
    TableName: table(),
    Item: stored(item),
    ConditionExpression: previousVersion === undefined ? 'attribute_not_exists(pk)' : 'version = :v',
    ...(previousVersion === undefined ? {} : { ExpressionAttributeValues: { ':v': previousVersion } }),
  }));
}

export async function createTemplate(principal: Principal, body: { name: string; subject: string; html: string; text: string }, now: Date): Promise<TemplateItem> {
  await assertValidTemplate(body);
  const at = now.toISOString();
  const item: TemplateItem = { id: newId('tpl'), ...body, version: 1, createdAt: at, updatedAt: at, createdBy: principal.userId, updatedBy: principal.userId };
  await save(item, undefined);
  return item;
}

export async function getTemplate(id: string): Promise<TemplateItem> {
  const item = await getItem<TemplateItem>(keys.template.primary(id));
  if (!item) throw NotFound('No such template');
  return item;
}

export async function updateTemplate(principal: Principal, id: string, patch: Partial<Pick<TemplateItem, 'name' | 'subject' | 'html' | 'text'>>, expectedVersion: number | undefined, now: Date): Promise<TemplateItem> {
  await assertValidTemplate(patch);
  const current = await getTemplate(id);
  if (expectedVersion !== undefined && expectedVersion !== current.version) throw PreconditionFailed();
  const next: TemplateItem = { ...current, ...patch, version: current.version + 1, updatedAt: now.toISOString(), updatedBy: principal.userId };
  try {
    await save(next, current.version);
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
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
