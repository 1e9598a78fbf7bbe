/**
 * The public sign-up form and its double opt-in confirmation (functions/marketing/signup.ts).
 * A schema module of its own: the public `signup` function bundles only these.
 */
import * as z from './zod';
import { once } from './once';
import { Id } from './common';
import { text } from './text';

export const SignupCreate = once(() => z
  .strictObject({
    email: z.email().check(z.maxLength(254)),
    firstName: z.optional(text(100)),
    lastName: text(100),
    companyName: z.optional(text(200)),
    campaignId: z.optional(Id('cmp').check(z.meta({ description: 'The campaign whose form or link this is: the lead (and its deals) are attributed to it' }))),
  })
  .check(z.meta({ id: 'SignupCreate', description: 'A sign-up from a public form: becomes a lead with pending email consent; a confirmation link is emailed (double opt-in)' })));

export const SignupAccepted = once(() => z
  .object({
    status: z.enum(['pending']).check(z.meta({ description: 'Always `pending`: the same answer whoever the address belongs to' })),
    message: z.string(),
  })
  .check(z.meta({ id: 'SignupAccepted' })));

export const SignupConfirmQuery = once(() => z.strictObject({
  token: z.string().check(z.minLength(1), z.maxLength(1024), z.meta({ description: 'The sealed token from the confirmation email\'s link' })),
}));
