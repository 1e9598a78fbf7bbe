/**
 * Route rows of the `signup` feature: the public sign-up form with double opt-in (C6,
 * functions/marketing/signup.ts). A function of its own: public, unauthenticated, and granted only
 * what a sign-up writes (the lead, its consent, the rate-limit counters) and SES.
 */
import type { RouteDef } from '../api/route-def';
import { SignupAccepted, SignupConfirmQuery, SignupCreate } from '../../schemas/signup';

export const routes = [
  { method: 'POST', path: '/v1/signup', feature: 'signup', operation: 'signUp', tag: 'Marketing', summary: 'Public sign-up form (no login): creates a lead with pending email consent and emails a confirmation link (double opt-in). Rate-limited per client IP and per address (429 with Retry-After); the answer is the same whoever the address belongs to', permission: 'public', body: SignupCreate, response: { status: 202, schema: SignupAccepted } },
  { method: 'GET', path: '/v1/signup/confirm', feature: 'signup', operation: 'confirmPage', tag: 'Marketing', summary: 'The confirmation link of a sign-up email: a page with one button (changes nothing); a changed, cut or expired link answers a 400 problem', permission: 'public', query: SignupConfirmQuery, response: { status: 200, contentType: 'text/html' }, errors: [404] },
  { method: 'POST', path: '/v1/signup/confirm', feature: 'signup', operation: 'confirm', tag: 'Marketing', summary: 'Confirm a sign-up (the page\'s button): the email consent becomes opted in (source form); repeating it changes nothing', permission: 'public', query: SignupConfirmQuery, response: { status: 200, contentType: 'text/html' }, errors: [404] },
] as const satisfies readonly RouteDef[];
