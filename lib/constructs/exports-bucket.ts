import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, type BucketProps, HttpMethods, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { IMPORT_FILES_DAYS } from '../../functions/imports/storage';

/**
 * What every CRM bucket has: no public access, TLS only, S3-managed encryption, ACLs disabled,
 * the stage's removal policy — and with DESTROY (the dev default) its objects are deleted on
 * stack deletion, so `cdk destroy` of a dev stage succeeds.
 */
export function protectedBucket(removalPolicy: RemovalPolicy): BucketProps {
  return {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    encryption: BucketEncryption.S3_MANAGED,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy,
    autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
  };
}

/**
 * The bucket analysts query through Athena (partitioned Parquet exports), with a second bucket
 * receiving its server access logs. Both: no public access, TLS-only bucket policy, S3-managed
 * encryption, generated names. Exports are versioned so an overwritten export can be recovered;
 * old versions and access logs expire. With removal policy DESTROY (the dev default) the buckets
 * are emptied on stack deletion, so `cdk destroy` of a dev stage succeeds.
 */
export class ExportsBucket extends Construct {
  readonly bucket: Bucket;
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy; logRetentionDays: number; corsOrigins: string[] }) {
    super(scope, id);

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...protectedBucket(props.removalPolicy),
      lifecycleRules: [{ expiration: Duration.days(Math.max(props.logRetentionDays, 1)) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the server-access-log destination of the exports bucket; logging it into itself or a third bucket would only log the log deliveries.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      ...protectedBucket(props.removalPolicy),
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'exports/',
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) },
        // Athena query results (the lake workflow's and analysts') are transient.
        { prefix: 'athena-results/', expiration: Duration.days(7) },
        // DynamoDB's export files: applied to the lake within the hour; kept a while for replays.
        { prefix: 'lake/exports/', expiration: Duration.days(30) },
        // CSV imports (uploads hold personal data; reports are read once): functions/imports/storage.ts.
        { prefix: 'imports/', expiration: Duration.days(IMPORT_FILES_DAYS) },
      ],
      // Web clients upload CSV imports to a presigned PUT URL and fetch export files and
      // rejected-rows reports from presigned GET URLs, straight from the browser. The signature
      // is in the query string, so no Authorization header is allowed or needed.
      cors: [{
        allowedOrigins: props.corsOrigins,
        allowedMethods: [HttpMethods.PUT, HttpMethods.GET],
        allowedHeaders: ['content-type', 'content-length'],
        exposedHeaders: ['etag'],
        maxAge: 3600,
      }],
    });
  }
}

/** How long failed stream records stay for inspection and redrive. */
export const FAILED_EVENTS_RETENTION_DAYS = 90;

/**
 * The on-failure destination of the table-stream → events-publisher mapping. Lambda writes each
 * batch it gave up on here as a JSON invocation record INCLUDING the stream records (an SQS
 * destination would keep only batch metadata, useless once the stream's 24 h have passed), so
 * `npm run redrive -- --failures` can republish them weeks later. Same protections as the exports
 * bucket; objects expire after FAILED_EVENTS_RETENTION_DAYS.
 */
export class FailedEventsBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy; serverAccessLogs: Bucket }) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...protectedBucket(props.removalPolicy),
      serverAccessLogsBucket: props.serverAccessLogs,
      serverAccessLogsPrefix: 'failed-events/',
      lifecycleRules: [{ expiration: Duration.days(FAILED_EVENTS_RETENTION_DAYS) }],
    });
  }
}
