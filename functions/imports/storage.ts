/**
 * Where import files live, presigned URLs, ranged reads, and the stream filter that starts the
 * worker.
 *
 * Files live in the exports bucket (private: no public access, TLS only, S3-managed encryption;
 * lib/constructs/exports-bucket.ts) under `imports/<importId>/`: `upload.csv` (what the client PUTs
 * through the presigned URL), `rejected/part-<nnnnn>.csv` (one per chunk that rejected rows; a key
 * fixed by the chunk, so a replayed chunk overwrites it) and `rejected.csv` (the assembled report).
 * Everything under `imports/` expires after IMPORT_FILES_DAYS (the bucket's lifecycle rule): an
 * upload holds personal data and is only needed while it is imported.
 *
 * Presigning is `@aws-sdk/s3-request-presigner` (SigV4 query signing), as for export downloads.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { clientOptions } from '../aws/client-options';
import { loadS3, type S3Sdk } from '../aws/sdk';
import { config } from '../config';
import { IMPORT_JOB_KIND } from './repository';

export const IMPORT_FILES_PREFIX = 'imports';
/** Lifetime of an upload or download URL. */
export const PRESIGN_SECONDS = 3600;
/** Days import files are kept (lifecycle rule of the bucket). */
export const IMPORT_FILES_DAYS = 30;

export const uploadKey = (importId: string) => `${IMPORT_FILES_PREFIX}/${importId}/upload.csv`;
export const rejectedPartKey = (importId: string, part: number) => `${IMPORT_FILES_PREFIX}/${importId}/rejected/part-${String(part).padStart(5, '0')}.csv`;
export const rejectedKey = (importId: string) => `${IMPORT_FILES_PREFIX}/${importId}/rejected.csv`;

/** CDK sets EXPORTS_BUCKET_NAME; the local runtime EXPORTS_BUCKET (the same bucket holds imports). */
export function importsBucket(): string {
  const bucket = process.env.EXPORTS_BUCKET_NAME || process.env.EXPORTS_BUCKET;
  if (!bucket) throw new Error('Configuration error: EXPORTS_BUCKET_NAME is not set');
  return bucket;
}

/**
 * Lambda event filter of the worker's stream mapping: import items that have work (queued by
 * `POST /v1/imports/{id}/start`, or advanced by a step) and are not marked as a chunk in progress.
 * The local stream poller applies the same test.
 */
export const IMPORT_STREAM_FILTER = {
  eventName: ['INSERT', 'MODIFY'],
  // A chunk's start marker (`chunkStartedAt`, functions/imports/worker.ts) is no work of its own.
  dynamodb: { NewImage: { kind: { S: [IMPORT_JOB_KIND] }, state: { S: ['queued', 'running'] }, chunkStartedAt: [{ exists: false }] } },
} as const;

export function isImportWorkRecord(record: { eventName?: string; dynamodb?: { NewImage?: Record<string, { S?: string }> } }): boolean {
  const image = record.dynamodb?.NewImage;
  return (record.eventName === 'INSERT' || record.eventName === 'MODIFY')
    && image?.kind?.S === IMPORT_JOB_KIND && (image?.state?.S === 'queued' || image?.state?.S === 'running') && image?.chunkStartedAt === undefined;
}

// The S3 SDK is loaded on first use, not at cold start (functions/aws/sdk.ts).
let s3: Promise<{ sdk: S3Sdk; client: S3Client }> | undefined;
const s3Client = () => (s3 ??= loadS3().then((sdk) => ({ sdk, client: new sdk.S3Client({ ...clientOptions('s3'), forcePathStyle: config().s3ForcePathStyle }) })));

/** A presigned PUT of the import's upload (any content type; the bytes are the file). */
export async function presignUpload(importId: string, expiresIn = PRESIGN_SECONDS): Promise<string> {
  const { sdk: { getSignedUrl, PutObjectCommand }, client } = await s3Client();
  return getSignedUrl(client, new PutObjectCommand({ Bucket: importsBucket(), Key: uploadKey(importId) }), { expiresIn });
}

export async function presignDownload(key: string, expiresIn = PRESIGN_SECONDS): Promise<string> {
  const { sdk: { getSignedUrl, GetObjectCommand }, client } = await s3Client();
  return getSignedUrl(client, new GetObjectCommand({ Bucket: importsBucket(), Key: key, ResponseContentDisposition: 'attachment; filename="rejected-rows.csv"' }), { expiresIn });
}

/** Size of an object, or undefined when there is none (not uploaded yet). */
export async function objectSize(key: string): Promise<number | undefined> {
  const { sdk: { HeadObjectCommand, S3ServiceException }, client } = await s3Client();
  try {
    const out = await client.send(new HeadObjectCommand({ Bucket: importsBucket(), Key: key }));
    return out.ContentLength ?? 0;
  } catch (error) {
    if (error instanceof S3ServiceException && (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata?.httpStatusCode === 404)) return undefined;
    throw error;
  }
}

/** The object's bytes from `start` on (to `end` inclusive when given), as a stream. */
export async function readFrom(key: string, start: number, end?: number): Promise<Readable> {
  const { sdk: { GetObjectCommand }, client } = await s3Client();
  const out = await client.send(new GetObjectCommand({ Bucket: importsBucket(), Key: key, Range: `bytes=${start}-${end ?? ''}` }));
  // In Node the SDK's body is an http.IncomingMessage: a Readable.
  if (!(out.Body instanceof Readable)) throw new Error('The S3 object body is not a Node stream');
  return out.Body;
}

export async function readText(key: string): Promise<string> {
  const { sdk: { GetObjectCommand }, client } = await s3Client();
  const out = await client.send(new GetObjectCommand({ Bucket: importsBucket(), Key: key }));
  return out.Body!.transformToString('utf-8');
}

export async function writeText(key: string, body: string): Promise<void> {
  const { sdk: { PutObjectCommand }, client } = await s3Client();
  await client.send(new PutObjectCommand({ Bucket: importsBucket(), Key: key, Body: Buffer.from(body, 'utf8'), ContentType: 'text/csv; charset=utf-8' }));
}
