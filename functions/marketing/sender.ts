/**
 * A campaign's own sender identity (`sender: { email, name? }`): which From addresses the
 * deployment allows, and the From header built from one.
 *
 * Allowed: an address whose domain, or the address itself, is in `SENDER_IDENTITIES`; without that
 * list, any address at the domain of the notification sender (SENDER_EMAIL, locally its
 * placeholder). In AWS each of these must be a verified SES identity (domain or address) and the
 * sending role may send from it (docs/marketing.md, "Sender identity").
 */
import { config } from '../config';
import { BadRequest } from '../http/problem';
import { senderAddress } from '../notifications/email';

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * The allowed identities: lower-cased domains and addresses. None when neither SENDER_IDENTITIES
 * nor a sender address is configured for this function (then every `sender` is refused with 400,
 * never a 500 from the missing configuration).
 */
export function allowedSenderIdentities(): string[] {
  const listed = config().senderIdentities;
  if (listed.length > 0) return listed;
  try {
    return [domainOf(senderAddress())];
  } catch {
    return [];
  }
}

export function senderAllowed(email: string): boolean {
  const allowed = allowedSenderIdentities();
  const address = email.toLowerCase();
  return allowed.includes(address) || allowed.includes(domainOf(address));
}

/** 400 on `sender.email` when the deployment may not send from it. */
export function assertSenderAllowed(sender: { email: string } | null | undefined): void {
  if (sender && !senderAllowed(sender.email)) {
    throw BadRequest('Some body fields are not valid', [{ path: 'sender.email', message: 'Not a sender identity this deployment may send from (SENDER_IDENTITIES)' }]);
  }
}

/**
 * The From header value: `"Name" <address>`, the display name a quoted-string per RFC 5322
 * (backslash and double quote escaped, line breaks dropped), or an RFC 2047 encoded-word when it
 * is not ASCII (SES accepts either in FromEmailAddress).
 */
export function fromHeader(sender: { email: string; name?: string }): string {
  const name = sender.name?.replace(/[\r\n]+/g, ' ').trim();
  if (!name) return sender.email;
  // eslint-disable-next-line no-control-regex
  const display = /^[\x20-\x7e]*$/.test(name)
    ? `"${name.replace(/["\\]/g, (c) => `\\${c}`)}"`
    : `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
  return `${display} <${sender.email}>`;
}
