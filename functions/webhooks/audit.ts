/**
 * Audit entries of webhooks (and so their `webhook.*` domain events): created, updated, rotated,
 * disabled (automatically, after failing too long) and deleted. They live in the webhook's own
 * partition (`WH#<id>` / `AUD#…`, keys.webhook.audit) and are written in the transaction of the
 * change. Never a secret: the signing secrets are not among the audited fields (a rotation records
 * `secret` as changed, without values), and the URL — which may carry a receiver's token — is
 * recorded as changed, never with its value.
 */
import { auditItem, diff, type FieldChange } from '../audit/audit';
import { keys } from '../data/keys';
import type { Principal } from '../security/principal';
import type { WebhookItem } from './model';

export const WEBHOOK_AUDIT_FIELDS = ['url', 'description', 'events', 'fieldFilter', 'active', 'disabledReason'] as const;
const REDACTED = ['url'] as const;

/** The actor of automatic changes (the deliverer and the retry job disabling a failing webhook). */
export const WEBHOOK_SYSTEM: Principal = { userId: 'system', role: 'admin', groups: [] };

export function webhookAudit(
  before: WebhookItem | undefined,
  after: WebhookItem,
  action: 'created' | 'updated' | 'rotated' | 'disabled' | 'deleted',
  actor: Principal,
  now: Date,
): Record<string, unknown> {
  const changes: FieldChange[] = action === 'rotated'
    ? [{ field: 'secret', redacted: true }]
    : diff(before, action === 'deleted' ? undefined : after, WEBHOOK_AUDIT_FIELDS, REDACTED);
  const item = auditItem({ customerId: '-', entityType: 'webhook', entityId: after.id, action, actor, at: now, version: after.version, changes });
  return { ...item, ...keys.webhook.audit(after.id, String(item.at), String(item.id)) };
}
