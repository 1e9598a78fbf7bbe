/**
 * Runtime configuration, read from the environment once per cold start and validated, so a
 * misconfigured function fails on its first request with a clear message instead of later with
 * an obscure one. Nothing here touches the network.
 *
 * Endpoints of local engines are not configured here: the AWS SDK reads
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SESV2, AWS_ENDPOINT_URL_EVENTBRIDGE and
 * AWS_ENDPOINT_URL_S3 itself, and the local runtime sets them.
 */
export interface Config {
  stage: string;
  tableName: string;
  eventBusName: string | undefined;
  /** Locally (and in tests) the cursor secret comes in clear; in AWS, from Secrets Manager by ARN. */
  cursorSecret: string | undefined;
  cursorSecretArn: string | undefined;
  /** `true` locally: S3 clients must use path-style URLs against s3rver. */
  s3ForcePathStyle: boolean;
  logLevel: string;
  /** IANA zone in which dates (due today, anniversaries, dormancy) are computed. */
  businessTimeZone: string;
  /** Base URL of the web app, for links in emails. */
  appBaseUrl: string;
  /** Sender address of notification emails (verified in SES). */
  senderEmail: string | undefined;
  /**
   * `SENDER_IDENTITIES` (comma-separated domains or addresses, lower-cased): the From addresses a
   * campaign may use (functions/marketing/sender.ts). Empty: the domain of the sender address.
   */
  senderIdentities: string[];
}

let cached: Config | undefined;

/**
 * The business time zone alone, for pure modules that must not require the rest of the
 * configuration (e.g. the sales aggregates' month of a close time).
 */
export function businessTimeZone(): string {
  return process.env.BUSINESS_TIME_ZONE || 'UTC';
}

export function config(): Config {
  if (cached) return cached;
  const env = process.env;
  const tableName = env.TABLE_NAME;
  if (!tableName) throw new Error('Configuration error: TABLE_NAME is not set');
  cached = {
    stage: env.STAGE ?? 'local',
    tableName,
    eventBusName: env.EVENT_BUS_NAME || undefined,
    cursorSecret: env.CURSOR_SECRET || undefined,
    cursorSecretArn: env.CURSOR_SECRET_ARN || undefined,
    s3ForcePathStyle: env.S3_FORCE_PATH_STYLE === 'true',
    logLevel: env.LOG_LEVEL ?? 'INFO',
    businessTimeZone: businessTimeZone(),
    appBaseUrl: env.APP_BASE_URL || 'http://localhost:3000',
    senderEmail: env.SENDER_EMAIL || undefined,
    senderIdentities: (env.SENDER_IDENTITIES ?? '').split(',').map((i) => i.trim().toLowerCase()).filter(Boolean),
  };
  return cached;
}

/** Tests that switch tables between suites call this; production code never does. */
export function resetConfigForTests(): void {
  cached = undefined;
}
