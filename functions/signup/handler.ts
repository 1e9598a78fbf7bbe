/** Sign-up feature: adapts the public routes to functions/marketing/signup.ts. */
import { createHttpHandler } from '../http/chain';
import { clientIpOf, confirm, confirmationState, confirmPage, SIGNUP_PAGE_HEADERS, signUp } from '../marketing/signup';
import { routes } from './routes';

const html = (out: { status: number; html: string }) => ({ status: out.status, body: out.html, contentType: 'text/html; charset=utf-8', headers: SIGNUP_PAGE_HEADERS });

export const handler = createHttpHandler('signup', routes, {
  signUp: async ({ body, event, now }) => ({
    status: 202,
    body: { ...(await signUp(body, clientIpOf(event), now)), message: 'Check your inbox: we have sent you a link to confirm your subscription.' },
  }),
  confirmPage: async ({ query, now }) => html(confirmPage(await confirmationState(query.token, now), query.token)),
  confirm: async ({ query, now }) => html(confirmPage(await confirm(query.token, now), query.token)),
});
