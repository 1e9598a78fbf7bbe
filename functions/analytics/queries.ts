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
];
