/**
 * Inbound email rules without AWS: what postal-mime's result becomes, what counts as malformed,
 * which mail is automatic (never opens or answers a ticket), and how an answer finds its ticket.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loopReason, type OwnAddresses, parseMail, ticketIdOf, ticketSubject } from '../../functions/tickets/inbound-mail';
import { replyEmail } from '../../functions/tickets/messages';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/inbound-mail/${name}`, import.meta.url)));
const mime = (headers: Record<string, string>, body = 'Hello') =>
  new TextEncoder().encode(`${Object.entries({ From: 'Ada <Ada@Example.org>', To: 'support@example.com', Subject: 'Help', ...headers }).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
const OWN: OwnAddresses = { addresses: ['crm@example.com', 'support@example.com'], domains: ['help.example.com'] };

async function parsed(raw: Uint8Array) {
  const result = await parseMail(raw);
  if (!result.ok) throw new Error(`not parsed: ${result.reason}`);
  return result.mail;
}

describe('parsing', () => {
  it('reads the sender (normalised), subject, text and threading headers', async () => {
    const mail = await parsed(fixture('new-request.eml'));
    expect(mail.from).toEqual({ address: 'ida.meier@example.org', name: 'Ida Meier' });
    expect(mail.subject).toBe('Boiler makes a knocking noise');
    expect(mail.body).toContain('knocking noise');
    expect(mail.body).toContain('Grüße');
    expect(mail.messageId).toBe('<20261201091200.4711@mail.example.org>');
    const answer = await parsed(mime({ 'In-Reply-To': '<a@x>', References: '<r1@x> <r2@x>' }));
    expect(answer.from.address).toBe('ada@example.org');
    expect(answer.inReplyTo).toEqual(['<a@x>']);
    expect(answer.references).toEqual(['<r1@x>', '<r2@x>']);
  });

  it('falls back to the HTML part as text', async () => {
    const mail = await parsed(mime({ 'Content-Type': 'text/html' }, '<p>Line&nbsp;one</p><script>x()</script><p>Two &amp; three</p>'));
    expect(mail.body).toBe('Line one\nTwo & three');
  });

  it('rejects what is not mail: garbage, no header block, no usable From, empty', async () => {
    expect(await parseMail(fixture('malformed.eml'))).toEqual({ ok: false, reason: 'no header block' });
    expect(await parseMail(new TextEncoder().encode('just some text\n\nmore'))).toEqual({ ok: false, reason: 'no header block' });
    expect(await parseMail(mime({ From: 'not an address' }))).toEqual({ ok: false, reason: 'no valid From address' });
    expect(await parseMail(new Uint8Array())).toEqual({ ok: false, reason: 'empty object' });
  });
});

describe('loop protection', () => {
  it.each([
    ['Auto-Submitted: auto-replied', { 'Auto-Submitted': 'auto-replied' }, 'auto-submitted'],
    ['Auto-Submitted: auto-generated', { 'Auto-Submitted': 'auto-generated' }, 'auto-submitted'],
    ['Precedence: bulk', { Precedence: 'bulk' }, 'precedence bulk'],
    ['Precedence: junk', { Precedence: 'junk' }, 'precedence junk'],
    ['Precedence: list', { Precedence: 'list' }, 'precedence list'],
    ['X-Autoreply', { 'X-Autoreply': 'yes' }, 'auto-reply'],
    ['null Return-Path', { 'Return-Path': '<>' }, 'bounce (null sender)'],
    ['mailer-daemon sender', { From: 'MAILER-DAEMON@example.org' }, 'bounce (mailer daemon)'],
    ['our reply sender', { From: 'CRM <crm@example.com>' }, 'from our own address'],
    ['our support address', { From: 'support@example.com' }, 'from our own address'],
    ['our support domain', { From: 'anyone@help.example.com' }, 'from our own domain'],
  ])('%s never opens a ticket', async (_name, headers, reason) => {
    expect(loopReason(await parsed(mime(headers)), OWN)).toBe(reason);
  });

  it('bounces and delivery reports by content type', async () => {
    expect(loopReason(await parsed(fixture('bounce.eml')), OWN)).toBe('delivery report');
    expect(loopReason(await parsed(mime({ 'Content-Type': 'multipart/report; report-type=disposition-notification; boundary=x' }, '--x\r\n\r\nread\r\n--x--')), OWN)).toBe('delivery report');
    expect(loopReason(await parsed(fixture('auto-reply.eml')), OWN)).toBe('auto-submitted');
  });

  it('a person\'s mail passes, Auto-Submitted: no included', async () => {
    expect(loopReason(await parsed(fixture('new-request.eml')), OWN)).toBeUndefined();
    expect(loopReason(await parsed(mime({ 'Auto-Submitted': 'no', Precedence: 'normal' })), OWN)).toBeUndefined();
  });
});

describe('threading', () => {
  const ticketId = 'tkt_01KB0000000000000000000000';
  const other = 'tkt_01KB0000000000000000000001';

  it('finds the ticket by the token in the subject first', () => {
    expect(ticketIdOf({ subject: `Re: Boiler [#${ticketId}]`, inReplyTo: [`<${other}@example.com>`], references: [] })).toEqual({ ticketId, by: 'subject' });
  });

  it('then by In-Reply-To naming one of our emails (root or reply), then by References', () => {
    const reply = replyEmail({ ticketId, subject: 'Boiler', body: 'x', messageId: 'msg_01KB0000000000000000000009', domain: 'example.com', previous: undefined, references: undefined });
    expect(ticketIdOf({ subject: 'Re: Boiler', inReplyTo: [reply.messageId], references: [] })).toEqual({ ticketId, by: 'in-reply-to' });
    expect(ticketIdOf({ subject: 'Boiler', inReplyTo: [`<${ticketId}@example.com>`], references: [] })).toEqual({ ticketId, by: 'in-reply-to' });
    expect(ticketIdOf({ subject: 'Boiler', inReplyTo: ['<CAxyz@mail.gmail.com>'], references: [`<${other}@example.com>`, '<CAxyz@mail.gmail.com>'] })).toEqual({ ticketId: other, by: 'references' });
  });

  it('finds nothing in foreign ids or a malformed token', () => {
    expect(ticketIdOf({ subject: 'Re: [#tkt_123]', inReplyTo: ['<tkt_nope@x>'], references: ['<abc@example.com>'] })).toBeUndefined();
  });

  it('a new ticket\'s subject drops reply and forward prefixes', () => {
    expect(ticketSubject('Re: AW: Fwd: Boiler')).toBe('Boiler');
    expect(ticketSubject('  ')).toBe('(no subject)');
  });
});
