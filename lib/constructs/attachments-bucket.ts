import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Bucket, HttpMethods } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { protectedBucket } from './exports-bucket';

/**
 * Files attached to ticket messages (functions/service-desk/attachments.ts). Private like every
 * CRM bucket (no public access, TLS only, S3-managed encryption, ACLs disabled, generated name);
 * clients reach objects only through presigned URLs the service-desk function signs. Versioned,
 * so an overwritten file can be recovered; old versions expire. CORS allows the configured web
 * origins to PUT an upload and GET a download directly. Server access logs go to the exports
 * bucket's log bucket.
 */
export class AttachmentsBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy; serverAccessLogs: Bucket; corsOrigins: string[] }) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...protectedBucket(props.removalPolicy),
      versioned: true,
      serverAccessLogsBucket: props.serverAccessLogs,
      serverAccessLogsPrefix: 'attachments/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      cors: [{
        allowedOrigins: props.corsOrigins,
        allowedMethods: [HttpMethods.PUT, HttpMethods.GET],
        allowedHeaders: ['content-type', 'content-length'],
        maxAge: 3600,
      }],
    });
  }
}
