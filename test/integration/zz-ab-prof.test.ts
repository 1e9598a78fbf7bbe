// Temporary probe (removed after measuring): where a request's CPU goes.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { startTestStack } from '../support/stack';
it('prof', async () => {
  const crm = await startTestStack();
  for (let i = 0; i < 20; i++) await crm.request('GET', '/v1/customers?limit=1', { role: 'admin' });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const c = process.cpuUsage();
  for (let i = 0; i < 300; i++) expect((await crm.request('GET', '/v1/customers?limit=1', { role: (['admin', 'sales', 'manager'] as const)[i % 3] })).status).toBe(200);
  const u = process.cpuUsage(c);
  const { profile } = await session.post('Profiler.stop');
  writeFileSync('/tmp/perf/req.cpuprofile', JSON.stringify(profile));
  writeFileSync('/tmp/perf/req.txt', `300 requests ${((u.user + u.system) / 1000).toFixed(0)} ms cpu\n`);
  await crm.stop();
}, 300_000);
