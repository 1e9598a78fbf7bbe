/**
 * The webhooks deliverer as a rule target of the local EventBridge stand-in (local/engines/events.ts):
 * what the rule in lib/constructs/domain-events.ts does in AWS — every CRM event on the bus invokes
 * the `webhooks-deliverer` handler with the event envelope.
 */
import { matchesDeliveryRule } from '../functions/webhooks/rule';
import type { EventTarget } from './engines/events';
import { lambdaContext, loadHandler } from './lambda';

export function webhookDeliveryTarget(): EventTarget {
  return {
    name: 'webhooks-deliverer',
    matches: matchesDeliveryRule,
    invoke: async (event) => (await loadHandler('webhooks-deliverer'))(event, lambdaContext('webhooks-deliverer')),
  };
}

/** Hosts the local CRM may deliver webhooks to over plain http, past the SSRF guard (functions/webhooks/ssrf.ts). */
export const DEFAULT_LOCAL_WEBHOOK_HOSTS = 'localhost,127.0.0.1';
