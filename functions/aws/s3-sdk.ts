/** The S3 client, the commands the functions send and the presigner; loaded only through functions/aws/sdk.ts. */
export { S3Client } from '@aws-sdk/client-s3/dist-es/S3Client';
export { GetObjectCommand } from '@aws-sdk/client-s3/dist-es/commands/GetObjectCommand';
export { PutObjectCommand } from '@aws-sdk/client-s3/dist-es/commands/PutObjectCommand';
export { HeadObjectCommand } from '@aws-sdk/client-s3/dist-es/commands/HeadObjectCommand';
export { CopyObjectCommand } from '@aws-sdk/client-s3/dist-es/commands/CopyObjectCommand';
export { CreateMultipartUploadCommand } from '@aws-sdk/client-s3/dist-es/commands/CreateMultipartUploadCommand';
export { UploadPartCommand } from '@aws-sdk/client-s3/dist-es/commands/UploadPartCommand';
export { CompleteMultipartUploadCommand } from '@aws-sdk/client-s3/dist-es/commands/CompleteMultipartUploadCommand';
export { AbortMultipartUploadCommand } from '@aws-sdk/client-s3/dist-es/commands/AbortMultipartUploadCommand';
export { getSignedUrl } from '@aws-sdk/s3-request-presigner/dist-es/getSignedUrl';
export { S3ServiceException } from '@aws-sdk/client-s3/dist-es/models/S3ServiceException';
