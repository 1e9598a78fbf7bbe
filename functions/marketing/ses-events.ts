/**
 * The `ses-events` function: the target of the EventBridge rule on the account's default bus that
 * takes the SES events of the campaign configuration set (lib/constructs/campaign-email-events.ts).
 * One event per invocation, in SES's event publishing format (`detail` = the event record:
 * `eventType`, `mail`, and `bounce` / `complaint` / `delivery` / `open` / `click` / `reject`).
 * EventBridge retries a failed invocation for 24 h, then puts the event in the rule's dead-letter
 * queue; applying an event twice changes nothing (feedback.ts). Locally, where the SES stand-in
 * publishes no events, `npm run ses-event` (local/ses-event.ts) builds one of exactly this shape
 * and invokes this handler.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { applySesEvent, type FeedbackResult, type SesEventDetail } from './feedback';
import { lazyLogger } from '../aws/logger';

const logger = lazyLogger('crm-ses-events');

export const handler = async (event: EventBridgeEvent<string, SesEventDetail>): Promise<FeedbackResult> => {
  const result = await applySesEvent(event.detail, new Date());
  // Ids and the outcome only: the event's `mail` carries the recipient's address and headers.
  logger().info('ses event', { eventId: event.id, detailType: event['detail-type'], ...result });
  return result;
};
