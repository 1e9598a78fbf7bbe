// Temporary A/B probe (removed after measuring): CPU of a stack's start and 200 requests.
import { writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
const c0 = process.cpuUsage();
const { startTestStack } = await import('../support/stack');
const c1 = process.cpuUsage(c0);
it('a/b', async () => {
  const c2 = process.cpuUsage();
  const crm = await startTestStack();
  const c3 = process.cpuUsage(c2);
  const c4 = process.cpuUsage();
  for (let i = 0; i < 200; i++) expect((await crm.request('GET', '/v1/customers?limit=1', { role: (['admin', 'sales', 'manager'] as const)[i % 3] })).status).toBe(200);
  const c5 = process.cpuUsage(c4);
  await crm.stop();
  const ms = (u: NodeJS.CpuUsage) => ((u.user + u.system) / 1000).toFixed(0);
  writeFileSync('/tmp/perf/ab-new.txt', `import ${ms(c1)} ms, start ${ms(c3)} ms, 200 requests ${ms(c5)} ms\n`, { flag: 'a' });
}, 300_000);
