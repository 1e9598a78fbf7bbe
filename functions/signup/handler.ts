/** Sign-up feature: adapts the public routes to functions/marketing/signup.ts. */
import { createHttpHandler } from '../http/chain';
import { BadRequest, NotFound } from '../http/problem';
import { clientIpOf, confirm, confirmationState, confirmPage, type ConfirmOutcome, SIGNUP_PAGE_HEADERS, signUp } from '../marketing/signup';
import { routes } from './routes';

/**
 * A link that cannot confirm answers a problem (400 on `query.token`, 404 for a sign-up that is
 * gone), as every 4xx of the API does (docs/conventions.md) and as the unsubscribe and survey links
 * do; the pages are for the 200 answers.
 */
const html = (outcome: ConfirmOutcome, token: string) => {
  if (outcome.kind === 'invalid') throw BadRequest('This confirmation link is not valid (changed or cut). Open it from the email exactly as it arrived, or sign up again', [{ path: 'query.token', message: 'Invalid token' }]);
  if (outcome.kind === 'expired') throw BadRequest('This confirmation link has expired. Please sign up again to get a new one', [{ path: 'query.token', message: 'Expired token' }]);
  if (outcome.kind === 'gone') throw NotFound('This sign-up no longer exists. Please sign up again');
  const out = confirmPage(outcome, token);
  return { status: out.status, body: out.html, contentType: 'text/html; charset=utf-8', headers: SIGNUP_PAGE_HEADERS };
};

export const handler = createHttpHandler('signup', routes, {
  signUp: async ({ body, event, now }) => ({
    status: 202,
    body: { ...(await signUp(body, clientIpOf(event), now)), message: 'Check your inbox: we have sent you a link to confirm your subscription.' },
  }),
  confirmPage: async ({ query, now }) => html(await confirmationState(query.token, now), query.token),
  confirm: async ({ query, now }) => html(await confirm(query.token, now), query.token),
});
