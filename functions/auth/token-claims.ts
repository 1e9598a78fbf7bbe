/**
 * What both pre-token-generation triggers (V2_0) do to the event: add claims to the *access*
 * token, keeping every other response field as it is. The staff pool's trigger adds the verified
 * email (verified-email.ts), the portal pool's the contact and customer and its group
 * (portal-pre-token.ts).
 *
 * Total: never throws, whatever shape the event has, because an exception in a pre-token trigger
 * fails the user's sign-in.
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';

type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether Cognito is generating a token: every `TokenGeneration_*` source alike — sign-in,
 * new-password challenge, device authentication, hosted UI and refresh — since a refreshed token
 * must carry what the first one did.
 */
export function isTokenGeneration(event: unknown): boolean {
  return isObject(event) && typeof event.triggerSource === 'string' && event.triggerSource.startsWith('TokenGeneration_');
}

/** The Cognito user attributes of the event, if it has any. */
export function userAttributesOf(event: PreTokenGenerationV2TriggerEvent): unknown {
  return isObject(event.request) ? event.request.userAttributes : undefined;
}

/**
 * The event with `claims` added to the access token's `claimsToAddOrOverride` and `overrides`
 * (e.g. `groupOverrideDetails`) set in `claimsAndScopeOverrideDetails`; the rest unchanged.
 */
export function withAccessTokenClaims<E extends PreTokenGenerationV2TriggerEvent>(event: E, claims: Record<string, string>, overrides: Json = {}): E {
  // Cognito sends `"response": {"claimsAndScopeOverrideDetails": null}`: build what is missing.
  const response: Json = isObject(event.response) ? event.response : {};
  const details: Json = isObject(response.claimsAndScopeOverrideDetails) ? response.claimsAndScopeOverrideDetails : {};
  const access: Json = isObject(details.accessTokenGeneration) ? details.accessTokenGeneration : {};
  const added: Json = isObject(access.claimsToAddOrOverride) ? access.claimsToAddOrOverride : {};
  return {
    ...event,
    response: {
      ...response,
      claimsAndScopeOverrideDetails: {
        ...details,
        accessTokenGeneration: { ...access, claimsToAddOrOverride: { ...added, ...claims } },
        ...overrides,
      },
    },
  };
}
