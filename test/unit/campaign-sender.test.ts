/**
 * A campaign's sender identity: which From addresses the deployment allows (SENDER_IDENTITIES, else
 * SENDER_EMAIL's domain, else none) and the From header built from it (RFC 5322 quoting, RFC 2047
 * for non-ASCII names).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '../../functions/config';
import { fromHeader, senderAllowed } from '../../functions/marketing/sender';

const saved = { ...process.env };
const withEnv = (env: Record<string, string | undefined>) => {
  process.env = { ...saved, TABLE_NAME: 'crm-test', ...env };
  resetConfigForTests();
};

afterEach(() => {
  process.env = { ...saved };
  resetConfigForTests();
});

describe('senderAllowed', () => {
  it('allows the listed domains and addresses only, case-insensitively', () => {
    withEnv({ SENDER_IDENTITIES: 'mail.acme.example, Owner@Other.example', SENDER_EMAIL: 'crm@acme.example' });
    expect(senderAllowed('news@mail.acme.example')).toBe(true);
    expect(senderAllowed('NEWS@MAIL.ACME.EXAMPLE')).toBe(true);
    expect(senderAllowed('owner@other.example')).toBe(true);
    expect(senderAllowed('someone@other.example')).toBe(false);
    // The list replaces the default: SENDER_EMAIL's domain is not implied.
    expect(senderAllowed('news@acme.example')).toBe(false);
    expect(senderAllowed('news@sub.mail.acme.example')).toBe(false);
  });

  it('defaults to SENDER_EMAIL\'s domain, and allows none when a deployed function has neither', () => {
    withEnv({ SENDER_IDENTITIES: undefined, SENDER_EMAIL: 'crm@acme.example', STAGE: 'prod' });
    expect(senderAllowed('news@acme.example')).toBe(true);
    expect(senderAllowed('news@evil.example')).toBe(false);
    withEnv({ SENDER_IDENTITIES: undefined, SENDER_EMAIL: undefined, STAGE: 'prod' });
    expect(senderAllowed('news@acme.example')).toBe(false);
  });
});

describe('fromHeader', () => {
  it('quotes the display name per RFC 5322 and encodes a non-ASCII one per RFC 2047', () => {
    expect(fromHeader({ email: 'news@acme.example' })).toBe('news@acme.example');
    expect(fromHeader({ email: 'news@acme.example', name: 'Acme, "News" \\ Team' })).toBe('"Acme, \\"News\\" \\\\ Team" <news@acme.example>');
    expect(fromHeader({ email: 'news@acme.example', name: 'Line\r\nBcc: x' })).toBe('"Line Bcc: x" <news@acme.example>');
    expect(fromHeader({ email: 'news@acme.example', name: 'Müller' })).toBe(`=?UTF-8?B?${Buffer.from('Müller').toString('base64')}?= <news@acme.example>`);
  });
});
