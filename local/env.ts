/**
 * The environment the handler modules see locally: the same variables CDK sets on each function
 * (functions/config.ts) plus the AWS SDK's per-service endpoint variables pointing at the local
 * engines. Set it before importing any handler module.
 */
export const LOCAL_REGION = 'us-east-1';

/**
 * Dummy credentials. `S3RVER` is the one key pair s3rver accepts; DynamoDB Local (letters and
 * digits only) and the local SES accept anything, so one pair serves every engine.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export const LOCAL_EXPORTS_BUCKET = 'crm-exports-local';
/** Files of ticket messages (functions/service-desk/attachment-storage.ts). */
export const LOCAL_ATTACHMENTS_BUCKET = 'crm-attachments-local';
/** Received mail (`inbound/`) and quarantined mail (`quarantine/`): the local stand-in of the SES receipt rule's bucket. */
export const LOCAL_INBOUND_BUCKET = 'crm-inbound-local';
/** The support address locally (SUPPORT_EMAIL): mail from it is our own and never opens a ticket. */
export const LOCAL_SUPPORT_EMAIL = 'support@example.com';
/** Where the local stream poller keeps batches the events publisher gave up on (Lambda's S3 on-failure destination). */
export const LOCAL_FAILED_EVENTS_BUCKET = 'crm-failed-events-local';

export interface LocalEndpoints {
  dynamodb: string;
  /** Local SES (SESv2 API); omitted = no SES endpoint configured. */
  ses?: string;
  s3?: string;
  /** The EventBridge stand-in (local/engines/events.ts). */
  events?: string;
  /** The SMS sink (local/engines/sms.ts), standing in for AWS End User Messaging SMS. */
  sms?: string;
}

export interface HandlerEnvironmentOptions {
  tableName: string;
  endpoints: LocalEndpoints;
  stage?: string;
  cursorSecret: string;
  /** The key before the last rotation (CURSOR_SECRET_PREVIOUS): cursors it signed still verify. */
  cursorSecretPrevious?: string;
  eventBusName?: string;
  exportsBucket?: string;
  logLevel?: string;
  /** Where links in emails point (APP_BASE_URL). */
  appBaseUrl?: string;
  /** From address of outgoing mail (SENDER_EMAIL); omitted = the handlers' own default. */
  senderEmail?: string;
}

/** The variables to set; values are strings so the result can also go to a child process. */
export function handlerEnvironment(options: HandlerEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = {
    TABLE_NAME: options.tableName,
    STAGE: options.stage ?? 'local',
    CURSOR_SECRET: options.cursorSecret,
    EVENT_BUS_NAME: options.eventBusName ?? 'crm-local',
    EXPORTS_BUCKET: options.exportsBucket ?? LOCAL_EXPORTS_BUCKET,
    ATTACHMENTS_BUCKET: LOCAL_ATTACHMENTS_BUCKET,
    INBOUND_BUCKET: LOCAL_INBOUND_BUCKET,
    SUPPORT_EMAIL: process.env.SUPPORT_EMAIL || LOCAL_SUPPORT_EMAIL,
    S3_FORCE_PATH_STYLE: 'true',
    LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL ?? 'INFO',
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: options.endpoints.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: options.endpoints.dynamodb,
    // The deployed runtime is Node.js 24; locally Node 20 is supported and the SDK's notice is
    // noise (local/sdk-warning.ts turns it off before the first client; `false` shows it).
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED || 'true',
    // The local engines are far slower than the services; the SDK clients' timeouts
    // (functions/aws/client-options.ts) stretch by this factor so a busy machine is not an outage.
    SDK_TIMEOUT_SCALE: '10',
    // Powertools Metrics (EMF) only means something in CloudWatch; locally it would be log noise.
    POWERTOOLS_METRICS_DISABLED: 'true',
    // The local SES has no account to ask (GetAccount answers 400): send at this rate, as fast as a
    // typical production account allows, so the job's rate limiter runs the same path as in AWS.
    SES_MAX_SEND_RATE: process.env.SES_MAX_SEND_RATE || '50',
    // Never let a developer's ~/.aws profile redirect a local run to a real account.
    AWS_PROFILE: '',
    AWS_SESSION_TOKEN: '',
  };
  if (options.appBaseUrl) env.APP_BASE_URL = options.appBaseUrl;
  if (options.cursorSecretPrevious) env.CURSOR_SECRET_PREVIOUS = options.cursorSecretPrevious;
  if (options.senderEmail) env.SENDER_EMAIL = options.senderEmail;
  if (options.endpoints.ses) env.AWS_ENDPOINT_URL_SESV2 = env.AWS_ENDPOINT_URL_SES = options.endpoints.ses;
  if (options.endpoints.s3) env.AWS_ENDPOINT_URL_S3 = options.endpoints.s3;
  if (options.endpoints.events) env.AWS_ENDPOINT_URL_EVENTBRIDGE = options.endpoints.events;
  if (options.endpoints.sms) {
    // The real SDK client talks to the sink; a made-up number stands in for the origination identity.
    env.AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 = options.endpoints.sms;
    env.SMS_ORIGINATION_IDENTITY = process.env.SMS_ORIGINATION_IDENTITY || '+15555550100';
    env.SMS_MAX_SEND_RATE = process.env.SMS_MAX_SEND_RATE || '20';
  }
  return env;
}

/** Applies the environment to this process (handlers run in-process locally). */
export function applyEnvironment(env: Record<string, string>): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === '') delete process.env[name];
    else process.env[name] = value;
  }
}
