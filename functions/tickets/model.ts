/**
 * Tickets as stored and as returned; the status workflow; service-desk settings with their
 * defaults; routing rules. Pure (no AWS), unit-tested.
 */
import { businessTimeZone } from '../config';
import { maskFor } from '../security/masking';
import type { Principal } from '../security/principal';
import type { BusinessCalendar } from './business-hours';
import { clockView, nextDeadline, type SlaContext, type SlaState, type Targets } from './sla';

export type TicketStatus = 'new' | 'open' | 'pending' | 'on_hold' | 'resolved' | 'closed';
export type TicketPriority = 'urgent' | 'high' | 'normal' | 'low';
export type Tier = 'A' | 'B' | 'C' | 'D';

export interface TicketItem {
  id: string;
  subject: string;
  description?: string;
  channel: 'phone' | 'email' | 'web' | 'portal' | 'chat' | 'api';
  category?: string;
  priority: TicketPriority;
  status: TicketStatus;
  customerId: string;
  contactId?: string;
  assetId?: string;
  contractId?: string;
  orderId?: string;
  queueId?: string;
  assigneeId?: string;
  resolution?: string;
  resolvedAt?: string;
  closedAt?: string;
  firstRespondedAt?: string;
  /** Message-ID of the last email sent on the ticket (the next reply's In-Reply-To). */
  lastEmailMessageId?: string;
  /** Message-IDs of the ticket's emails, oldest first (the next reply's References; the last 20). */
  emailReferences?: string[];
  /** Who wrote in, for a ticket opened by an email from an unknown address (no contact): replies go there. */
  requester?: { email: string; name?: string };
  sla: SlaState;
  /** Changes on every write, the SLA job's included; writers condition on it. */
  rev: number;
  /** Changes on the caller's writes only (ETag / If-Match). */
  version: number;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  updatedBy: string;
}

export interface MessageItem {
  id: string;
  ticketId: string;
  visibility: 'public' | 'internal';
  direction: 'outbound' | 'inbound';
  body: string;
  authorId: string;
  createdAt: string;
  email?: { status: 'sent' | 'no-contact' | 'no-address' | 'failed'; messageId?: string; inReplyTo?: string };
  /** Internal: the References header of the reply's email (a resend repeats it). */
  emailReferences?: string;
  /** Internal: when the `ticket-emails` job took the unsent email for its one resend. */
  resendAt?: string;
  /** Internal: the inbound email's Message-ID (direction `inbound`). */
  inboundMessageId?: string;
}

/** Fields whose changes are audited (and named in the domain event). */
export const TICKET_FIELDS = [
  'subject', 'description', 'channel', 'category', 'priority', 'status', 'customerId', 'contactId', 'assetId',
  'contractId', 'orderId', 'queueId', 'assigneeId', 'resolution',
] as const;
export const TICKET_SENSITIVE = ['description', 'resolution'] as const;

// Workflow -----------------------------------------------------------------------------------------

export const STATUS_RANK: Record<TicketStatus, number> = { new: 1, open: 2, pending: 3, on_hold: 4, resolved: 5, closed: 6 };
export const PRIORITY_RANK: Record<TicketPriority, number> = { urgent: 1, high: 2, normal: 3, low: 4 };
export const ACTIVE_STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold'];

/**
 * The allowed moves. `closed` is final, nothing goes back to `new`, and a ticket is closed only
 * after it was resolved; `resolved → open` is a reopen, allowed within the reopen window.
 */
export const TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  new: ['open', 'pending', 'on_hold', 'resolved'],
  open: ['pending', 'on_hold', 'resolved'],
  pending: ['open', 'on_hold', 'resolved'],
  on_hold: ['open', 'pending', 'resolved'],
  resolved: ['open', 'closed'],
  closed: [],
};

/** Why a move is refused, or undefined when it is allowed. */
export function transitionProblem(ticket: Pick<TicketItem, 'status' | 'resolvedAt'>, to: TicketStatus, now: Date, reopenDays: number): string | undefined {
  const from = ticket.status;
  if (from === to) return undefined;
  if (!TRANSITIONS[from].includes(to)) {
    if (from === 'closed') return 'The ticket is closed; closed tickets cannot change status (open a new ticket instead)';
    return `A ${from} ticket cannot move to ${to}; allowed: ${TRANSITIONS[from].join(', ')}`;
  }
  if (from === 'resolved' && to === 'open' && ticket.resolvedAt) {
    const limit = Date.parse(ticket.resolvedAt) + reopenDays * 86_400_000;
    if (now.getTime() > limit) return `The ticket was resolved more than ${reopenDays} days ago and can no longer be reopened; open a new ticket`;
  }
  return undefined;
}

// Settings ---------------------------------------------------------------------------------------

export interface SlaPolicy {
  priority: TicketPriority;
  tier?: Tier;
  firstResponseMinutes: number;
  resolutionMinutes: number;
}

export interface RoutingRule {
  match: { category?: string[]; priority?: TicketPriority[]; tier?: Tier[] };
  queueId: string;
}

export interface ServiceDeskSettings {
  calendar: Omit<BusinessCalendar, 'timeZone'> & { timeZone?: string };
  policies: SlaPolicy[];
  warnAtPercent?: number;
  reopenDays?: number;
  routing?: RoutingRule[];
  /** Satisfaction ratings at or below this open a follow-up task (functions/service-desk/csat-rating.ts). */
  csatLowRating?: number;
  version: number;
  updatedAt?: string;
  updatedBy?: string;
}

/** Business minutes when no policy is configured: an 8-hour day, Monday to Friday. */
export const DEFAULT_POLICIES: Record<TicketPriority, { firstResponseMinutes: number; resolutionMinutes: number }> = {
  urgent: { firstResponseMinutes: 60, resolutionMinutes: 240 },
  high: { firstResponseMinutes: 240, resolutionMinutes: 960 },
  normal: { firstResponseMinutes: 480, resolutionMinutes: 2400 },
  low: { firstResponseMinutes: 960, resolutionMinutes: 4800 },
};

export const DEFAULT_SETTINGS: ServiceDeskSettings = {
  calendar: { workingDays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', holidays: [] },
  policies: [],
  version: 0,
};

export const DEFAULT_WARN_PERCENT = 80;
export const DEFAULT_REOPEN_DAYS = 7;
export const DEFAULT_CSAT_LOW_RATING = 2;

export function calendarOf(settings: ServiceDeskSettings): BusinessCalendar {
  return { ...settings.calendar, timeZone: settings.calendar.timeZone ?? businessTimeZone() };
}

export function slaContext(settings: ServiceDeskSettings): SlaContext {
  return { calendar: calendarOf(settings), warnAtPercent: settings.warnAtPercent ?? DEFAULT_WARN_PERCENT };
}

/** The customer tier's policy for the priority, else the priority's tier-less policy, else the default. */
export function targetsFor(settings: ServiceDeskSettings, priority: TicketPriority, tier: string | undefined): Targets {
  const tiered = tier ? settings.policies.find((p) => p.priority === priority && p.tier === tier) : undefined;
  const plain = settings.policies.find((p) => p.priority === priority && !p.tier);
  const policy = tiered ?? plain ?? DEFAULT_POLICIES[priority];
  return { policy: tiered ? `${priority}/${tier}` : priority, firstResponseMinutes: policy.firstResponseMinutes, resolutionMinutes: policy.resolutionMinutes };
}

/** The first routing rule whose every criterion matches; undefined when none does. */
export function routeTicket(rules: readonly RoutingRule[] | undefined, t: { category?: string; priority: TicketPriority; tier?: string }): RoutingRule | undefined {
  const ok = <T>(allowed: readonly T[] | undefined, value: T | undefined) => allowed === undefined || (value !== undefined && allowed.includes(value));
  return (rules ?? []).find((r) => ok(r.match.category, t.category) && ok(r.match.priority, t.priority) && ok(r.match.tier as string[] | undefined, t.tier));
}

// Views --------------------------------------------------------------------------------------------

export function slaView(sla: SlaState) {
  const next = nextDeadline(sla);
  return {
    policy: sla.policy,
    firstResponse: clockView(sla.firstResponse),
    resolution: clockView(sla.resolution),
    ...(next ? { nextDeadline: next.at } : {}),
    escalations: sla.escalations,
    breaches: sla.breaches,
  };
}

/** The ticket as the caller may see it: free text withheld without pii:read (judged on the customer's owner). */
export function toTicket(t: TicketItem, principal: Principal, customerOwnerId: string | undefined) {
  const { rev: _rev, lastEmailMessageId: _m, emailReferences: _r, sla, ...rest } = t;
  return maskFor('ticket', { ...rest, sla: slaView(sla) }, principal, customerOwnerId);
}

export function toMessage(m: MessageItem, principal: Principal, customerOwnerId: string | undefined) {
  const { emailReferences: _refs, resendAt: _resend, inboundMessageId: _inbound, ...visible } = m;
  return maskFor('ticketMessage', visible, principal, customerOwnerId);
}

/**
 * One field of a PATCH body applied to a record: `null` clears it, `undefined` (left out) keeps
 * it, anything else sets it. Typed by the record, so a body field whose type the record cannot
 * hold is a compile error rather than a cast.
 */
export function patchField<T extends object, K extends keyof T>(target: T, field: K, value: T[K] | null | undefined): void {
  if (value === null) delete target[field];
  else if (value !== undefined) target[field] = value;
}
