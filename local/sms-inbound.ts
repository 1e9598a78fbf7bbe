/**
 * The sms-inbound handler as the local SMS sink's reply target (local/engines/sms.ts): what the
 * two-way SNS topic does in AWS (lib/constructs/sms-inbound.ts) — a reply invokes the handler with
 * an SNS event carrying End User Messaging's inbound JSON.
 */
import { randomUUID } from 'node:crypto';
import type { InboundSmsMessage } from './engines/sms';
import { lambdaContext, loadHandler } from './lambda';

export async function deliverInboundSms(message: InboundSmsMessage): Promise<unknown> {
  const event = {
    Records: [{
      EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: 'arn:aws:sns:local:000000000000:crm-sms-inbound:local',
      Sns: { Type: 'Notification', MessageId: randomUUID(), TopicArn: 'arn:aws:sns:local:000000000000:crm-sms-inbound', Subject: null, Message: JSON.stringify(message), Timestamp: new Date().toISOString(), SignatureVersion: '1', Signature: '', SigningCertUrl: '', UnsubscribeUrl: '', MessageAttributes: {} },
    }],
  };
  return (await loadHandler('sms-inbound'))(event, lambdaContext('sms-inbound'));
}
