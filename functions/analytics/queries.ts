/**
 * The saved queries of the lake: the standard reports an analyst opens first. Each is written in
 * the SQL that Athena (Trino) and DuckDB share, so the same text is an Athena named query in AWS
 * (lib/constructs/analytics.ts) and runs against the local lake in the tests and with
 * `npm run sql`. Tables are `<table>_current` in both.
 */
export interface SavedQuery {
  name: string;
  description: string;
  sql: string;
}

export const SAVED_QUERIES: readonly SavedQuery[] = [
  {
    name: 'pipeline-by-stage',
    description: 'Open deals per pipeline and stage: count and value per currency.',
    sql: `SELECT pipeline_id, stage_id, amount_currency AS currency, count(*) AS deals, sum(amount_amount) AS amount_minor
FROM deals_current
WHERE status = 'open'
GROUP BY pipeline_id, stage_id, amount_currency
ORDER BY pipeline_id, stage_id, currency`,
  },
  {
    name: 'win-rate-by-owner',
    description: 'Closed deals per owner: won, lost and the win rate.',
    sql: `SELECT owner_id,
  sum(CASE WHEN status = 'won' THEN 1 ELSE 0 END) AS won,
  sum(CASE WHEN status = 'lost' THEN 1 ELSE 0 END) AS lost,
  round(1.0 * sum(CASE WHEN status = 'won' THEN 1 ELSE 0 END) / count(*), 3) AS win_rate
FROM deals_current
WHERE status IN ('won', 'lost')
GROUP BY owner_id
ORDER BY win_rate DESC, owner_id`,
  },
  {
    name: 'revenue-by-month-and-tier',
    description: 'Order revenue (net, minor units) per month, customer tier and currency.',
    sql: `SELECT date_trunc('month', o.ordered_at) AS month, coalesce(c.tier, '-') AS tier, o.currency, count(*) AS orders, sum(o.totals_net) AS net_minor
FROM orders_current o
LEFT JOIN customers_current c ON c.id = o.customer_id
GROUP BY date_trunc('month', o.ordered_at), coalesce(c.tier, '-'), o.currency
ORDER BY month, tier, o.currency`,
  },
  {
    name: 'customer-distribution',
    description: 'Live customers by tier and lifecycle stage.',
    sql: `SELECT coalesce(tier, '-') AS tier, coalesce(lifecycle_stage, '-') AS lifecycle_stage, count(*) AS customers
FROM customers_current
WHERE archived_at IS NULL
GROUP BY coalesce(tier, '-'), coalesce(lifecycle_stage, '-')
ORDER BY tier, lifecycle_stage`,
  },
  {
    // Not SLA compliance: the SLA clocks (business minutes, pauses, breaches) are not in the lake;
    // GET /v1/reports/service has compliance. This is calendar time from opening to resolution.
    name: 'ticket-resolution-by-priority',
    description: 'Resolved tickets per month of resolution, priority and queue: count, and average and longest calendar hours from opening to resolution (not SLA business time).',
    sql: `SELECT date_trunc('month', resolved_at) AS month, priority, coalesce(queue_id, '-') AS queue_id, count(*) AS resolved,
  round(avg(date_diff('second', created_at, resolved_at)) / 3600.0, 1) AS avg_hours,
  round(max(date_diff('second', created_at, resolved_at)) / 3600.0, 1) AS max_hours
FROM tickets_current
WHERE resolved_at IS NOT NULL
GROUP BY date_trunc('month', resolved_at), priority, coalesce(queue_id, '-')
ORDER BY month, priority, queue_id`,
  },
  {
    // Within SLA = resolved with no clock breached, as GET /v1/reports/service counts `slaMet`
    // (by the calendar month of resolution here; the report uses the business time zone's month).
    name: 'ticket-sla-compliance',
    description: 'Resolved tickets per month of resolution and priority: how many met their SLA (no clock breached), the compliance rate, and breaches by clock.',
    sql: `SELECT date_trunc('month', resolved_at) AS month, priority, count(*) AS resolved,
  sum(CASE WHEN coalesce(sla_breaches, 0) = 0 THEN 1 ELSE 0 END) AS within_sla,
  round(1.0 * sum(CASE WHEN coalesce(sla_breaches, 0) = 0 THEN 1 ELSE 0 END) / count(*), 3) AS compliance,
  sum(CASE WHEN sla_first_response_breached_at IS NOT NULL THEN 1 ELSE 0 END) AS first_response_breaches,
  sum(CASE WHEN sla_resolution_breached_at IS NOT NULL THEN 1 ELSE 0 END) AS resolution_breaches
FROM tickets_current
WHERE resolved_at IS NOT NULL
GROUP BY date_trunc('month', resolved_at), priority
ORDER BY month, priority`,
  },
  {
    name: 'ticket-backlog',
    description: 'Active tickets (new, open, pending, on hold) by status, priority and queue, with the oldest one\'s opening time.',
    sql: `SELECT status, priority, coalesce(queue_id, '-') AS queue_id, count(*) AS tickets, min(created_at) AS oldest_created_at
FROM tickets_current
WHERE status IN ('new', 'open', 'pending', 'on_hold')
GROUP BY status, priority, coalesce(queue_id, '-')
ORDER BY status, priority, queue_id`,
  },
  {
    // From the ledger, not the API's counter shards: `recipients` leaves out the addresses an
    // exclusion skipped (counted `excluded`), as the API's stats do; bounces are permanent ones.
    name: 'campaign-performance',
    description: 'Per campaign: recipients, excluded, sent, skipped, failed and pending, and the SES feedback (delivered, opened, clicked, bounced, complained, unsubscribed), from the recipient ledger.',
    sql: `SELECT c.id AS campaign_id, c.name, c.channel, c.status, c.started_at, c.completed_at,
  sum(CASE WHEN r.status IS NOT NULL AND coalesce(r.skip_reason, '-') <> 'excluded' THEN 1 ELSE 0 END) AS recipients,
  sum(CASE WHEN r.skip_reason = 'excluded' THEN 1 ELSE 0 END) AS excluded,
  sum(CASE WHEN r.status = 'sent' THEN 1 ELSE 0 END) AS sent,
  sum(CASE WHEN r.status = 'skipped' AND r.skip_reason <> 'excluded' THEN 1 ELSE 0 END) AS skipped,
  sum(CASE WHEN r.status = 'failed' THEN 1 ELSE 0 END) AS failed,
  sum(CASE WHEN r.status IN ('pending', 'claimed') THEN 1 ELSE 0 END) AS pending,
  sum(CASE WHEN r.delivered_at IS NOT NULL THEN 1 ELSE 0 END) AS delivered,
  sum(CASE WHEN r.opened_at IS NOT NULL THEN 1 ELSE 0 END) AS opened,
  sum(CASE WHEN r.clicked_at IS NOT NULL THEN 1 ELSE 0 END) AS clicked,
  sum(CASE WHEN r.bounced_at IS NOT NULL THEN 1 ELSE 0 END) AS bounced,
  sum(CASE WHEN r.complained_at IS NOT NULL THEN 1 ELSE 0 END) AS complained,
  sum(CASE WHEN r.unsubscribed_at IS NOT NULL THEN 1 ELSE 0 END) AS unsubscribed
FROM campaigns_current c
LEFT JOIN campaign_recipients_current r ON r.campaign_id = c.id
GROUP BY c.id, c.name, c.channel, c.status, c.started_at, c.completed_at
ORDER BY c.started_at DESC NULLS LAST, c.id`,
  },
];
