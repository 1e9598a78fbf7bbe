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

/** The S3 event notification s3rver emits for an object written (the shape S3 sends to Lambda). */
export interface S3ObjectEvent {
  Records: { eventName: string; s3: { bucket: { name: string }; object: { key: string; size?: number } } }[];
}

export async function startS3(options: { port?: number; host?: string; directory: string; buckets: string[]; onEvent?: (event: S3ObjectEvent) => void }): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const instance = new S3rver({
    address: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  // s3rver is an event emitter: every Put/Post/Copy/Delete of an object, in S3's notification format.
  if (options.onEvent) instance.on('event', options.onEvent);
  const { port } = await instance.run();
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => instance.close() };
}
