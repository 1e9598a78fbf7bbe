/**
 * Inbound SMS (the `sms-inbound` function): AWS End User Messaging SMS publishes every reply to a
 * two-way number on an SNS topic (lib/constructs/sms-inbound.ts), which invokes this handler. A
 * STOP reply (sms.ts, isStop) opts the number's contact out of SMS: consent `opted_out`, source
 * `sms_stop`, with its history entry, in one transaction conditioned on the version read.
 * Which contact: the one the last SMS campaign to that number named (`SMSTO#<hash>`, written with
 * the ledger entry). Anything else is ignored; a number we never texted is ignored. Logs carry no
 * phone number or message text.
 */
import type { SNSEvent } from 'aws-lambda';
import { keys } from '../data/keys';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { type ConsentItem, consentWrite } from './consent';
import { isStop, phoneHash } from './sms';
import { getItem } from './store';
import { lazyLogger } from '../aws/logger';

const logger = lazyLogger('crm-sms-inbound');

/** Who acts in consent history entries made by a STOP reply. */
export const SMS_STOP_ACTOR = 'sms-stop';

interface InboundSms {
  originationNumber?: string;
  messageBody?: string;
  messageKeyword?: string;
}

export type InboundOutcome = 'opted-out' | 'already' | 'unknown-number' | 'not-stop';

/** Applies one inbound message; what it did. */
export async function handleInbound(message: InboundSms, now: Date): Promise<InboundOutcome> {
  if (!message.originationNumber || !isStop(message.messageBody ?? '', message.messageKeyword)) return 'not-stop';
  const target = await getItem<{ contactId: string }>(keys.smsAddress(phoneHash(message.originationNumber)));
  if (!target) return 'unknown-number';
  for (let attempt = 1; ; attempt++) {
    const current = await getItem<ConsentItem>(keys.consent.primary(target.contactId, 'sms'));
    if (current?.status === 'opted_out') return 'already';
    const tx = new Transaction();
    consentWrite(tx, { contactId: target.contactId, channel: 'sms', from: current?.status ?? 'unknown', to: 'opted_out', source: 'sms_stop', by: SMS_STOP_ACTOR, at: now.toISOString(), expectedVersion: current?.version ?? 0 });
    try {
      await tx.commit();
      return 'opted-out';
    } catch (err) {
      if (!(err instanceof ConditionsFailed) || attempt >= 3) throw err;
    }
  }
}

export async function handler(event: SNSEvent): Promise<void> {
  const outcomes: Record<string, number> = {};
  for (const record of event.Records ?? []) {
    const message = parseInbound(record.Sns.Message);
    if (!message) {
      outcomes.malformed = (outcomes.malformed ?? 0) + 1;
      continue;
    }
    const outcome = await handleInbound(message, new Date());
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  logger().info('inbound sms', { outcomes });
}

/** The fields we use of End User Messaging's inbound JSON; undefined when it is not JSON. */
export function parseInbound(raw: string): InboundSms | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const fields = new Map(Object.entries(parsed));
  const text = (name: string) => (typeof fields.get(name) === 'string' ? String(fields.get(name)) : undefined);
  return { originationNumber: text('originationNumber'), messageBody: text('messageBody'), messageKeyword: text('messageKeyword') };
}
