/**
 * Communication records (calls, emails, meetings, SMS, visits, notes) as stored and as returned,
 * and the pure rules about them. Internal attributes (keys) never leave this module.
 */
import type { FieldError } from '../http/problem';
import { sensitiveFieldNames } from '../security/masking';

export type ActivityType = 'call' | 'email' | 'meeting' | 'sms' | 'visit' | 'note';

export interface Participant {
  name?: string;
  email?: string;
  contactId?: string;
}

export interface ActivityLinks {
  contactId?: string;
  dealId?: string;
  ticketId?: string;
}

export interface ActivityItem {
  id: string;
  customerId: string;
  type: ActivityType;
  direction?: 'inbound' | 'outbound';
  channel?: string;
  subject?: string;
  content?: string;
  outcome?: string;
  occurredAt: string;
  durationSeconds?: number;
  participants: Participant[];
  links: ActivityLinks;
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export const ACTIVITY_FIELDS = [
  'type', 'direction', 'channel', 'subject', 'content', 'outcome', 'occurredAt', 'durationSeconds', 'participants', 'links',
] as const;
export const ACTIVITY_SENSITIVE = sensitiveFieldNames('activity');

/** How far ahead an activity may be dated (a meeting planned for tomorrow morning is fine). */
export const MAX_FUTURE_MS = 24 * 3600 * 1000;

export function toActivity(item: ActivityItem) {
  return {
    id: item.id,
    customerId: item.customerId,
    type: item.type,
    direction: item.direction,
    channel: item.channel,
    subject: item.subject,
    content: item.content,
    outcome: item.outcome,
    occurredAt: item.occurredAt,
    durationSeconds: item.durationSeconds,
    participants: item.participants ?? [],
    links: item.links ?? {},
    version: item.version,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    createdBy: item.createdBy,
    updatedBy: item.updatedBy,
  };
}

/** Rules across fields that a schema alone cannot state (the time bound needs "now"). */
export function activityErrors(a: Pick<ActivityItem, 'type' | 'direction' | 'occurredAt'>, now: Date): FieldError[] {
  const errors: FieldError[] = [];
  if (a.type !== 'note' && !a.direction) errors.push({ path: 'direction', message: `A ${a.type} needs a direction (inbound or outbound)` });
  if (Date.parse(a.occurredAt) > now.getTime() + MAX_FUTURE_MS) {
    errors.push({ path: 'occurredAt', message: 'occurredAt may be at most one day in the future' });
  }
  return errors;
}

/**
 * Whether an activity counts as contact with the customer (resets the dormancy clock). A note is
 * an internal memo, not contact, so it does not.
 */
export function countsAsContact(type: ActivityType): boolean {
  return type !== 'note';
}

/** Every contact an activity refers to (link and participants), once each, with the paths that name it. */
export function referencedContacts(a: Pick<ActivityItem, 'links' | 'participants'>): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  const add = (id: string | undefined, path: string) => {
    if (!id) return;
    refs.set(id, [...(refs.get(id) ?? []), path]);
  };
  add(a.links?.contactId, 'links.contactId');
  (a.participants ?? []).forEach((p, i) => add(p.contactId, `participants.${i}.contactId`));
  return refs;
}

export { applyPatch } from '../data/records';
