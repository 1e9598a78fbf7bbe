/**
 * The lake's marketing and service tables on the real engines: a campaign sent through the API and
 * the campaigns job (with SES feedback injected as `npm run ses-event` does) and tickets opened and
 * resolved through the API reach `campaigns_current`, `campaign_recipients_current`,
 * `tickets_current` (and the segment and list tables) with the API's values and typed columns,
 * recipients' addresses only as keyed hashes; and the saved service and campaign reports agree with
 * the records and with the API's own counters.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeTables, transformSql } from '../../functions/analytics/lake';
import { SAVED_QUERIES } from '../../functions/analytics/queries';
import { addressHash } from '../../functions/marketing/address-hash';
import { LOCAL_EXPORTS_BUCKET } from '../../local/env';
import { openLake, refreshLake } from '../../local/lake';
import { exportTable } from '../../local/lake-export';
import { injectSesEvent } from '../../local/ses-event';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
let dynamodb: DynamoDBClient;
let s3: S3Client;
let lakeDir: string;
const SALT = 'test-salt';
const run = Date.now().toString(36);
const keyed = (value: string) => createHash('sha256').update(`${SALT}${value.trim().toLowerCase()}`).digest('hex');
const epochMs = (iso: string | undefined) => (iso === undefined ? null : String(Date.parse(iso)));

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const lake = await openLake(lakeDir);
  try {
    return (await lake.db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    lake.close();
  }
}
const saved = (name: string) => query(SAVED_QUERIES.find((q) => q.name === name)!.sql);

beforeAll(async () => {
  crm = await startTestStack({ ses: true, s3: true });
  process.env.PUBLIC_API_URL = crm.baseUrl;
  dynamodb = new DynamoDBClient({});
  s3 = new S3Client({ forcePathStyle: true });
  lakeDir = mkdtempSync(join(tmpdir(), 'crm-lake-sm-'));
}, 120_000);

afterAll(async () => {
  dynamodb?.destroy();
  s3?.destroy();
  await crm?.stop();
  if (lakeDir) rmSync(lakeDir, { recursive: true, force: true });
});

describe('marketing and service tables', () => {
  const emails = [0, 1, 2].map((i) => `Lake.Cmp${i}.${run}@Example.com`);
  let campaignId: string;
  let segmentId: string;
  let listId: string;
  let customerId: string;
  let resolvedTicket: any;
  let openTicket: any;

  beforeAll(async () => {
    const tag = `lk${run}`;
    const contacts: string[] = [];
    for (const [i, email] of emails.entries()) {
      const customer = await crm.request('POST', '/v1/customers', { role: 'admin', body: { type: 'company', name: `Lake Cmp ${i} ${run}`, tags: [tag] } });
      expect(customer.status, customer.text).toBe(201);
      customerId ??= customer.body.id;
      const contact = await crm.request('POST', `/v1/customers/${customer.body.id}/contacts`, { role: 'admin', body: { lastName: `Cmp${i}`, email } });
      expect(contact.status, contact.text).toBe(201);
      contacts.push(contact.body.id);
      // The third contact never opted in: the campaign (policy `opted_in`) skips it.
      if (i < 2) expect((await crm.request('PUT', `/v1/contacts/${contact.body.id}/consent/email`, { role: 'admin', body: { status: 'opted_in', source: 'form' } })).status).toBe(200);
    }
    const template = await crm.request('POST', '/v1/templates', { role: 'marketing', body: { name: 'Lake', subject: 'Hi', html: '<p>Hi</p>', text: 'Hi' } });
    expect(template.status, template.text).toBe(201);
    segmentId = (await crm.request('POST', '/v1/segments', { role: 'marketing', body: { name: `Lake ${run}`, rules: { tagsAny: [tag] } } })).body.id;
    listId = (await crm.request('POST', '/v1/lists', { role: 'marketing', body: { name: `Lake list ${run}` } })).body.id;
    const created = await crm.request('POST', '/v1/campaigns', { role: 'marketing', body: { name: `Lake campaign ${run}`, channel: 'email', templateId: template.body.id, audience: { segmentIds: [segmentId] }, budget: { amount: 5000, currency: 'EUR' } } });
    expect(created.status, created.text).toBe(201);
    campaignId = created.body.id;
    expect((await crm.request('POST', `/v1/campaigns/${campaignId}/schedule`, { role: 'marketing', body: {} })).status).toBe(200);
    await crm.runJob('campaigns', new Date(Date.now() + 1000));
    // SES feedback: the first address delivered and opened, the second bounced for good.
    const ledger = (await crm.request('GET', `/v1/campaigns/${campaignId}/recipients?limit=100`, { role: 'admin' })).body.items;
    const messageOf = (email: string) => ledger.find((r: any) => r.email === email.toLowerCase()).messageId;
    const ses = { sesEndpoint: process.env.AWS_ENDPOINT_URL_SESV2! };
    await injectSesEvent('delivery', messageOf(emails[0]!), ses);
    await injectSesEvent('open', messageOf(emails[0]!), ses);
    await injectSesEvent('bounce', messageOf(emails[1]!), ses);

    const ticket = async (body: Record<string, unknown>) => {
      const res = await crm.request('POST', '/v1/tickets', { role: 'service', body: { subject: 'Lake ticket', channel: 'phone', customerId, description: 'Private words', ...body } });
      expect(res.status, res.text).toBe(201);
      return res.body;
    };
    resolvedTicket = await ticket({ priority: 'high' });
    const resolved = await crm.request('PATCH', `/v1/tickets/${resolvedTicket.id}`, { role: 'service', body: { status: 'resolved', resolution: 'Fixed it' } });
    expect(resolved.status, resolved.text).toBe(200);
    resolvedTicket = resolved.body;
    openTicket = await ticket({ priority: 'low' });

    const exported = await exportTable({ dynamodb, tableName: crm.tableName, s3, bucket: LOCAL_EXPORTS_BUCKET, workDir: lakeDir });
    await refreshLake({ s3, bucket: LOCAL_EXPORTS_BUCKET, prefix: exported.prefix, lakeDir, salt: SALT });
  }, 180_000);

  it('holds the campaign as the API shows it, without its counter figures', async () => {
    const api = (await crm.request('GET', `/v1/campaigns/${campaignId}`, { role: 'marketing' })).body;
    expect(api.status).toBe('sent');
    const rows = await query(`SELECT *, epoch_ms(started_at) AS started_ms, epoch_ms(completed_at) AS completed_ms, epoch_ms(created_at) AS created_ms FROM campaigns_current`);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({
      id: campaignId, name: api.name, channel: 'email', status: 'sent', template_id: api.templateId, consent_policy: 'opted_in',
      budget_amount: '5000', budget_currency: 'EUR', audience_complete: true, version: String(api.version),
      started_ms: epochMs(api.startedAt), completed_ms: epochMs(api.completedAt), created_ms: epochMs(api.createdAt),
    });
    expect(row).toMatchObject({ audience_segment_ids: [segmentId], audience_list_ids: [] });
    for (const gone of ['stats', 'stats_sent', 'audience_cursor', 'audience_step', 'gsi1pk', 'gsi2pk']) expect(row).not.toHaveProperty(gone);
    const types = Object.fromEntries((await query(`SELECT column_name, column_type FROM (DESCRIBE campaigns_current)`)).map((t) => [t.column_name, t.column_type]));
    expect(types).toMatchObject({ id: 'VARCHAR', budget_amount: 'BIGINT', started_at: 'TIMESTAMP', completed_at: 'TIMESTAMP', audience_complete: 'BOOLEAN', version: 'BIGINT', audience_segment_ids: 'VARCHAR[]' });
  });

  it('holds the ledger row by row with the API\'s statuses and times, addresses only as keyed hashes', async () => {
    const ledger = (await crm.request('GET', `/v1/campaigns/${campaignId}/recipients?limit=100`, { role: 'admin' })).body.items as any[];
    expect(ledger).toHaveLength(3);
    const rows = await query(`SELECT *, epoch_ms(sent_at) AS sent_ms, epoch_ms(delivered_at) AS delivered_ms, epoch_ms(opened_at) AS opened_ms, epoch_ms(bounced_at) AS bounced_ms FROM campaign_recipients_current ORDER BY contact_id`);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const api = ledger.find((r) => r.contactId === row.contact_id);
      expect(api, String(row.contact_id)).toBeDefined();
      expect(row).toMatchObject({
        campaign_id: campaignId, status: api.status, skip_reason: api.skipReason ?? null, message_id: api.messageId ?? null,
        sent_ms: epochMs(api.sentAt), delivered_ms: epochMs(api.deliveredAt), opened_ms: epochMs(api.openedAt), bounced_ms: epochMs(api.bouncedAt),
        email: keyed(api.email), address_hash: keyed(addressHash(api.email)),
      });
      expect(row).not.toHaveProperty('phone');
      // Nothing of the address in clear, nor the ledger's unkeyed hash of it.
      const text = JSON.stringify(row);
      expect(text).not.toContain(api.email);
      expect(text).not.toContain(api.email.split('@')[0]);
      expect(text).not.toContain(addressHash(api.email));
    }
    expect(rows.map((r) => r.status).sort()).toEqual(['sent', 'sent', 'skipped']);
    // The hashes join the contacts' (the same keyed hash of the same normalised address).
    const joined = await query(`SELECT count(*)::INTEGER AS n FROM campaign_recipients_current r JOIN contacts_current c ON c.email = r.email AND c.id = r.contact_id`);
    expect(joined).toEqual([{ n: 3 }]);
    const types = Object.fromEntries((await query(`SELECT column_name, column_type FROM (DESCRIBE campaign_recipients_current)`)).map((t) => [t.column_name, t.column_type]));
    expect(types).toMatchObject({ campaign_id: 'VARCHAR', address_hash: 'VARCHAR', email: 'VARCHAR', sent_at: 'TIMESTAMP', bounced_at: 'TIMESTAMP' });
  });

  it('writes an SMS recipient\'s empty email as null, not as the hash of nothing', async () => {
    const table = lakeTables().find((t) => t.name === 'campaign_recipients')!;
    const item = { kind: { S: 'campaign-recipient' }, campaignId: { S: 'cmp_x' }, addressHash: { S: 'AbC' }, email: { S: '' }, phone: { S: '+4930123456' }, contactId: { S: 'con_x' }, status: { S: 'sent' } };
    const lake = await openLake(lakeDir);
    try {
      const from = `(SELECT CAST('${JSON.stringify(item)}' AS JSON) AS Item)`;
      const rows = (await lake.db.runAndReadAll(transformSql(table, from, 'duckdb', SALT))).getRowObjectsJson();
      expect(rows).toEqual([expect.objectContaining({ email: null, address_hash: keyed('AbC'), status: 'sent' })]);
      expect(JSON.stringify(rows)).not.toContain('4930123456');
    } finally {
      lake.close();
    }
  });

  it('holds segments and mailing lists', async () => {
    expect(await query(`SELECT id, name, rules_tags_any FROM segments_current`)).toEqual([
      { id: segmentId, name: `Lake ${run}`, rules_tags_any: [`lk${run}`] },
    ]);
    expect(await query(`SELECT id, name FROM mailing_lists_current`)).toEqual([{ id: listId, name: `Lake list ${run}` }]);
  });

  it('reports campaign performance from the ledger, matching the API\'s counters', async () => {
    const stats = (await crm.request('GET', `/v1/campaigns/${campaignId}/stats`, { role: 'marketing' })).body;
    const rows = await saved('campaign-performance');
    expect(rows).toHaveLength(1);
    const numbers = Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v]));
    expect(numbers).toMatchObject({ campaign_id: campaignId, name: `Lake campaign ${run}`, channel: 'email', status: 'sent', recipients: 3, sent: 2, skipped: 1, bounced: 1, delivered: 1, opened: 1 });
    for (const figure of ['recipients', 'excluded', 'sent', 'skipped', 'failed', 'pending', 'delivered', 'opened', 'clicked', 'bounced', 'complained', 'unsubscribed']) {
      expect(numbers[figure], figure).toBe(stats[figure]);
    }
  });

  it('reports ticket resolution times and the backlog by priority', async () => {
    const [resolved] = await query(`SELECT epoch_ms(resolved_at) AS resolved_ms, priority, status FROM tickets_current WHERE id = '${resolvedTicket.id}'`);
    expect(resolved).toEqual({ resolved_ms: epochMs(resolvedTicket.resolvedAt), priority: 'high', status: 'resolved' });
    const hours = Math.round((Date.parse(resolvedTicket.resolvedAt) - Date.parse(resolvedTicket.createdAt)) / 360_000) / 10;
    const byPriority = await query(`SELECT epoch_ms(month) AS month_ms, * EXCLUDE (month) FROM (${SAVED_QUERIES.find((q) => q.name === 'ticket-resolution-by-priority')!.sql})`);
    const month = new Date(resolvedTicket.resolvedAt);
    expect(byPriority).toEqual([{ month_ms: String(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)), priority: 'high', queue_id: '-', resolved: '1', avg_hours: hours, max_hours: hours }]);
    const backlog = await saved('ticket-backlog');
    expect(backlog).toEqual([expect.objectContaining({ status: openTicket.status, priority: 'low', queue_id: '-', tickets: '1' })]);
    // The SLA's outcome as the API shows it, and compliance counted from it.
    const api = (await crm.request('GET', `/v1/tickets/${resolvedTicket.id}`, { role: 'service' })).body;
    const ms = (iso: string | undefined) => (iso ? String(Date.parse(iso)) : null);
    const [sla] = await query(`SELECT sla_policy, sla_breaches, epoch_ms(sla_first_response_at) AS first_response_ms, epoch_ms(sla_first_response_breached_at) AS fr_breached_ms, epoch_ms(sla_resolution_breached_at) AS res_breached_ms FROM tickets_current WHERE id = '${resolvedTicket.id}'`);
    expect(sla).toEqual({
      sla_policy: api.sla.policy, sla_breaches: String(api.sla.breaches), first_response_ms: ms(api.sla.firstResponse.stoppedAt),
      fr_breached_ms: ms(api.sla.firstResponse.breachedAt), res_breached_ms: ms(api.sla.resolution.breachedAt),
    });
    const compliance = await query(`SELECT epoch_ms(month) AS month_ms, * EXCLUDE (month) FROM (${SAVED_QUERIES.find((q) => q.name === 'ticket-sla-compliance')!.sql})`);
    const met = api.sla.breaches === 0 ? 1 : 0;
    expect(compliance).toEqual([{
      month_ms: String(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1)), priority: 'high', resolved: '1', within_sla: String(met), compliance: met,
      first_response_breaches: api.sla.firstResponse.breachedAt ? '1' : '0', resolution_breaches: api.sla.resolution.breachedAt ? '1' : '0',
    }]);
    // Free text stays in the CRM.
    const [row] = await query(`SELECT * FROM tickets_current WHERE id = '${resolvedTicket.id}'`);
    expect(JSON.stringify(row)).not.toMatch(/Private words|Fixed it/);
  });

  it('runs every saved query on this lake', async () => {
    for (const q of SAVED_QUERIES) expect(Array.isArray(await query(q.sql)), q.name).toBe(true);
  });
});
