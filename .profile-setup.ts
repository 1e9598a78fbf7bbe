import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 1000 });
await session.post('Profiler.start');
const cpu0 = process.cpuUsage();
afterAll(async () => {
  const { profile } = await session.post('Profiler.stop');
  const u = process.cpuUsage(cpu0);
  const name = (process.env.PROF_NAME ?? 'prof') + '-' + process.pid;
  writeFileSync(`/tmp/perf/prof/${name}.cpuprofile`, JSON.stringify(profile));
  writeFileSync(`/tmp/perf/prof/${name}.cpu.txt`, `user ${u.user / 1e6} sys ${u.system / 1e6}\n`);
}, 60_000);
