/**
 * Lambda request authorizer (HTTP API, payload 2.0, simple responses) of the machine API
 * (lib/constructs/http-api.ts): reads the key from `Authorization: ApiKey <key>` or `x-api-key`,
 * verifies it (functions/apikeys/verify.ts) and passes `{ apiKeyId, role, scopes }` to the route's
 * function as `requestContext.authorizer.lambda`, where the request chain turns it into the
 * caller (functions/security/principal.ts). API Gateway's own result cache is off — it would key on
 * one header, and keys come in either — so verifications are cached in the container instead.
 *
 * It also counts the request against the key's rate limit (functions/apikeys/rate-limit.ts: one
 * UpdateItem) and passes the count on: an HTTP API authorizer can only allow or answer 403, so the
 * function's request chain answers 429 with Retry-After and writes the RateLimit headers
 * (functions/apikeys/rate-policy.ts). The authorizer runs on every request (no result cache), so
 * every request is counted.
 */
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
import { presentedKey } from './model';
import { countRequest } from './rate-limit';
import { defaultRateLimit, rateContext } from './rate-policy';
import { authorizerContext, verifyApiKey } from './verify';
import { lazyLogger } from '../aws/logger';

const logger = lazyLogger('crm-apikeys');

export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerWithContextResult<Record<string, string>>> => {
  const key = presentedKey(event.headers);
  const identity = key ? await verifyApiKey(key) : undefined;
  // The key id only (never the key): which machine client called, for the access log's story.
  if (!identity) logger().info('api key refused', { routeKey: event.routeKey, presented: key !== undefined });
  if (!identity) return { isAuthorized: false, context: {} };
  const rate = await countRequest(identity.keyId, identity.rateLimitPerMinute ?? defaultRateLimit());
  if (!rate) logger().warn('rate counter not written', { apiKeyId: identity.keyId });
  return { isAuthorized: true, context: { ...authorizerContext(identity), ...(rate ? rateContext(rate) : {}) } };
};
