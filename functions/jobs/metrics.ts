/**
 * Business metrics of the scheduled jobs, as CloudWatch Embedded Metric Format through Powertools
 * Metrics: one EMF line per job run with the dimensions `service` (POWERTOOLS_SERVICE_NAME, default
 * crm-jobs) and `job`, in the namespace POWERTOOLS_METRICS_NAMESPACE (default CRM).
 *
 * Locally the runtime sets POWERTOOLS_METRICS_DISABLED=true (local/env.ts): Powertools then keeps
 * stdout free of EMF blobs, and everything else here behaves the same.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export type MetricUnitName = 'Count' | 'Seconds' | 'Milliseconds';

export interface JobMetric {
  name: string;
  unit: MetricUnitName;
  value: number;
}

export interface JobRunMetrics {
  job: string;
  durationMs: number;
  succeeded: boolean;
  processed: number;
  more: boolean;
  /** Job-specific figures (reminders due, emailed, …). */
  extra: JobMetric[];
}

let metrics: Metrics | undefined;

function instance(): Metrics {
  metrics ??= new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || 'CRM',
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'crm-jobs',
  });
  return metrics;
}

/**
 * Records one job run and flushes it as one EMF line. `JobSucceeded` is 1 only for a run that
 * finished without error — its absence over a period is what the heartbeat alarm watches;
 * `JobFailed` is 1 otherwise.
 *
 * Figures that are zero are left out, and so is the duration of a successful run that processed
 * nothing: CloudWatch bills each custom metric for every hour it receives data, so an idle stage's
 * every-minute reminder run would otherwise keep ~12 metrics alive around the clock ($3.60 a month
 * for nothing; docs/costs.md). An idle run reports `JobSucceeded` alone. Alarms on these figures
 * treat missing data as not breaching, which is what a zero would have been.
 */
export function publishJobRun(run: JobRunMetrics): void {
  const m = instance();
  m.addDimension('job', run.job);
  m.addMetric(run.succeeded ? 'JobSucceeded' : 'JobFailed', MetricUnit.Count, 1);
  if (!run.succeeded || run.processed > 0 || run.more) m.addMetric('JobDurationMs', MetricUnit.Milliseconds, run.durationMs);
  if (run.processed > 0) m.addMetric('ItemsProcessed', MetricUnit.Count, run.processed);
  if (run.more) m.addMetric('JobMore', MetricUnit.Count, 1);
  for (const metric of run.extra) if (metric.value !== 0) m.addMetric(metric.name, MetricUnit[metric.unit], metric.value);
  m.publishStoredMetrics();
}
