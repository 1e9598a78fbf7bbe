/**
 * The jobs' business metrics as CloudWatch would receive them: one Embedded Metric Format line per
 * job run on stdout, namespace CRM, dimensions service + job. The local runtime switches EMF off
 * (POWERTOOLS_METRICS_DISABLED=true in local/env.ts); this file switches it back on and reads
 * stdout, and also checks that with the local setting nothing is printed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack';

let crm: TestStack;
let jobs: typeof import('../../functions/jobs/handler');

const MIN = 60_000;
const t0 = Math.ceil((Date.now() + 3 * 86_400_000) / 3_600_000) * 3_600_000;
const iso = (t: number) => new Date(t).toISOString();

beforeAll(async () => {
  crm = await startTestStack({ ses: true });
});
afterAll(async () => {
  await crm?.stop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `fn` and returns the EMF documents written to stdout meanwhile. */
async function emfDuring(fn: () => Promise<unknown>): Promise<any[]> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: any, ...rest: any[]) => {
    lines.push(String(chunk));
    return (write as any)(chunk, ...rest);
  }) as any);
  await fn();
  vi.restoreAllMocks();
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
}

describe('job metrics (EMF)', () => {
  it('prints nothing with the local runtime\'s setting', async () => {
    expect(process.env.POWERTOOLS_METRICS_DISABLED).toBe('true');
    jobs = await import('../../functions/jobs/handler');
    expect(await emfDuring(() => jobs.handler({ job: 'heartbeat', time: iso(t0) }))).toEqual([]);
  });

  it('reports one line per run: reminders due, emailed, oldest age, duration and success, under service and job', async () => {
    // Powertools reads the setting when the metrics object is created (on first use, per container).
    vi.resetModules();
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    jobs = await import('../../functions/jobs/handler');
    const user = `metrics-${Date.now().toString(36)}`;
    for (let i = 0; i < 3; i++) {
      const res = await crm.request('POST', '/v1/tasks', { role: 'sales', userId: user, body: { title: `Metrics ${i}`, reminders: [{ at: iso(t0 + i * MIN) }] } });
      expect(res.status).toBe(201);
    }
    const docs = await emfDuring(() => jobs.handler({ job: 'reminders', time: iso(t0 + 5 * MIN) }));
    expect(docs).toHaveLength(1);
    const [doc] = docs;
    expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe('CRM');
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'job']]);
    expect(doc).toMatchObject({
      service: 'crm-jobs', job: 'reminders',
      RemindersDue: 3, RemindersDelivered: 3, RemindersEmailed: 3,
      OldestDueReminderAgeSeconds: 300, JobSucceeded: 1, ItemsProcessed: 3,
    });
    expect(doc.JobDurationMs).toBeGreaterThan(0);
    // Zeros are left out (each metric is billed per hour it receives data).
    for (const zero of ['RemindersGaveUp', 'RemindersRequeued', 'RemindersFailed', 'JobMore']) expect(doc[zero], zero).toBeUndefined();

    // An idle run reports only that it succeeded.
    const idle = await emfDuring(() => jobs.handler({ job: 'reminders', time: iso(t0 + 6 * MIN) }));
    expect(idle).toHaveLength(1);
    expect(idle[0]._aws.CloudWatchMetrics[0].Metrics.map((m: any) => m.Name)).toEqual(['JobSucceeded']);
    const units = Object.fromEntries(doc._aws.CloudWatchMetrics[0].Metrics.map((m: any) => [m.Name, m.Unit]));
    expect(units).toMatchObject({ JobDurationMs: 'Milliseconds', OldestDueReminderAgeSeconds: 'Seconds', RemindersEmailed: 'Count' });

    // A failed run reports JobFailed, not JobSucceeded (the heartbeat alarm watches the latter).
    const ok = await emfDuring(() => jobs.handler({ job: 'heartbeat', time: iso(t0 + 10 * MIN) }));
    expect(ok).toMatchObject([{ job: 'heartbeat', JobSucceeded: 1 }]);
    const client = (await import('../../functions/data/client')).ddb();
    const failing = await emfDuring(async () => {
      // The one mock: DynamoDB failing the heartbeat's write.
      vi.spyOn(client, 'send').mockRejectedValue(Object.assign(new Error('injected'), { name: 'InternalServerError' }));
      await expect(jobs.handler({ job: 'heartbeat', time: iso(t0 + 15 * MIN) })).rejects.toThrow('injected');
    });
    expect(failing).toHaveLength(1);
    expect(failing[0]).toMatchObject({ job: 'heartbeat', JobFailed: 1 });
    expect(failing[0].JobSucceeded).toBeUndefined();
  });
});
