/**
 * Local SES: `aws-ses-v2-local` in this process. It serves the SES v1 and v2 APIs, an inbox
 * viewer at its root URL and the sent mail as JSON at `GET /store`. Mail is kept in memory only
 * (the library's store), so the inbox is empty after a restart.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as sesModule from 'aws-ses-v2-local';

export interface LocalSes {
  endpoint: string;
  port: number;
  /** The inbox viewer. */
  inboxUrl: string;
  /** Sent emails as the library stores them (`GET /store`). */
  sentEmails(): Promise<unknown[]>;
  stop(): Promise<void>;
}

/** A CommonJS module: Node's ESM loader puts its exports under `default`, bundlers do not. */
const sesServer = ((sesModule as unknown as { default: { default?: typeof sesModule.default } }).default?.default ?? sesModule.default) as typeof sesModule.default;

export async function startSes(options: { port?: number; host?: string } = {}): Promise<LocalSes> {
  const server: Server = await sesServer({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  if (!server.listening) await new Promise<void>((done, fail) => { server.once('listening', () => done()); server.once('error', fail); });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    inboxUrl: `${endpoint}/`,
    async sentEmails() {
      const response = await fetch(`${endpoint}/store`);
      const store = (await response.json()) as { emails?: unknown[] };
      return store.emails ?? [];
    },
    stop: () => new Promise<void>((done) => { server.close(() => done()); server.closeAllConnections(); }),
  };
}
