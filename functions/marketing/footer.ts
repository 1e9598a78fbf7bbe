/**
 * What every marketing email carries besides its template: the unsubscribe footer (HTML and text)
 * and the RFC 8058 headers. The footer is appended by the code, not left to the template, so no
 * template can leave it out.
 */
import { escapeHtml } from '../notifications/email';

export function unsubscribeFooter(url: string): { html: string; text: string } {
  return {
    html: `\n<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 8px">\n<p style="font:12px/1.4 sans-serif;color:#666">You receive this email because you are a contact of ours. <a href="${escapeHtml(url)}">Unsubscribe</a> from marketing email.</p>\n`,
    text: `\n\n--\nUnsubscribe from marketing email: ${url}\n`,
  };
}

/**
 * `List-Unsubscribe` with both an HTTPS link (one-click, RFC 8058) and a mailto, and
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, as Gmail and Yahoo require of bulk senders.
 */
export function unsubscribeHeaders(url: string, mailto: string): { name: string; value: string }[] {
  return [
    { name: 'List-Unsubscribe', value: `<${url}>, <${mailto}>` },
    { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
  ];
}
