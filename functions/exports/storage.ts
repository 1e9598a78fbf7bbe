/**
 * Where export files live, the stream filter that starts the worker, and presigned download URLs.
 *
 * Files: `exports/<exportId>/<entity>/part-<nnnnn>.<csv|parquet>` in the exports bucket — a key
 * fixed by the part, so a repeated step overwrites rather than duplicates (functions/exports/
 * worker.ts). The API function may read (presign) under `exports/` only, not the lake's prefixes.
 *
 * Presigning is `@aws-sdk/s3-request-presigner`'s getSignedUrl (SigV4 query signing), so a URL carries the function role's short-lived credentials and the GetObject grant of
 * that role; it works for `PRESIGN_SECONDS` or until those credentials expire, whichever is first.
 * Locally the URL points at the local S3 (s3rver), which checks the same signature.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { clientOptions } from '../aws/client-options';
import { loadS3 } from '../aws/sdk';
import { config } from '../config';
import type { ExportEntity } from '../../schemas/exports';
import { EXPORT_JOB_KIND } from './repository';

export const EXPORT_FILES_PREFIX = 'exports';
/** Lifetime of a download URL. */
export const PRESIGN_SECONDS = 3600;

export const fileKey = (exportId: string, entity: ExportEntity, part: number, format: 'csv' | 'parquet') =>
  `${EXPORT_FILES_PREFIX}/${exportId}/${entity}/part-${String(part).padStart(5, '0')}.${format}`;

/** CDK sets EXPORTS_BUCKET_NAME; the local runtime EXPORTS_BUCKET. */
export function exportsBucket(): string {
  const bucket = process.env.EXPORTS_BUCKET_NAME || process.env.EXPORTS_BUCKET;
  if (!bucket) throw new Error('Configuration error: EXPORTS_BUCKET_NAME is not set');
  return bucket;
}

/**
 * Lambda event filter of the worker's stream mapping: export items that still have work
 * (inserted by the route, or advanced by a step). The local stream poller applies the same test.
 */
export const EXPORT_STREAM_FILTER = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { NewImage: { kind: { S: [EXPORT_JOB_KIND] }, state: { S: ['queued', 'running'] } } },
} as const;

export function isExportWorkRecord(record: { eventName?: string; dynamodb?: { NewImage?: Record<string, { S?: string }> } }): boolean {
  const image = record.dynamodb?.NewImage;
  return (record.eventName === 'INSERT' || record.eventName === 'MODIFY')
    && image?.kind?.S === EXPORT_JOB_KIND && (image?.state?.S === 'queued' || image?.state?.S === 'running');
}

let s3: S3Client | undefined;

/** A presigned GET URL of one object of the exports bucket (the local S3's own URL locally). */
export async function presignGet(key: string, expiresIn = PRESIGN_SECONDS): Promise<string> {
  // The S3 SDK is loaded on the first download link, not at cold start (functions/aws/sdk.ts).
  const { S3Client, GetObjectCommand, getSignedUrl } = await loadS3();
  s3 ??= new S3Client({ ...clientOptions('s3'), forcePathStyle: config().s3ForcePathStyle });
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: exportsBucket(), Key: key }), { expiresIn });
}
