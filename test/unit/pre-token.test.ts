/**
 * The pre-token-generation trigger: the verified email, and only a verified one, reaches the
 * access token; odd events pass through unchanged instead of failing the user's sign-in.
 */
import fc from '../support/fast-check-seed';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/auth/pre-token';
import { verifiedEmail, withVerifiedEmail } from '../../functions/auth/verified-email';

/** A V2_0 event as Cognito sends it on sign-in (shape of the documented sample event). */
function cognitoEvent(attributes: Record<string, string>, triggerSource = 'TokenGeneration_Authentication'): PreTokenGenerationV2TriggerEvent {
  return {
    version: '2',
    triggerSource,
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_EXAMPLE',
    userName: 'a36036a8-9061-424d-a737-56d57dae7bc6',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: '1example23456789' },
    request: {
      userAttributes: { sub: 'a36036a8-9061-424d-a737-56d57dae7bc6', 'cognito:user_status': 'CONFIRMED', ...attributes },
      groupConfiguration: { groupsToOverride: ['sales'], iamRolesToOverride: [], preferredRole: null as unknown as undefined },
      scopes: ['aws.cognito.signin.user.admin'],
    },
    response: { claimsAndScopeOverrideDetails: null as never },
  } as PreTokenGenerationV2TriggerEvent;
}

const SOURCES = [
  'TokenGeneration_Authentication',
  'TokenGeneration_HostedAuth',
  'TokenGeneration_NewPasswordChallenge',
  'TokenGeneration_AuthenticateDevice',
  'TokenGeneration_RefreshTokens',
];

describe('pre-token-generation trigger (V2_0)', () => {
  it('adds the verified email to the access token only, leaving groups and the ID token to Cognito', async () => {
    const event = cognitoEvent({ email: 'sam@example.com', email_verified: 'true' });
    const out = await handler(event);
    expect(out.response).toEqual({
      claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: { email: 'sam@example.com' } } },
    });
    // Everything Cognito sent comes back as it was (the request is not Cognito's to re-read, but
    // a trigger that rewrote it would be hiding something).
    expect({ ...out, response: undefined }).toEqual({ ...event, response: undefined });
    expect(event.response.claimsAndScopeOverrideDetails).toBeNull(); // input not mutated
  });

  it.each(SOURCES)('adds it for %s (a refreshed token must keep the address)', async (source) => {
    const out = await handler(cognitoEvent({ email: 'sam@example.com', email_verified: 'true' }, source));
    expect(out.response.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride).toEqual({ email: 'sam@example.com' });
  });

  it.each([
    ['false', { email: 'sam@example.com', email_verified: 'false' }],
    ['"True" (only the literal "true" counts)', { email: 'sam@example.com', email_verified: 'True' }],
    ['missing', { email: 'sam@example.com' }],
  ])('adds nothing when email_verified is %s', async (_label, attributes) => {
    const event = cognitoEvent(attributes);
    expect(await handler(event)).toEqual(event);
  });

  it('adds nothing when the user has no email, or not an address', async () => {
    const cases: Record<string, string>[] = [{ email_verified: 'true' }, { email: '', email_verified: 'true' }, { email: 'not an address', email_verified: 'true' }];
    for (const attributes of cases) {
      const event = cognitoEvent(attributes);
      expect(await handler(event)).toEqual(event);
    }
  });

  it('keeps response details another rule already set and merges the claim into them', () => {
    const event = cognitoEvent({ email: 'sam@example.com', email_verified: 'true' });
    event.response = {
      claimsAndScopeOverrideDetails: {
        idTokenGeneration: { claimsToSuppress: ['phone_number'] },
        accessTokenGeneration: { claimsToAddOrOverride: { tier: 'gold' }, scopesToAdd: ['crm/read'] },
      },
    };
    expect(withVerifiedEmail(event).response.claimsAndScopeOverrideDetails).toEqual({
      idTokenGeneration: { claimsToSuppress: ['phone_number'] },
      accessTokenGeneration: { claimsToAddOrOverride: { tier: 'gold', email: 'sam@example.com' }, scopesToAdd: ['crm/read'] },
    });
  });

  it('passes events that are no token generation through unchanged (a mis-wired trigger must not break sign-in)', async () => {
    for (const source of ['PostAuthentication_Authentication', 'PreSignUp_AdminCreateUser', undefined]) {
      const event = { ...cognitoEvent({ email: 'sam@example.com', email_verified: 'true' }), triggerSource: source } as never;
      expect(await handler(event)).toBe(event);
    }
  });

  it('survives odd events: no request, no attributes, null everywhere', async () => {
    const odd = [
      { triggerSource: 'TokenGeneration_Authentication' },
      { triggerSource: 'TokenGeneration_RefreshTokens', request: null, response: null },
      { triggerSource: 'TokenGeneration_Authentication', request: { userAttributes: null } },
      { triggerSource: 'TokenGeneration_ClientCredentials', request: { scopes: [] }, response: {} },
    ];
    for (const event of odd) expect(await handler(event as never)).toEqual(event);
    // A verified email with a null response still gets its claim.
    const nullResponse = { triggerSource: 'TokenGeneration_Authentication', request: { userAttributes: { email: 'a@b.example', email_verified: 'true' } }, response: null };
    expect((await handler(nullResponse as never)).response.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride)
      .toEqual({ email: 'a@b.example' });
  });

  it('never throws and never adds an email unless verified, whatever the event holds', () => {
    const anything = fc.anything({ withNullPrototype: false });
    const attributes = fc.dictionary(fc.constantFrom('email', 'email_verified', 'sub', 'name'), fc.oneof(fc.string(), fc.constantFrom('true', 'false', 'sam@example.com'), anything));
    const event = fc.record({
      triggerSource: fc.oneof(fc.constantFrom(...SOURCES, 'PostConfirmation_ConfirmSignUp'), fc.string(), anything),
      request: fc.oneof(fc.record({ userAttributes: fc.oneof(attributes, anything) }), anything),
      response: fc.oneof(fc.constant({ claimsAndScopeOverrideDetails: null }), anything),
    }, { requiredKeys: [] });
    fc.assert(fc.property(fc.oneof(event, anything), (input) => {
      const out = withVerifiedEmail(input as never) as unknown as { response?: { claimsAndScopeOverrideDetails?: { accessTokenGeneration?: { claimsToAddOrOverride?: { email?: unknown } } } } };
      const added = out?.response?.claimsAndScopeOverrideDetails?.accessTokenGeneration?.claimsToAddOrOverride?.email;
      const attrs = (input as { request?: { userAttributes?: unknown } } | null)?.request?.userAttributes;
      if (added !== undefined && out !== input) expect(added).toBe(verifiedEmail(attrs));
      if (verifiedEmail(attrs) === undefined) expect(out).toBe(input);
    }));
  });
});
