/** Drives an on-demand export to its end in a test: the worker's stream mapping, drained until the export stops running. */
import type { Role } from '../../functions/security/permissions';
import type { StreamPoller } from '../../local/stream-poller';
import type { TestStack } from './stack';

/** Runs the worker's mapping until the export is no longer queued or running; its final view, read as `role`. */
export async function finishExport(crm: TestStack, worker: StreamPoller, id: string, role: Role = 'admin') {
  for (let i = 0; i < 200; i++) {
    await worker.drain();
    const res = await crm.request('GET', `/v1/exports/${id}`, { role });
    if (res.body.state !== 'queued' && res.body.state !== 'running') return res.body;
  }
  throw new Error(`export ${id} did not finish`);
}
