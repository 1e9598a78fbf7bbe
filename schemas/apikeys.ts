import * as z from './zod';
import { once } from './once';
import { Id, IdParam, PageQuery, Timestamp, pageOf } from './common';
import { text } from './text';
import { ACTIONS, STAFF_ROLES } from '../functions/security/permissions';

/** Requests per minute (fixed one-minute windows, docs/webhooks.md "Rate limits"). */
const RateLimit = once(() => z.int().check(
  z.minimum(1), z.maximum(100_000),
  z.meta({ description: 'Requests per minute this key may send (fixed one-minute windows); omitted: the stage default', examples: [600] }),
));

export const ApiKeyCreate = once(() => z
  .strictObject({
    name: text(100).check(z.meta({ description: 'What the key is for, e.g. "ERP order sync"' })),
    role: z.enum(STAFF_ROLES).check(z.meta({ description: 'The role the key acts with (the permission matrix applies as to a user of that role; a staff role: the portal\'s `customer` role is for signed-in contacts only)' })),
    scopes: z.optional(z.array(z.enum(Object.keys(ACTIONS) as [keyof typeof ACTIONS, ...(keyof typeof ACTIONS)[]])).check(
      z.minLength(1),
      z.maxLength(50),
      z.refine((scopes) => new Set(scopes).size === scopes.length, 'Each scope once'),
      z.meta({ description: 'Restricts the key to these permissions of its role (e.g. `["leads:write"]`); omitted: everything the role may do' }),
    )),
    expiresAt: z.optional(Timestamp().check(z.meta({ description: 'The key stops working at this time; omitted: no expiry' }))),
    rateLimitPerMinute: z.optional(RateLimit()),
  })
  .check(z.meta({ id: 'ApiKeyCreate' })));

export const ApiKeyPatch = once(() => z
  .strictObject({
    name: z.optional(text(100)),
    rateLimitPerMinute: z.optional(z.nullable(RateLimit()).check(z.meta({ description: 'The key\'s own limit; null returns it to the stage default' }))),
  })
  .check(
    z.refine((patch) => Object.keys(patch).length > 0, 'Name at least one field to change'),
    z.meta({ id: 'ApiKeyPatch' }),
  ));

const ApiKeyFields = once(() => ({
    id: Id('key'),
    name: z.string(),
    role: z.enum(STAFF_ROLES),
    scopes: z.optional(z.array(z.string())),
    /** The first characters of the key, to recognise it: `crm_key_01J…`. */
    prefix: z.string(),
    expiresAt: z.optional(Timestamp()),
    revokedAt: z.optional(Timestamp()),
    lastUsedAt: z.optional(Timestamp().check(z.meta({ description: 'Last authenticated request, to the minute (updated at most once a minute)' }))),
    status: z.enum(['active', 'expired', 'revoked']),
    rateLimitPerMinute: z.int().check(z.meta({ description: 'Requests per minute in force for this key (its own limit or the stage default)' })),
    rateLimitDefault: z.boolean().check(z.meta({ description: 'true when the key has no limit of its own and follows the stage default' })),
    version: z.int().check(z.meta({ description: 'Bumped by every change (If-Match on PATCH)' })),
    createdAt: Timestamp(),
    createdBy: z.string(),
    updatedAt: z.optional(Timestamp()),
}));

export const ApiKey = once(() => z.object(ApiKeyFields()).check(z.meta({ id: 'ApiKey' })));

export const ApiKeyWithSecret = once(() => z
  .object({
    ...ApiKeyFields(),
    key: z.string().check(z.meta({ description: 'The API key; shown only in this response. Send it as `Authorization: ApiKey <key>` or `x-api-key: <key>`' })),
  })
  .check(z.meta({ id: 'ApiKeyWithSecret' })));

export const ApiKeyIdParam = IdParam('key');
export const ApiKeyPage = once(() => pageOf(ApiKey(), 'ApiKeyPage'));
export const ApiKeyListQuery = once(() => z.strictObject({ ...PageQuery() }));
