/**
 * The EventBridge rule that feeds the webhooks deliverer: every CRM domain event on the bus. CDK
 * puts this pattern on the rule (lib/constructs/domain-events.ts); the local EventBridge stand-in
 * applies the same test (local/webhook-target.ts).
 */
import { EVENT_SOURCE } from '../events/outbox';

export const DELIVERY_RULE_PATTERN = { source: [EVENT_SOURCE] } as const;

export function matchesDeliveryRule(event: { source?: string }): boolean {
  return (DELIVERY_RULE_PATTERN.source as readonly string[]).includes(event.source ?? '');
}
