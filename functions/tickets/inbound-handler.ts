/**
 * The `inbound-mail` function: turns received email into tickets and messages
 * (functions/tickets/inbound.ts). Two event shapes name the object:
 *
 * - In AWS, the SES receipt rule stores the raw MIME as `inbound/<SES message id>` in the inbound
 *   bucket, then invokes this function (asynchronously) with the SES event.
 * - Locally, putting an object under `inbound/` of the local inbound bucket (`npm run mail`) makes
 *   s3rver emit an S3 `ObjectCreated` event that the runtime hands to this function
 *   (local/inbound-mail.ts) — the event S3 itself would send.
 *
 * Mail that cannot be read is quarantined and the invocation succeeds: only dependency failures
 * (S3, DynamoDB) throw, so Lambda's retries are for outages, never a crash loop on one message.
 */
import { inboundBucket, type InboundResult, processInbound } from './inbound';
import { INBOUND_PREFIX } from './inbound-paths';
import { lazyLogger } from '../aws/logger';

const logger = lazyLogger('crm-inbound-mail');

interface S3Record { s3: { bucket: { name: string }; object: { key: string } }; eventName?: string }
interface SesRecord { ses: { mail: { messageId: string } } }
export interface InboundEvent { Records?: (S3Record | SesRecord | Record<string, unknown>)[] }

/** The objects an event names: S3 object keys arrive URL-encoded (`+` for a space). */
export function objectsOf(event: InboundEvent): { bucket: string; key: string }[] {
  const found: { bucket: string; key: string }[] = [];
  for (const record of event.Records ?? []) {
    if ('s3' in record && record.s3) {
      const r = record as S3Record;
      if (r.eventName && !r.eventName.startsWith('ObjectCreated')) continue;
      const key = decodeURIComponent(r.s3.object.key.replace(/\+/g, ' '));
      if (key.startsWith(INBOUND_PREFIX)) found.push({ bucket: r.s3.bucket.name, key });
    } else if ('ses' in record && record.ses) {
      found.push({ bucket: inboundBucket(), key: `${INBOUND_PREFIX}${(record as SesRecord).ses.mail.messageId}` });
    }
  }
  return found;
}

export const handler = async (event: InboundEvent): Promise<InboundResult[]> => {
  const results: InboundResult[] = [];
  for (const { bucket, key } of objectsOf(event)) {
    const result = await processInbound(bucket, key, new Date(), (entry) => logger().warn(String(entry.msg), { ...entry, msg: undefined }));
    // Ids and outcomes only: never the sender, the subject or the text.
    logger().info('inbound mail', { key: result.key, outcome: result.outcome, ticketId: result.ticketId, messageId: result.messageId, reason: result.reason, threadedBy: result.threadedBy, sender: result.sender });
    results.push(result);
  }
  return results;
};
