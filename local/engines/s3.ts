/**
 * Local S3: s3rver storing objects under a directory, with the exports bucket created at start.
 * Clients must use path-style URLs (`forcePathStyle: true`; handlers read S3_FORCE_PATH_STYLE)
 * and the `S3RVER` dummy credentials (local/env.ts).
 */
import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';

export interface LocalS3 {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export async function startS3(options: { port?: number; host?: string; directory: string; buckets: string[] }): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const instance = new S3rver({
    address: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const { port } = await instance.run();
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => instance.close() };
}
