/**
 * The SLA job (schedule row `sla`, every minute; docs/service.md).
 *
 * 1. Find what is due: one Query page at a time on the sparse gsi1 partition `SLA#DUE` with
 *    `gsi1sk <= "<now>#~"`. Only tickets with a running clock and a level still to come carry the
 *    key (their deadline item's `nextCheckAt`: the next warning point or deadline), so a run costs
 *    what is due, never the number of tickets; after downtime the next run reads everything it
 *    missed, oldest first, and escalates every level that has come (warning and breach both).
 * 2. Per page, three BatchGetItem: the tickets (strongly consistent), their queues (the manager),
 *    the profiles of assignees and managers (their email).
 * 3. Per ticket, ONE transaction is the claim and the record together: the ticket with the new
 *    escalations (and breach) recorded, conditioned on the `rev` read — of two concurrent runs
 *    exactly one commits, and a repeated run finds the level recorded and does nothing — plus the
 *    re-keyed deadline item, one in-app notification per person notified and the breach counter.
 *    Levels: `<clock>.warning` notifies the assignee (the queue's manager when nobody is assigned);
 *    `<clock>.breach` notifies the assignee and the queue's manager.
 * 4. After the commit, one email per person notified. Email is at most once: a run that dies
 *    between commit and send loses that email (the notification stands); it never sends twice.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config';
import { ddb } from '../data/client';
import { keys, newId } from '../data/keys';
import { withoutKeys } from '../data/records';
import { ConditionsFailed, Transaction } from '../data/transaction';
import { batchGetItems } from '../jobs/batch-get';
import type { Budget } from '../jobs/budget';
import { workThroughPages } from '../jobs/pages';
import { escapeHtml, sendEmail } from '../notifications/email';
import { type NotificationItem, notificationStored } from '../notifications/model';
import type { UserProfile } from '../notifications/profiles';
import { formatLocalTime } from '../tasks/reminder-message';
import type { TicketItem } from './model';
import { addCounters, deadlineStored, type QueueItem, ticketStored } from './repository';
import { dueLevels, type LevelName, recordEscalation } from './sla';
import { addTicketReportUpdates } from '../service-desk/report-counters';

export interface SlaRunResult {
  [count: string]: unknown;
  due: number;
  processed: number;
  failed: number;
  more: boolean;
  /** Tickets escalated by this run. */
  escalated: number;
  warnings: number;
  breaches: number;
  notified: number;
  emailed: number;
  emailFailed: number;
  /** Another run (or a change to the ticket) got there first; the next run looks again. */
  lost: number;
  /** Nothing due on the ticket any more (its deadline item was read before a change reached the index). */
  skipped: number;
}

type Due = { ticketId: string; nextCheckAt: string };
interface Context {
  tickets: Map<string, TicketItem>;
  queues: Map<string, QueueItem>;
  profiles: Map<string, UserProfile>;
}

const table = () => config().tableName;

async function queryDue(now: Date, startKey: Record<string, unknown> | undefined, limit: number) {
  const out = await ddb().send(new QueryCommand({
    TableName: table(),
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :upto',
    ExpressionAttributeValues: { ':pk': keys.ticket.duePartition, ':upto': `${now.toISOString()}#~` },
    Limit: limit,
    ExclusiveStartKey: startKey,
  }));
  return { items: (out.Items ?? []).map((i) => withoutKeys<Due>(i)), lastKey: out.LastEvaluatedKey };
}

async function loadContext(items: Due[]): Promise<Context> {
  const tickets = new Map<string, TicketItem>();
  for (const item of await batchGetItems(items.map((d) => keys.ticket.primary(d.ticketId)), { consistent: true })) tickets.set(item.id as string, withoutKeys<TicketItem>(item));
  const queues = new Map<string, QueueItem>();
  const queueIds = [...new Set([...tickets.values()].flatMap((t) => (t.queueId ? [t.queueId] : [])))];
  if (queueIds.length) for (const item of await batchGetItems(queueIds.map((id) => keys.queue.primary(id)))) queues.set(item.id as string, withoutKeys<QueueItem>(item));
  const people = new Set<string>();
  for (const t of tickets.values()) {
    if (t.assigneeId) people.add(t.assigneeId);
    const manager = t.queueId ? queues.get(t.queueId)?.managerId : undefined;
    if (manager) people.add(manager);
  }
  const profiles = new Map<string, UserProfile>();
  if (people.size) for (const item of await batchGetItems([...people].map((id) => keys.user.profile(id)))) profiles.set(item.userId as string, item as unknown as UserProfile);
  return { tickets, queues, profiles };
}

/** Who hears of a level: warnings go to the assignee (else the manager), breaches to both. */
export function recipientsOf(level: LevelName, assigneeId: string | undefined, managerId: string | undefined): string[] {
  const list = level.endsWith('.warning') ? [assigneeId ?? managerId] : [assigneeId, managerId];
  return [...new Set(list.filter((id): id is string => !!id))];
}

const CLOCK_NAMES = { firstResponse: 'first response', resolution: 'resolution' } as const;

function describe(ticket: TicketItem, level: LevelName, timeZone: string, appBaseUrl: string) {
  const [clock, kind] = level.split('.') as [keyof typeof CLOCK_NAMES, 'warning' | 'breach'];
  const due = ticket.sla[clock].dueAt;
  const when = due ? formatLocalTime(due, timeZone) : 'now';
  const link = `${appBaseUrl.replace(/\/+$/, '')}/tickets/${ticket.id}`;
  const title = kind === 'warning' ? `SLA warning: ${ticket.subject}` : `SLA breached: ${ticket.subject}`;
  const summary = kind === 'warning' ? `The ${CLOCK_NAMES[clock]} deadline is ${when}` : `The ${CLOCK_NAMES[clock]} deadline passed at ${when}`;
  return { title, summary, link, type: kind === 'warning' ? 'ticket.sla_warning' : 'ticket.sla_breach' };
}

export async function runSla(now: Date, options: { budget: Budget; onItemError: (id: string, error: unknown) => void }): Promise<SlaRunResult> {
  const cfg = config();
  const counts = { escalated: 0, warnings: 0, breaches: 0, notified: 0, emailed: 0, emailFailed: 0, lost: 0, skipped: 0 };
  const result = await workThroughPages<Due, Context, 'escalated' | 'lost' | 'skipped'>({
    budget: options.budget,
    query: (startKey, limit) => queryDue(now, startKey, limit),
    load: loadContext,
    onError: (item, error) => options.onItemError(item.ticketId, error),
    handle: async (due, ctx) => {
      const ticket = ctx.tickets.get(due.ticketId);
      const levels = ticket ? dueLevels(ticket.sla, now) : [];
      if (!ticket || levels.length === 0) {
        counts.skipped += 1;
        return 'skipped';
      }
      const managerId = ticket.queueId ? ctx.queues.get(ticket.queueId)?.managerId : undefined;
      let sla = ticket.sla;
      const notifications: NotificationItem[] = [];
      const emails: { to: string; subject: string; text: string; html: string }[] = [];
      let breaches = 0;
      for (const level of levels) {
        const people = recipientsOf(level, ticket.assigneeId, managerId);
        const before = sla.breaches;
        sla = recordEscalation(sla, level, now, people);
        breaches += sla.breaches - before;
        const message = describe(ticket, level, cfg.businessTimeZone, cfg.appBaseUrl);
        for (const userId of people) {
          notifications.push({ id: newId('ntf'), userId, type: message.type, title: message.title, body: message.summary, link: message.link, createdAt: now.toISOString() });
          const address = ctx.profiles.get(userId)?.email;
          if (address) {
            emails.push({
              to: address,
              subject: message.title,
              text: `${message.title}\n${message.summary}\nPriority: ${ticket.priority}\n\nOpen the ticket: ${message.link}`,
              html: `<h2>${escapeHtml(message.title)}</h2>\n<p>${escapeHtml(message.summary)}<br>Priority: ${escapeHtml(ticket.priority)}</p>\n<p><a href="${escapeHtml(message.link)}">Open the ticket</a></p>`,
            });
          }
        }
      }
      const next: TicketItem = { ...ticket, sla, rev: ticket.rev + 1 };
      const tx = new Transaction();
      tx.put('ticket', ticketStored(next), { expression: 'rev = :rev', values: { ':rev': ticket.rev } });
      tx.put('deadline', deadlineStored(next));
      notifications.forEach((n, i) => tx.put(`notification:${i}`, notificationStored(n), { expression: 'attribute_not_exists(pk)' }));
      if (breaches > 0) addCounters(tx, 'counter', { at: now.toISOString(), queueId: ticket.queueId, priority: ticket.priority, add: { breaches } }, cfg.businessTimeZone);
      addTicketReportUpdates(tx, ticket, next, cfg.businessTimeZone);
      try {
        await tx.commit();
      } catch (err) {
        if (err instanceof ConditionsFailed && err.labels.includes('ticket')) {
          counts.lost += 1;
          return 'lost';
        }
        throw err;
      }
      counts.escalated += 1;
      counts.warnings += levels.filter((l) => l.endsWith('.warning')).length;
      counts.breaches += levels.filter((l) => l.endsWith('.breach')).length;
      counts.notified += notifications.length;
      for (const email of emails) {
        try {
          await sendEmail(email);
          counts.emailed += 1;
        } catch {
          counts.emailFailed += 1;
        }
      }
      return 'escalated';
    },
  });
  return { due: result.due, processed: result.processed, failed: result.failed, more: result.more, ...counts };
}
