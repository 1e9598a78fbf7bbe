/**
 * Types for the AWS SDK modules that functions/aws/*-sdk.ts import by their file path inside the
 * package (dist-es) rather than through the package index: the same classes, typed as the index
 * types them. See functions/aws/sdk.ts for why.
 */
declare module '@aws-sdk/client-s3/dist-es/S3Client' {
  export { S3Client } from '@aws-sdk/client-s3';
}
declare module '@aws-sdk/client-s3/dist-es/commands/GetObjectCommand' {
  export { GetObjectCommand } from '@aws-sdk/client-s3';
}
declare module '@aws-sdk/client-s3/dist-es/commands/PutObjectCommand' {
  export { PutObjectCommand } from '@aws-sdk/client-s3';
}
declare module '@aws-sdk/client-s3/dist-es/commands/HeadObjectCommand' {
  export { HeadObjectCommand } from '@aws-sdk/client-s3';
}
declare module '@aws-sdk/client-s3/dist-es/commands/CopyObjectCommand' {
  export { CopyObjectCommand } from '@aws-sdk/client-s3';
}
declare module '@aws-sdk/s3-request-presigner/dist-es/getSignedUrl' {
  export { getSignedUrl } from '@aws-sdk/s3-request-presigner';
}
declare module '@aws-sdk/client-sesv2/dist-es/SESv2Client' {
  export { SESv2Client } from '@aws-sdk/client-sesv2';
}
declare module '@aws-sdk/client-sesv2/dist-es/commands/SendEmailCommand' {
  export { SendEmailCommand } from '@aws-sdk/client-sesv2';
}
declare module '@aws-sdk/client-sesv2/dist-es/commands/GetAccountCommand' {
  export { GetAccountCommand } from '@aws-sdk/client-sesv2';
}
declare module '@aws-sdk/client-pinpoint-sms-voice-v2/dist-es/PinpointSMSVoiceV2Client' {
  export { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
}
declare module '@aws-sdk/client-pinpoint-sms-voice-v2/dist-es/commands/SendTextMessageCommand' {
  export { SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
}
declare module '@aws-sdk/client-s3/dist-es/commands/CreateMultipartUploadCommand' {
  export { CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
}
declare module '@aws-sdk/client-s3/dist-es/commands/UploadPartCommand' {
  export { UploadPartCommand } from '@aws-sdk/client-s3';
}
declare module '@aws-sdk/client-s3/dist-es/commands/CompleteMultipartUploadCommand' {
  export { CompleteMultipartUploadCommand } from '@aws-sdk/client-s3';
}
declare module '@aws-sdk/client-s3/dist-es/commands/AbortMultipartUploadCommand' {
  export { AbortMultipartUploadCommand } from '@aws-sdk/client-s3';
}
declare module '@aws-sdk/client-s3/dist-es/models/S3ServiceException' {
  export { S3ServiceException } from '@aws-sdk/client-s3';
}
