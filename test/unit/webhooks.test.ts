/**
 * The pure rules of webhooks and API keys: event matching with wildcards and the field filter, the
 * retry schedule (exponential, jittered, capped, 24 h window), signatures, key format and the
 * authorizer context the request chain turns into a caller.
 */
import { describe, expect, it } from 'vitest';
import { hashKey, keyIdOf, newKey, presentedKey, statusOf } from '../../functions/apikeys/model';
import { authorizerContext } from '../../functions/apikeys/verify';
import { BASE_DELAY_MS, MAX_DELAY_MS, matchesPattern, nextAttempt, RETRY_WINDOW_MS, retryDelayMs, wants } from '../../functions/webhooks/model';
import { sign, signatureHeader, verifySignature } from '../../functions/webhooks/signing';
import { isPublicAddress } from '../../functions/webhooks/ssrf';
import { authorize, principalFromAuthorizer, scopeFor } from '../../functions/security/principal';

describe('webhook event matching', () => {
  it('matches exact types, entity wildcards and *', () => {
    expect(matchesPattern('deal.updated', 'deal.updated')).toBe(true);
    expect(matchesPattern('deal.updated', 'deal.created')).toBe(false);
    expect(matchesPattern('deal.*', 'deal.created')).toBe(true);
    expect(matchesPattern('deal.*', 'dealer.created')).toBe(false);
    expect(matchesPattern('*', 'commission-plan.updated')).toBe(true);
  });

  it('applies the field filter to changedFields; inactive webhooks take nothing', () => {
    const hook = { events: ['deal.*'], fieldFilter: ['stageId'], active: true };
    expect(wants(hook, { type: 'deal.updated', changedFields: ['name', 'stageId'] })).toBe(true);
    expect(wants(hook, { type: 'deal.updated', changedFields: ['name'] })).toBe(false);
    expect(wants(hook, { type: 'deal.deleted', changedFields: [] })).toBe(false);
    expect(wants({ ...hook, fieldFilter: undefined }, { type: 'deal.deleted' })).toBe(true);
    expect(wants({ ...hook, active: false }, { type: 'deal.updated', changedFields: ['stageId'] })).toBe(false);
  });
});

describe('retry schedule', () => {
  it('grows exponentially with equal jitter and a cap', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const full = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempt - 1));
      expect(retryDelayMs(attempt, () => 0)).toBe(full / 2);
      expect(retryDelayMs(attempt, () => 1)).toBe(full);
    }
  });

  it('retries for the whole 24 h window, the last attempt at its end, then stops', () => {
    const createdAt = '2026-12-01T10:00:00.000Z';
    const start = Date.parse(createdAt);
    let now = new Date(start);
    let attempts = 1;
    const times: number[] = [];
    for (;;) {
      const next = nextAttempt({ createdAt, attempts }, now, () => 0.5);
      if (!next) break;
      expect(next.getTime() % 1000).toBe(0);
      expect(next.getTime()).toBeGreaterThan(now.getTime());
      times.push(next.getTime());
      now = next;
      attempts += 1;
    }
    expect(now.getTime()).toBeGreaterThanOrEqual(start + RETRY_WINDOW_MS);
    expect(now.getTime() - start - RETRY_WINDOW_MS).toBeLessThan(1000);
    expect(attempts).toBeGreaterThan(15);
    expect(attempts).toBeLessThan(30);
  });
});

describe('signatures', () => {
  it('signs timestamp.body and verifies any of several v1 values within the tolerance', () => {
    const body = '{"id":"aud_1"}';
    const header = signatureHeader(['whsec_new', 'whsec_old'], 1_700_000_000, body);
    expect(header).toBe(`v1=${sign('whsec_new', 1_700_000_000, body)},v1=${sign('whsec_old', 1_700_000_000, body)}`);
    expect(verifySignature('whsec_old', header, '1700000000', body, 1_700_000_100)).toBe(true);
    expect(verifySignature('whsec_new', header, '1700000000', body, 1_700_000_301)).toBe(false);
    expect(verifySignature('whsec_other', header, '1700000000', body, 1_700_000_000)).toBe(false);
    expect(verifySignature('whsec_new', header, '1700000001', body, 1_700_000_000)).toBe(false);
  });

  it('knows public from private addresses, IPv4-mapped forms included', () => {
    for (const ip of ['93.184.216.34', '2606:4700::1111', '8.8.8.8']) expect(isPublicAddress(ip), ip).toBe(true);
    for (const ip of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.0.1', '169.254.169.254', '100.64.1.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd12::1', '::ffff:10.0.0.1', '::ffff:a00:1', '64:ff9b::a9fe:a9fe', '224.0.0.1', 'not-an-ip']) {
      expect(isPublicAddress(ip), ip).toBe(false);
    }
  });
});

describe('API keys', () => {
  it('carries its key id, hashes with SHA-256 and reads either header', () => {
    const { key, hash, prefix } = newKey('key_01JABCDEFGHJKMNPQRSTVWXYZ0');
    expect(keyIdOf(key)).toBe('key_01JABCDEFGHJKMNPQRSTVWXYZ0');
    expect(key.startsWith(`${prefix}_`)).toBe(true);
    expect(hash).toBe(hashKey(key));
    expect(keyIdOf('crm_key_short_x')).toBeUndefined();
    expect(presentedKey({ authorization: `ApiKey ${key}` })).toBe(key);
    expect(presentedKey({ 'x-api-key': key })).toBe(key);
    expect(presentedKey({ authorization: 'Bearer abc' })).toBeUndefined();
    expect(statusOf({ expiresAt: '2026-01-01T00:00:00Z' }, new Date('2026-06-01T00:00:00Z'))).toBe('expired');
    expect(statusOf({ revokedAt: '2026-01-01T00:00:00Z' }, new Date())).toBe('revoked');
  });

  it('turns the authorizer context into a caller acting as the key, limited by its scopes', () => {
    const principal = principalFromAuthorizer({ lambda: authorizerContext({ keyId: 'key_1', role: 'admin', scopes: ['leads:read'] }) });
    expect(principal).toMatchObject({ userId: 'key_1', apiKeyId: 'key_1', role: 'admin', scopes: ['leads:read'] });
    expect(authorize(principal, 'leads:read')).toBe('all');
    expect(() => authorize(principal, 'leads:write')).toThrow(/scopes/);
    expect(scopeFor(principal, 'pii:read')).toBeUndefined();
    const unscoped = principalFromAuthorizer({ lambda: authorizerContext({ keyId: 'key_2', role: 'sales' }) });
    expect(unscoped.scopes).toBeUndefined();
    expect(scopeFor(unscoped, 'customers:read')).toBe('own');
    expect(() => principalFromAuthorizer({ lambda: { apiKeyId: 'key_3', role: 'root', scopes: '' } })).toThrow();
  });
});
