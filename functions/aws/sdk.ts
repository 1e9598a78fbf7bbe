/**
 * AWS SDK clients other than DynamoDB's, loaded on first use. A function that sends email, SMS or
 * S3 requests on some paths only — or not during init — would otherwise evaluate the whole client
 * (its command schemas, endpoint rules and middleware) at every cold start; the S3 client with the
 * presigner alone adds ≈ 0.2–0.35 to the startup-CPU ratio of the cold-start budget
 * (test/budget/bundles.test.ts, docs/performance.md), SES v2 ≈ 0.1.
 *
 * Two rules keep the lazy load cheap in a one-file esbuild bundle:
 * - Only these loaders import the `*-sdk.ts` modules, and only by `import()`: a static import of
 *   the same client from anywhere in the bundle would evaluate it at load again. Type imports
 *   (`import type`) from the packages are fine.
 * - The `*-sdk.ts` modules import each class by its file inside the package (`dist-es/…`), not
 *   from the package index: esbuild wraps every module reached through `import()` in a lazy
 *   initialiser, and a wrapped index's `export *` keeps every command of the service in the bundle
 *   (+60 KB for the SMS client, +25 KB for S3). functions/aws/sdk-deep-imports.d.ts types them.
 * Clients are still constructed by their users, once per container, with clientOptions().
 */
export type S3Sdk = typeof import('./s3-sdk');
export type SesV2Sdk = typeof import('./sesv2-sdk');
export type SmsSdk = typeof import('./sms-sdk');

let s3: Promise<S3Sdk> | undefined;
let sesv2: Promise<SesV2Sdk> | undefined;
let sms: Promise<SmsSdk> | undefined;

/** The S3 client class, commands and presigner (functions/aws/s3-sdk.ts). */
export function loadS3(): Promise<S3Sdk> {
  s3 ??= import('./s3-sdk');
  s3.catch(() => { s3 = undefined; });
  return s3;
}

/** The SES v2 client class and commands (functions/aws/sesv2-sdk.ts). */
export function loadSesV2(): Promise<SesV2Sdk> {
  sesv2 ??= import('./sesv2-sdk');
  sesv2.catch(() => { sesv2 = undefined; });
  return sesv2;
}

/** The SMS client class and SendTextMessage (functions/aws/sms-sdk.ts). */
export function loadSms(): Promise<SmsSdk> {
  sms ??= import('./sms-sdk');
  sms.catch(() => { sms = undefined; });
  return sms;
}
