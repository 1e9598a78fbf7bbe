/**
 * The one rule of the pre-token-generation trigger: a user's access token carries their email
 * address only when Cognito has verified it.
 *
 * Why the access token: the HTTP API's JWT authorizer receives the *access* token, and Cognito
 * access tokens carry no `email` claim (ID tokens do, but clients must not send ID tokens to an
 * API). Reminder and notification emails go to the address copied from the caller's token into
 * their `USER#` profile (functions/notifications/profiles.ts), so without this claim every
 * reminder in AWS would silently degrade to in-app only.
 *
 * Why verified only: `email` is a user-writable attribute (a user with the
 * aws.cognito.signin.user.admin scope can change it) and an unverified one is whatever someone
 * typed. Cognito sends every attribute as a string, so only the literal "true" counts.
 *
 * This function is total: it never throws, whatever shape the event has, because an exception
 * in a pre-token trigger fails the user's sign-in.
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { isObject, isTokenGeneration, userAttributesOf, withAccessTokenClaims } from './token-claims';

/** Deliberately loose: Cognito validated the address; this only rejects non-addresses. */
const EMAIL = /^[^@\s]+@[^@\s]+$/;

/** The user's email when `email_verified` is exactly "true" and `email` looks like an address. */
export function verifiedEmail(userAttributes: unknown): string | undefined {
  if (!isObject(userAttributes)) return undefined;
  const { email, email_verified: verified } = userAttributes;
  if (verified !== 'true' || typeof email !== 'string' || !EMAIL.test(email)) return undefined;
  return email;
}

/**
 * Returns the event with `email` added to the access token's `claimsToAddOrOverride`, or the
 * event unchanged when there is no verified email or the event is no token generation.
 *
 * Every `TokenGeneration_*` source is handled alike — sign-in, new-password challenge, device
 * authentication, hosted UI and refresh — because a refreshed token without the claim would make
 * ensureProfile drop the stored address again. Other response fields (ID token, groups, scopes)
 * are kept as they are; `groupOverrideDetails` is never set, so `cognito:groups` stays Cognito's.
 */
export function withVerifiedEmail<E extends PreTokenGenerationV2TriggerEvent>(event: E): E {
  if (!isTokenGeneration(event)) return event;
  const email = verifiedEmail(userAttributesOf(event));
  return email ? withAccessTokenClaims(event, { email }) : event;
}
