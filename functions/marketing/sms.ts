/**
 * The SMS channel of campaigns (C6) through AWS End User Messaging SMS
 * (`@aws-sdk/client-pinpoint-sms-voice-v2`, `SendTextMessage`), and the inbound side: a STOP
 * reply opts the contact out of SMS.
 *
 * Configuration (functions/marketing/sms.ts reads it once per container):
 * - `SMS_ORIGINATION_IDENTITY` — the phone number, sender id or pool the messages go out from
 *   (its id or ARN). Unset: SMS recipients fail (`SmsNotConfigured`), nothing is sent.
 * - `SMS_CONFIGURATION_SET` — optional configuration set (event destinations).
 * - `SMS_MAX_SEND_RATE` — messages per second of the origination identity (default 1: a long code's
 *   MPS); the job never sends faster, whatever the campaign's own rate.
 * Locally `AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2` points the real SDK client at the SMS sink
 * (local/engines/sms.ts), which records the messages.
 *
 * The client is loaded on first use (a dynamic import): the jobs function pays for it only when
 * an SMS campaign sends.
 */
import type { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { clientOptions } from '../aws/client-options';
import { loadSms } from '../aws/sdk';
import { normalizePhone } from '../data/keys';
import { SendRateLimiter } from '../notifications/send-rate';
import { addressHash } from './token';

/** The ledger / lookup key of a phone number: a hash of its normalised form, never the number. */
export const phoneHash = (phone: string) => addressHash(normalizePhone(phone));

/** Appended to every campaign SMS (carriers require the opt-out instruction). */
export const STOP_FOOTER = '\nReply STOP to opt out.';

/** Keywords that opt out (the carriers' and AWS's default opt-out keywords). */
export const STOP_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'OPT-OUT', 'ARRET', 'STOPP'];

/** Whether an inbound message is an opt-out: its first word is a STOP keyword (any case). Pure. */
export function isStop(body: string, keyword?: string): boolean {
  const first = (keyword || body).trim().split(/\s+/)[0]?.toUpperCase().replace(/[.!]+$/, '') ?? '';
  return STOP_KEYWORDS.includes(first);
}

export class SmsNotConfigured extends Error {
  constructor() {
    super('SMS_ORIGINATION_IDENTITY is not set');
    this.name = 'SmsNotConfigured';
  }
}

let client: Promise<{ client: PinpointSMSVoiceV2Client; send: typeof import('@aws-sdk/client-pinpoint-sms-voice-v2').SendTextMessageCommand }> | undefined;
function smsClient() {
  // Loaded on first send (functions/aws/sdk.ts): only the client and SendTextMessage, not the package index.
  client ??= loadSms().then((m) => ({ client: new m.PinpointSMSVoiceV2Client(clientOptions('smsvoice')), send: m.SendTextMessageCommand }));
  return client;
}

let limiter: SendRateLimiter | undefined;
/** The origination identity's rate (SMS_MAX_SEND_RATE, default 1 per second), per container. */
export function smsRateLimiter(): SendRateLimiter {
  limiter ??= new SendRateLimiter(Number(process.env.SMS_MAX_SEND_RATE) > 0 ? Number(process.env.SMS_MAX_SEND_RATE) : 1);
  return limiter;
}

/** Sends one SMS (transactional campaigns are PROMOTIONAL); resolves with the message id. */
export async function sendSms(to: string, body: string, campaignId: string): Promise<string | undefined> {
  const origination = process.env.SMS_ORIGINATION_IDENTITY;
  if (!origination) throw new SmsNotConfigured();
  const { client: c, send } = await smsClient();
  const out = await c.send(new send({
    DestinationPhoneNumber: normalizePhone(to),
    OriginationIdentity: origination,
    MessageBody: body,
    MessageType: 'PROMOTIONAL',
    ...(process.env.SMS_CONFIGURATION_SET ? { ConfigurationSetName: process.env.SMS_CONFIGURATION_SET } : {}),
    Context: { campaignId },
  }));
  return out.MessageId;
}
