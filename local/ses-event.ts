/**
 * SES events for the local CRM, where the SES stand-in (aws-ses-v2-local) publishes none: builds
 * the EventBridge event SES would publish for a message it sent — exactly the AWS shape, taken
 * from the fixtures in test/fixtures/ses-events/ (the SES event publishing examples in an
 * EventBridge envelope) — and invokes the `ses-events` handler with it, as the EventBridge rule
 * does in AWS (lib/constructs/campaign-email-events.ts). Used by `npm run ses-event`
 * (local/ses-event-cli.ts), the tests and the README walk-through.
 *
 * What a real event carries is filled in from the message in the local inbox: destination,
 * headers, subject and the message tags the send job set. The local inbox does not keep tags, so
 * `crm-campaign` and `crm-recipient` are read back from the message's List-Unsubscribe link, whose
 * token seals the same campaign and ledger key (functions/marketing/token.ts).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventBridgeEvent } from 'aws-lambda';
import { TAG_CAMPAIGN, TAG_RECIPIENT, type SesEventDetail } from '../functions/marketing/feedback';
import { readUnsubscribeToken } from '../functions/marketing/token';
import { LOCAL_REGION } from './env';
import { LOCAL_ACCOUNT, lambdaContext, loadHandler } from './lambda';
import { REPO_ROOT } from './paths';

export const SES_EVENT_TYPES = ['bounce', 'complaint', 'delivery', 'open', 'click'] as const;
export type SesEventType = (typeof SES_EVENT_TYPES)[number];

/** The configuration set name local events name (in AWS: the stack's generated name). */
export const LOCAL_CONFIGURATION_SET = 'local-campaign-email';

/** A message as the local SES stand-in stores it (`GET /store`). */
export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[]; cc?: string[]; bcc?: string[] };
  subject: string;
  headers?: { name: string; value: string }[];
  at?: number;
}

type SesEvent = EventBridgeEvent<string, SesEventDetail & Record<string, unknown>>;

/** The fixture of one event type: an AWS-shaped EventBridge event (a fresh copy). */
export function sesEventFixture(type: SesEventType): SesEvent {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'ses-events', `${type}.json`), 'utf8')) as SesEvent;
}

/** The campaign and ledger key of a campaign email, from its List-Unsubscribe link. */
async function campaignTags(email: StoredEmail): Promise<Record<string, string[]>> {
  const header = email.headers?.find((h) => h.name.toLowerCase() === 'list-unsubscribe')?.value ?? '';
  const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(header)?.[1];
  if (!token) return {};
  const ref = await readUnsubscribeToken(token);
  return { [TAG_CAMPAIGN]: [ref.campaignId], [TAG_RECIPIENT]: [ref.addressHash] };
}

/** The event SES would publish for `email`, at `now`; `bounceType` for a soft bounce. */
export async function buildSesEvent(type: SesEventType, email: StoredEmail, now: Date, options: { bounceType?: 'Permanent' | 'Transient' } = {}): Promise<SesEvent> {
  const event = sesEventFixture(type);
  const at = now.toISOString();
  const sentAt = email.at ? new Date(email.at * (email.at < 1e12 ? 1000 : 1)).toISOString() : at;
  const to = email.destination.to;
  const { detail } = event;
  detail.mail = {
    ...detail.mail,
    timestamp: sentAt,
    source: email.from,
    messageId: email.messageId,
    destination: to,
    headers: [
      { name: 'From', value: email.from }, { name: 'To', value: to.join(', ') }, { name: 'Subject', value: email.subject },
      ...(email.headers ?? []),
    ],
    commonHeaders: { from: [email.from], to, messageId: email.messageId, subject: email.subject },
    tags: {
      ...Object.fromEntries(Object.entries(detail.mail.tags ?? {}).filter(([name]) => name.startsWith('ses:'))),
      'ses:configuration-set': [LOCAL_CONFIGURATION_SET],
      ...(await campaignTags(email)),
    },
  } as SesEventDetail['mail'];
  const body = detail[detail.eventType.toLowerCase()] as Record<string, unknown>;
  body.timestamp = at;
  if (type === 'bounce') {
    body.bounceType = options.bounceType ?? 'Permanent';
    if (options.bounceType === 'Transient') body.bounceSubType = 'MailboxFull';
    body.bouncedRecipients = to.map((emailAddress) => ({ ...((body.bouncedRecipients as object[])[0] ?? {}), emailAddress }));
  }
  if (type === 'complaint') body.complainedRecipients = to.map((emailAddress) => ({ emailAddress }));
  if (type === 'delivery') body.recipients = to;
  return {
    ...event,
    id: randomUUID(),
    time: `${at.slice(0, 19)}Z`,
    account: LOCAL_ACCOUNT,
    region: LOCAL_REGION,
    resources: [`arn:aws:ses:${LOCAL_REGION}:${LOCAL_ACCOUNT}:configuration-set/${LOCAL_CONFIGURATION_SET}`],
  };
}

/** The message with this id in the local inbox (`GET <ses>/store`). */
export async function storedEmail(sesEndpoint: string, messageId: string): Promise<StoredEmail | undefined> {
  const response = await fetch(`${sesEndpoint}/store`);
  const store = (await response.json()) as { emails?: StoredEmail[] };
  return store.emails?.find((e) => e.messageId === messageId);
}

/** Builds the event for a message in the local inbox and hands it to the `ses-events` handler. */
export async function injectSesEvent(type: SesEventType, messageId: string, options: { sesEndpoint: string; now?: Date; bounceType?: 'Permanent' | 'Transient' }) {
  const email = await storedEmail(options.sesEndpoint, messageId);
  if (!email) throw new Error(`No message ${messageId} in the local inbox (${options.sesEndpoint}/store)`);
  const event = await buildSesEvent(type, email, options.now ?? new Date(), options);
  const result = await (await loadHandler('ses-events'))(event, lambdaContext('ses-events'));
  return { event, result };
}
