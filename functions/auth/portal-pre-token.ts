/**
 * Pre-token-generation trigger (event version V2_0) of the self-service portal's user pool: says
 * whom a portal access token speaks for.
 *
 * A portal user is created by the service desk with one immutable custom attribute,
 * `custom:contactId` — the CRM contact they are (docs/service.md, "Self-service portal"). Users
 * cannot write it (immutable, and the portal client's write attributes leave it out). At every
 * token generation — sign-in and each refresh — this trigger reads that contact from the table
 * (one GetItem) and adds to the access token:
 *
 * - `contactId` and `customerId` — the contact's customer as the CRM has it *now*, so the customer
 *   is never taken from the user pool, a client or a request; a contact deleted since yields a
 *   token without them, which the API refuses (403);
 * - the group `customer` (groupOverrideDetails): the role the API gives portal callers, whatever
 *   groups the pool may hold.
 *
 * Everything else of the event is kept. A read that fails throws: Cognito then refuses the
 * sign-in or refresh and the user tries again, rather than holding a token that works nowhere for
 * an hour. The local issuer (local/jwt.ts) runs this very handler for `npm run token -- customer`.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys } from '../data/keys';
import { isObject, isTokenGeneration, userAttributesOf, withAccessTokenClaims } from './token-claims';

/** The portal pool's custom attribute naming the contact (set by the service desk, immutable). */
export const CONTACT_ATTRIBUTE = 'custom:contactId';
/** The one group every portal token carries: the `customer` role of the permission matrix. */
export const PORTAL_GROUP = 'customer';

const CONTACT_ID = /^con_[0-9A-HJKMNP-TV-Z]{26}$/;
const CUSTOMER_ID = /^cus_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * Cognito waits 5 s for a trigger. The DynamoDB client's own worst case (retries included) is
 * longer, so the read is cut off well before Cognito gives up: a sign-in then fails cleanly.
 */
const COGNITO_WAIT_MS = 5_000;

/** The contact's customer, read strongly consistently; undefined when the contact does not exist. */
export async function customerOfContact(contactId: string): Promise<string | undefined> {
  const out = await ddb().send(new GetCommand({
    TableName: config().tableName,
    Key: keys.contact.primary(contactId),
    ConsistentRead: true,
    ProjectionExpression: 'customerId',
  }), { abortSignal: AbortSignal.timeout(COGNITO_WAIT_MS - 1_500) });
  const customerId = out.Item?.customerId;
  return typeof customerId === 'string' && CUSTOMER_ID.test(customerId) ? customerId : undefined;
}

/** The claims a portal token carries for this user: contact and customer, or none. */
export async function portalClaims(userAttributes: unknown): Promise<Record<string, string>> {
  const contactId = isObject(userAttributes) ? userAttributes[CONTACT_ATTRIBUTE] : undefined;
  if (typeof contactId !== 'string' || !CONTACT_ID.test(contactId)) return {};
  const customerId = await customerOfContact(contactId);
  return customerId ? { contactId, customerId } : {};
}

/** The event with the claims added to the access token and the group set to `customer`; the rest unchanged. */
export function withPortalClaims<E extends PreTokenGenerationV2TriggerEvent>(event: E, claims: Record<string, string>): E {
  return withAccessTokenClaims(event, claims, { groupOverrideDetails: { groupsToOverride: [PORTAL_GROUP], iamRolesToOverride: [] } });
}

export const handler = async (event: PreTokenGenerationV2TriggerEvent): Promise<PreTokenGenerationV2TriggerEvent> => {
  if (!isTokenGeneration(event)) return event;
  return withPortalClaims(event, await portalClaims(userAttributesOf(event)));
};
