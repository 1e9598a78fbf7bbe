/**
 * Where ticket attachments live and how clients reach them: a private bucket (no public access,
 * TLS only, S3-managed encryption; lib/constructs/attachments-bucket.ts), objects
 * `tickets/<ticketId>/<attachmentId>` — ids only, never the file name, so keys and access logs
 * hold no personal data.
 *
 * Uploads are presigned PUTs that sign `content-type` and `content-length`: S3 refuses an upload
 * whose type or length differs from what the API accepted (the size and type limits are enforced
 * by the signature, not by trust). Downloads are presigned GETs (`PRESIGN_GET_SECONDS`) that force
 * `Content-Disposition: attachment` and the declared type, so a browser never renders a file in
 * the API's origin. Before presigning a download the API checks the stored object (HeadObject)
 * against the declared length and type — the second line, and the only one locally: the local S3
 * (s3rver) does not verify signed headers.
 *
 * The SDK's default checksums are off for presigning (`requestChecksumCalculation: WHEN_REQUIRED`):
 * with them the URL would carry the checksum of an empty body and every real upload would fail.
 */
// This module is only loaded by import() (attachments.ts), so it takes the S3 SDK subset statically
// (functions/aws/sdk.ts: by file, not through the package index).
import { HeadObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, getSignedUrl } from '../aws/s3-sdk';
import { clientOptions } from '../aws/client-options';
import { config } from '../config';

/** Lifetime of an upload URL. */
export const PRESIGN_PUT_SECONDS = 900;
/** Lifetime of a download URL: long enough to start it, short enough that a leaked link dies soon. */
export const PRESIGN_GET_SECONDS = 300;

export const objectKey = (ticketId: string, attachmentId: string) => `tickets/${ticketId}/${attachmentId}`;

/** CDK sets ATTACHMENTS_BUCKET_NAME; the local runtime ATTACHMENTS_BUCKET. */
export function attachmentsBucket(): string {
  const bucket = process.env.ATTACHMENTS_BUCKET_NAME || process.env.ATTACHMENTS_BUCKET;
  if (!bucket) throw new Error('Configuration error: ATTACHMENTS_BUCKET_NAME is not set');
  return bucket;
}

let s3: S3Client | undefined;
const client = () => (s3 ??= new S3Client({ ...clientOptions('s3'), forcePathStyle: config().s3ForcePathStyle, requestChecksumCalculation: 'WHEN_REQUIRED' }));

export async function presignUpload(key: string, contentType: string, size: number): Promise<{ url: string; headers: Record<string, string> }> {
  const url = await getSignedUrl(client(), new PutObjectCommand({ Bucket: attachmentsBucket(), Key: key, ContentType: contentType, ContentLength: size }), {
    expiresIn: PRESIGN_PUT_SECONDS,
    signableHeaders: new Set(['content-type', 'content-length']),
  });
  return { url, headers: { 'content-type': contentType, 'content-length': String(size) } };
}

/** The stored object's length and type, or undefined when nothing was uploaded yet. */
export async function storedObject(key: string): Promise<{ size: number; contentType?: string } | undefined> {
  try {
    const out = await client().send(new HeadObjectCommand({ Bucket: attachmentsBucket(), Key: key }));
    return { size: out.ContentLength ?? 0, contentType: out.ContentType };
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'NotFound' || name === 'NoSuchKey' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}

/** `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>` (RFC 6266 / 8187). */
export function contentDisposition(fileName: string): string {
  const fallback = fileName.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').replace(/["\\]/g, '_').trim() || 'attachment';
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export async function presignDownload(key: string, fileName: string, contentType: string): Promise<string> {
  return getSignedUrl(client(), new GetObjectCommand({
    Bucket: attachmentsBucket(),
    Key: key,
    ResponseContentDisposition: contentDisposition(fileName),
    ResponseContentType: contentType,
  }), { expiresIn: PRESIGN_GET_SECONDS });
}
