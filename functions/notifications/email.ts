/**
 * Sending email through SES v2. One client per cold start, created on first use; the endpoint
 * comes from AWS_ENDPOINT_URL_SESV2 locally. The SDK retries a throttled call once within the
 * request; anything beyond that is the caller's to retry later (the reminder job backs off).
 */
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { clientOptions } from '../aws/client-options';
import { loadSesV2 } from '../aws/sdk';
import { config } from '../config';
import { type SendOptions, withSendSlot } from './send-rate';

let client: Promise<SESv2Client> | undefined;

/** The client, with the SDK loaded on first use (functions/aws/sdk.ts): no cold start pays for SES before it sends. */
export function sesClient(): Promise<SESv2Client> {
  client ??= loadSesV2().then((sdk) => new sdk.SESv2Client(clientOptions('sesv2')));
  client.catch(() => { client = undefined; });
  return client;
}

/** Locally and in tests the sender defaults to a placeholder; a deployed stage must configure SENDER_EMAIL. */
export function senderAddress(): string {
  const cfg = config();
  if (cfg.senderEmail) return cfg.senderEmail;
  if (cfg.stage === 'local' || cfg.stage === 'test') return 'crm-notifications@example.com';
  throw new Error('Configuration error: SENDER_EMAIL is not set');
}

export interface Email {
  to: string;
  /** The From header (`"Name" <address>`); default the deployment's sender address. */
  from?: string;
  subject: string;
  text: string;
  html: string;
  /** Extra headers, e.g. In-Reply-To and References of a ticket reply (SES v2 `Simple.Headers`). */
  headers?: { name: string; value: string }[];
  /** SES configuration set (event publishing: delivery, bounce, complaint, open, click; functions/marketing/feedback.ts). */
  configurationSetName?: string;
  /** SES message tags, returned in every event of the message (`mail.tags`). */
  tags?: Record<string, string>;
}

/**
 * Sends one email at the account's send rate (send-rate.ts); resolves with SES's message id once
 * SES accepted it. Throws NoSendSlot, without sending, when no slot comes before `options.deadline`.
 */
export async function sendEmail(email: Email, options: SendOptions = {}): Promise<string | undefined> {
  const [ses, { SendEmailCommand }] = await Promise.all([sesClient(), loadSesV2()]);
  const out = await withSendSlot(ses, options, () => ses.send(
    new SendEmailCommand({
      FromEmailAddress: email.from ?? senderAddress(),
      Destination: { ToAddresses: [email.to] },
      ...(email.configurationSetName ? { ConfigurationSetName: email.configurationSetName } : {}),
      ...(email.tags ? { EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })) } : {}),
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
          ...(email.headers?.length ? { Headers: email.headers.map((h) => ({ Name: h.name, Value: h.value })) } : {}),
        },
      },
    }),
  ));
  return out.MessageId;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
