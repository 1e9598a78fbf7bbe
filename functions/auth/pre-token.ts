/**
 * Cognito pre-token-generation trigger, event version V2_0 (access-token customisation; the
 * Essentials and Plus feature plans support it): adds the user's verified email to the access
 * token (functions/auth/verified-email.ts says why and when).
 *
 * Deliberately tiny — no SDK client, no table, no logger: it runs on every sign-in and token
 * refresh, and Cognito gives a trigger 5 seconds, cold start included. The local issuer
 * (local/jwt.ts) runs this very handler for every token it signs.
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { withVerifiedEmail } from './verified-email';

export const handler = async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> =>
  withVerifiedEmail(event);
