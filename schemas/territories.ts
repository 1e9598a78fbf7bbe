import * as z from './zod';
import { once } from './once';
import { Country, Timestamp } from './common';
import { text } from './text';

const userId = once(() => text(128));

const TerritoryRule = once(() => z
  .strictObject({
    id: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'Rule ids are 1–40 lower-case letters, digits or "-"'), z.meta({ description: 'Stable id; keys the round-robin position of a team rule' })),
    name: z.optional(text(100)),
    match: z
      .strictObject({
        country: z.optional(z.array(Country()).check(z.minLength(1), z.maxLength(250))),
        region: z.optional(z.array(text(100)).check(z.minLength(1), z.maxLength(100))),
        industry: z.optional(z.array(text(100)).check(z.minLength(1), z.maxLength(100))),
      })
      .check(
        z.refine((m) => Object.keys(m).length > 0, 'Match on at least one of country, region, industry'),
        z.meta({ description: 'Every given criterion must match (one of its values, case-insensitive); rules are tried in order, the first match wins' }),
      ),
    ownerId: z.optional(userId()),
    team: z.optional(z.array(userId()).check(z.minLength(1), z.maxLength(50), z.refine((t) => new Set(t).size === t.length, 'Team members must be distinct'))),
  })
  .check(z.refine((r) => (r.ownerId === undefined) !== (r.team === undefined), 'Give exactly one of ownerId or team')));

const rules = once(() => z
  .array(TerritoryRule())
  .check(z.maxLength(200), z.refine((list) => new Set(list.map((r) => r.id)).size === list.length, 'Each rule id may appear once')));

export const TerritoriesInput = once(() => z.strictObject({ rules: rules() }).check(z.meta({ id: 'TerritoriesInput' })));

export const Territories = once(() => z
  .object({
    rules: z.array(TerritoryRule()),
    version: z.int(),
    updatedAt: z.optional(Timestamp()),
    updatedBy: z.optional(z.string()),
  })
  .check(z.meta({ id: 'Territories', description: 'Ordered assignment rules, applied when a lead or customer is created without an owner by a caller with scope all' })));
