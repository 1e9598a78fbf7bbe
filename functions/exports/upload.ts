/**
 * Streams one export file into S3 while it is being written, so the worker never holds a file.
 *
 * Bytes are appended as the rows are rendered; every UPLOAD_PART_BYTES they go out as one part of a
 * multipart upload (S3's minimum part size is 5 MiB, all but the last), one part at a time, so the
 * memory of a file is at most one part plus what is being rendered. A file that ends before its
 * first part is full is sent with one PutObject instead (no multipart requests for small files).
 * `abort()` drops an unfinished upload (best effort: the exports bucket's lifecycle rule removes
 * incomplete multipart uploads after a day anyway, and the local S3 has no abort).
 *
 * The S3 client module is loaded on first use (it is not needed to start the function).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { clientOptions } from '../aws/client-options';
import { loadS3, type S3Sdk } from '../aws/sdk';
import { config } from '../config';

/** Bytes per uploaded part (S3's minimum for every part but the last is 5 MiB). */
export const UPLOAD_PART_BYTES = 5 * 1024 * 1024;

let sdk: Promise<S3Sdk> | undefined;
let client: S3Client | undefined;

async function s3() {
  // Only the client and the commands used, not the package index (functions/aws/sdk.ts).
  sdk ??= loadS3();
  const module = await sdk;
  client ??= new module.S3Client({ ...clientOptions('s3'), forcePathStyle: config().s3ForcePathStyle });
  return { module, client };
}

export interface ObjectTarget {
  bucket: string;
  key: string;
  contentType: string;
  contentDisposition: string;
}

/** What an upload cost: the bytes written and the S3 requests sent. */
export interface UploadResult { bytes: number; requests: number }

export class StreamingUpload {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private uploadId: string | undefined;
  private readonly parts: { PartNumber: number; ETag: string }[] = [];
  private requests = 0;
  /** Bytes of the whole file so far. */
  bytes = 0;
  /** The largest number of bytes held at once (for the benchmark and the tests). */
  peakBuffered = 0;

  constructor(private readonly target: ObjectTarget, private readonly partBytes = UPLOAD_PART_BYTES) {}

  /** Appends bytes (copied: the caller may reuse its buffer); sends a part when one is full. */
  async write(bytes: Uint8Array | string): Promise<void> {
    const chunk = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.bytes += chunk.length;
    this.peakBuffered = Math.max(this.peakBuffered, this.buffered);
    if (this.buffered >= this.partBytes) await this.sendPart();
  }

  private take(): Buffer {
    const body = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    return body;
  }

  private async sendPart(): Promise<void> {
    const { module, client } = await s3();
    if (!this.uploadId) {
      const created = await client.send(new module.CreateMultipartUploadCommand({
        Bucket: this.target.bucket, Key: this.target.key, ContentType: this.target.contentType, ContentDisposition: this.target.contentDisposition,
      }));
      this.requests += 1;
      if (!created.UploadId) throw new Error('S3 answered no upload id');
      this.uploadId = created.UploadId;
    }
    const PartNumber = this.parts.length + 1;
    const out = await client.send(new module.UploadPartCommand({ Bucket: this.target.bucket, Key: this.target.key, UploadId: this.uploadId, PartNumber, Body: this.take() }));
    this.requests += 1;
    this.parts.push({ PartNumber, ETag: out.ETag ?? '' });
  }

  /** Sends what is left and completes the object. */
  async finish(): Promise<UploadResult> {
    const { module, client } = await s3();
    if (!this.uploadId) {
      await client.send(new module.PutObjectCommand({
        Bucket: this.target.bucket, Key: this.target.key, Body: this.take(), ContentType: this.target.contentType, ContentDisposition: this.target.contentDisposition,
      }));
      this.requests += 1;
      return { bytes: this.bytes, requests: this.requests };
    }
    if (this.buffered > 0) await this.sendPart();
    await client.send(new module.CompleteMultipartUploadCommand({
      Bucket: this.target.bucket, Key: this.target.key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts },
    }));
    this.requests += 1;
    return { bytes: this.bytes, requests: this.requests };
  }

  /** Drops an unfinished multipart upload (best effort). */
  async abort(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    if (!this.uploadId) return;
    try {
      const { module, client } = await s3();
      await client.send(new module.AbortMultipartUploadCommand({ Bucket: this.target.bucket, Key: this.target.key, UploadId: this.uploadId }));
    } catch {
      // The bucket's lifecycle rule removes it after a day (AbortIncompleteMultipartUpload).
    }
  }
}
