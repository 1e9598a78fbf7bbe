/**
 * The marketing template engine (functions/marketing/template-engine.ts) and segment rules
 * (functions/marketing/audience.ts) as pure modules: what a template may contain, what it renders,
 * and which index a segment reads.
 */
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../functions/http/problem';
import { customerMatches, planOf } from '../../functions/marketing/audience';
import { assertValidTemplate, renderTemplate, type TemplateData } from '../../functions/marketing/template-engine';

const data: TemplateData = { contact: { firstName: 'Ada', lastName: 'Reader', email: 'ada@example.com' }, customer: { name: 'Acme & Sons', country: 'DE' } };

async function problems(parts: { subject?: string; html?: string; text?: string }): Promise<string[]> {
  try {
    await assertValidTemplate(parts);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    return (err as HttpError).extra.errors!.map((e) => `${e.path}: ${e.message}`);
  }
}

describe('template engine', () => {
  it('accepts variables, fallbacks and if/unless blocks', async () => {
    expect(await problems({ subject: 'Hi {{default contact.firstName "there"}}', html: '{{#if customer.name}}<b>{{customer.name}}</b>{{else}}you{{/if}}{{#unless contact.jobTitle}}!{{/unless}}{{!-- a comment --}}', text: '{{unsubscribeUrl}}' })).toEqual([]);
  });

  it.each([
    ['html', '{{{contact.firstName}}}', 'Raw output'],
    ['html', '{{& contact.firstName}}', 'Raw output'],
    ['html', '{{> footer}}', 'Partial'],
    ['text', '{{lookup contact "email"}}', 'Unknown helper "lookup"'],
    ['text', '{{#each contact}}{{this}}{{/each}}', 'Unknown block "each"'],
    ['text', '{{#with contact}}{{firstName}}{{/with}}', 'Unknown block "with"'],
    ['subject', '{{constructor.constructor}}', 'Unknown variable "constructor.constructor"'],
    ['subject', '{{contact.__proto__}}', 'Unknown variable'],
    ['subject', '{{@root.contact}}', 'only variables'],
    ['subject', '{{../contact.email}}', 'only variables'],
    ['text', '{{default contact.firstName (lookup contact "x")}}', 'Use {{default variable "fallback text"}}'],
    ['text', '{{#if contact.firstName}}', 'Not a valid template'],
  ])('refuses %s %s', async (part, source, message) => {
    const found = await problems({ [part]: source });
    expect(found.join('\n')).toContain(`${part}: `);
    expect(found.join('\n')).toContain(message);
  });

  it('escapes values in HTML, not in text or subject, and takes line breaks out of the subject', async () => {
    const hostile: TemplateData = { contact: { firstName: '<img src=x onerror=alert(1)>"\'', lastName: 'x' }, customer: { name: 'Evil\r\nBcc: all@example.com' } };
    const out = await renderTemplate({ subject: 'For {{customer.name}}', html: '<p title="{{contact.firstName}}">{{contact.firstName}}</p>', text: '{{contact.firstName}}' }, hostile);
    expect(out.html).toBe('<p title="&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;&quot;&#x27;">&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;&quot;&#x27;</p>');
    expect(out.text).toBe('<img src=x onerror=alert(1)>"\'');
    expect(out.subject).toBe('For Evil Bcc: all@example.com');
  });

  it('falls back for missing fields and renders a template injected through data as text', async () => {
    const out = await renderTemplate({ subject: 'Hi {{default contact.jobTitle "friend"}}', html: '{{contact.firstName}}', text: '{{#if contact.jobTitle}}x{{else}}none{{/if}}' }, { ...data, contact: { ...data.contact, firstName: '{{constructor}}' } });
    expect(out).toEqual({ subject: 'Hi friend', html: '{{constructor}}', text: 'none' });
    expect((await renderTemplate({ subject: 's', html: '{{customer.name}}', text: 't' }, data)).html).toBe('Acme &amp; Sons');
  });
});

describe('segment rules', () => {
  it('reads the narrowest index the rules allow, and every live customer only when none does', () => {
    expect(planOf({ tiers: ['A', 'B'], countries: ['DE'] }).sources.map((s) => `${s.index} ${s.partition}`)).toEqual(['gsi3 CUSTOMERS#TIER#A', 'gsi3 CUSTOMERS#TIER#B']);
    expect(planOf({ lifecycleStages: ['customer'] }).sources[0]).toMatchObject({ index: 'gsi4', partition: 'CUSTOMERS#STAGE#customer' });
    expect(planOf({ ownerIds: ['u1'] }).sources[0]).toMatchObject({ index: 'gsi2', partition: 'CUSTOMERS#OWNER#u1' });
    expect(planOf({ tagsAny: ['vip'] }).sources[0]).toMatchObject({ index: 'gsi1', partition: 'CUSTOMERS#TAG#vip', keysOnly: true });
    expect(planOf({ tagsAny: ['vip', 'new'] }).description).toContain('every live customer');
    expect(planOf({ countries: ['DE'] }).sources).toEqual([{ index: 'gsi1', partition: 'CUSTOMERS' }]);
  });

  it('matches every rule (AND), any value of a list (OR), dates and lifetime value', () => {
    const c = { id: 'cus_1', name: 'A', ownerId: 'u1', tier: 'A', tags: ['vip'], industry: 'Retail', address: { country: 'DE' } };
    expect(customerMatches({ tiers: ['A', 'B'], tagsAny: ['x', 'vip'], industries: ['retail'], countries: ['DE'] }, c)).toBe(true);
    expect(customerMatches({ tiers: ['A'], countries: ['FR'] }, c)).toBe(false);
    expect(customerMatches({ tiers: ['A'] }, { ...c, archivedAt: '2026-01-01T00:00:00.000Z' })).toBe(false);
    expect(customerMatches({ lastActivityBefore: '2026-01-01' }, c, {})).toBe(true);
    expect(customerMatches({ lastActivityAfter: '2026-01-01' }, c, {})).toBe(false);
    expect(customerMatches({ lastPurchaseAfter: '2026-01-01' }, c, { lastPurchaseAt: '2026-01-01T10:00:00.000Z' })).toBe(true);
    expect(customerMatches({ lifetimeValue: { currency: 'EUR', min: 100 } }, c, { lifetimeValue: { EUR: 99 } })).toBe(false);
    expect(customerMatches({ lifetimeValue: { currency: 'EUR', max: 0 } }, c, {})).toBe(true);
  });
});
