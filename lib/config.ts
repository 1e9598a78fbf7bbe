/**
 * Deployment configuration, read from CDK context (`cdk.json` or `-c key=value`) once, validated,
 * with defaults that suit a personal `dev` stage. Everything that differs between stages or
 * accounts lives here; nothing else in lib/ reads context.
 *
 *   npx cdk deploy -c stage=prod -c senderEmail=crm@example.com \
 *     -c corsOrigins=https://crm.example.com -c deletionProtection=true
 */
import { CORS_DEFAULT_ORIGINS } from '../functions/api/cors';
import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

export interface CrmConfig {
  /** Stage name; part of the stack id (`Crm-<stage>`), so stages coexist in one account. */
  stage: string;
  /** From-address of notification and campaign email (an SES-verified identity). */
  senderEmail: string;
  /**
   * The From identities campaigns may name as their own sender (`sender.email`): lower-cased
   * domains (any address at them) or single addresses, each a verified SES identity. Default:
   * senderEmail's domain. Context `senderIdentities` (comma-separated); docs/marketing.md.
   */
  senderIdentities: string[];
  /** Browser origins allowed by CORS. */
  corsOrigins: string[];
  logRetentionDays: RetentionDays;
  /** DynamoDB and Cognito deletion protection. */
  deletionProtection: boolean;
  /** What happens to stateful resources (table, buckets, user pool, logs) on stack deletion. */
  removalPolicy: RemovalPolicy;
  /** Stage-wide steady-state requests per second and burst. */
  throttleRateLimit: number;
  throttleBurstLimit: number;
  /** Requests per minute of an API key without a limit of its own (functions/apikeys/rate-policy.ts). */
  apiKeyRateLimitPerMinute: number;
  /** `required` (TOTP for every user) or `optional`. */
  mfa: 'required' | 'optional';
  /** LOG_LEVEL of every function. */
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** IANA time zone in which "today", due dates and anniversaries are computed. */
  businessTimeZone: string;
  /** Base URL of the web app; links in emails point there. */
  appBaseUrl: string;
  /** Email address subscribed to the alarm topic (optional; subscribe anything to the topic later). */
  alarmEmail: string | undefined;
  /**
   * ARN of the AWS End User Messaging SMS origination identity (phone number, sender id or pool)
   * campaign SMS go out from; unset = no SMS (SMS recipients fail, nothing is sent or granted).
   */
  smsOriginationIdentity: string | undefined;
  /** Whether the analytics stack (lake workflow, Glue catalog, Athena workgroups) is deployed. */
  analytics: boolean;
  /** When the lake is refreshed (`rate(…)` or `cron(…)` in the business time zone). */
  analyticsSchedule: string;
  /** Athena cancels a query that would scan more than this many GB (analysts' and the workflow's). */
  athenaScanLimitGb: number;
  /**
   * Opt-in: a second, restricted lake database with personal data in clear, its own workgroup and
   * an IAM managed policy on a restricted-analyst group (default off: the lake is masked only).
   */
  analyticsRestricted: boolean;
  /** Whether the monitoring stack (alarms, dashboard, alarm topic) is deployed; default: not on `dev` (≈ $14 a month a stage; docs/costs.md). */
  monitoring: boolean;
  /** Cognito threat protection (Plus feature plan, billed per monthly active user; zero when idle). */
  threatProtection: boolean;
  /** Cognito sends its own emails (invitations, codes) through SES from senderEmail. */
  cognitoEmailThroughSes: boolean;
  /** Create the SES email identity for senderEmail's domain (with Easy DKIM) and a configuration set. */
  createSesIdentity: boolean;
  /**
   * Custom domain for SES open and click tracking links of campaign email (the configuration set's
   * custom redirect domain; a CNAME to SES's tracking endpoint, docs/marketing.md). Default: SES's
   * own tracking domain.
   */
  sesTrackingDomain?: string;
  /** Reserved concurrency of the jobs function, bounding overlapping runs (0 = none reserved). */
  jobsReservedConcurrency: number;
  /**
   * Sign-in domain of the user pool (docs/auth.md): an explicit Cognito prefix, or a custom domain
   * with its ACM certificate (us-east-1). Neither: `crm-<stage>-<stack uuid>`.
   */
  authDomainPrefix: string | undefined;
  authCustomDomain: string | undefined;
  authCertificateArn: string | undefined;
  /** The web client's OAuth callback and logout URLs (app client); none = the app client uses SRP only. */
  oauthCallbackUrls: string[];
  oauthLogoutUrls: string[];
  /** Base URL of problem `type` URIs (ends in `/problems/`); default: the deployed API's own. */
  problemBaseUrl: string | undefined;
  /**
   * Inbound email (docs/service.md): the support address (`support@help.example.com`) or a whole
   * domain (`help.example.com`) whose mail SES receives and turns into tickets. Unset (the
   * default): no receipt rule; the inbound bucket and function exist but receive nothing.
   */
  supportEmail: string | undefined;
}

/** Settings a non-dev stage must set explicitly: their defaults only suit a laptop. */
export const REQUIRED_OUTSIDE_DEV = ['senderEmail', 'corsOrigins', 'appBaseUrl'] as const;

const REMOVAL_POLICIES: Record<string, RemovalPolicy> = {
  retain: RemovalPolicy.RETAIN,
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
};

const VALID_RETENTION = new Set<number>(
  Object.values(RetentionDays).filter((value): value is number => typeof value === 'number'),
);

/** Reads and validates the configuration; throws a message naming the bad context key. */
export function readConfig(node: Node): CrmConfig {
  const get = (key: string): unknown => node.tryGetContext(key);

  const stage = asString('stage', get('stage'), 'dev');
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    fail('stage', 'lower-case letters, digits and dashes, starting with a letter, at most 20 characters');
  }
  // A throw-away dev stage is easy to tear down; every other stage keeps its data by default.
  const isDev = stage === 'dev';
  if (!isDev) {
    const missing = REQUIRED_OUTSIDE_DEV.filter((key) => {
      const value = get(key);
      return value === undefined || value === null || value === '';
    });
    if (missing.length > 0) {
      throw new Error(
        `Stage "${stage}" needs ${missing.map((key) => `"${key}"`).join(', ')} set explicitly (placeholders only suit the dev stage), `
        + `e.g. ${missing.map((key) => `-c ${key}=${REQUIRED_EXAMPLES[key]}`).join(' ')}`,
      );
    }
  }

  const senderEmail = asString('senderEmail', get('senderEmail'), 'crm@example.com');
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(senderEmail)) fail('senderEmail', 'an email address');
  const senderIdentities = asList('senderIdentities', get('senderIdentities'), [senderEmail.slice(senderEmail.indexOf('@') + 1)]).map((i) => i.toLowerCase());
  for (const identity of senderIdentities) {
    if (!/^([^@\s,*]+@)?[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(identity)) fail('senderIdentities', `domains or email addresses, comma-separated (got "${identity}")`);
  }

  const corsOrigins = asList('corsOrigins', get('corsOrigins'), CORS_DEFAULT_ORIGINS);
  for (const origin of corsOrigins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) fail('corsOrigins', `origins like https://crm.example.com (got "${origin}")`);
  }

  const logRetentionDays = asNumber('logRetentionDays', get('logRetentionDays'), 30);
  if (!VALID_RETENTION.has(logRetentionDays)) fail('logRetentionDays', `one of ${[...VALID_RETENTION].join(', ')}`);

  const removalPolicyName = asString('removalPolicy', get('removalPolicy'), isDev ? 'destroy' : 'retain');
  const removalPolicy = REMOVAL_POLICIES[removalPolicyName];
  if (removalPolicy === undefined) fail('removalPolicy', Object.keys(REMOVAL_POLICIES).join(' | '));

  const throttleRateLimit = asNumber('throttleRateLimit', get('throttleRateLimit'), 50);
  const throttleBurstLimit = asNumber('throttleBurstLimit', get('throttleBurstLimit'), 100);
  if (throttleRateLimit <= 0) fail('throttleRateLimit', 'a positive number');
  if (!Number.isInteger(throttleBurstLimit) || throttleBurstLimit <= 0) fail('throttleBurstLimit', 'a positive integer');
  const apiKeyRateLimitPerMinute = asNumber('apiKeyRateLimitPerMinute', get('apiKeyRateLimitPerMinute'), 600);
  if (!Number.isInteger(apiKeyRateLimitPerMinute) || apiKeyRateLimitPerMinute <= 0) fail('apiKeyRateLimitPerMinute', 'a positive integer');

  const mfa = asString('mfa', get('mfa'), 'required');
  if (mfa !== 'required' && mfa !== 'optional') fail('mfa', 'required | optional');

  const logLevel = asString('logLevel', get('logLevel'), 'INFO').toUpperCase();
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel)) fail('logLevel', 'DEBUG | INFO | WARN | ERROR');

  const businessTimeZone = asString('businessTimeZone', get('businessTimeZone'), 'UTC');
  try {
    new Intl.DateTimeFormat('en', { timeZone: businessTimeZone });
  } catch {
    fail('businessTimeZone', 'an IANA time zone such as Europe/Berlin');
  }
  const appBaseUrl = asString('appBaseUrl', get('appBaseUrl'), 'http://localhost:5173');
  if (!/^https?:\/\/[^\s]+$/.test(appBaseUrl)) fail('appBaseUrl', 'a URL such as https://crm.example.com');

  const alarmEmail = asString('alarmEmail', get('alarmEmail'), '') || undefined;
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) fail('alarmEmail', 'an email address');
  const jobsReservedConcurrency = asNumber('jobsReservedConcurrency', get('jobsReservedConcurrency'), 5);
  if (!Number.isInteger(jobsReservedConcurrency) || jobsReservedConcurrency < 0) fail('jobsReservedConcurrency', 'a whole number ≥ 0 (0 = none reserved)');

  const analyticsSchedule = asString('analyticsSchedule', get('analyticsSchedule'), 'rate(1 hour)');
  if (!/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/.test(analyticsSchedule)) fail('analyticsSchedule', 'rate(1 hour) or cron(0 * * * ? *)');
  const athenaScanLimitGb = asNumber('athenaScanLimitGb', get('athenaScanLimitGb'), 10);
  if (!(athenaScanLimitGb >= 0.01)) fail('athenaScanLimitGb', 'a number of GB ≥ 0.01');

  const authDomainPrefix = asString('authDomainPrefix', get('authDomainPrefix'), '') || undefined;
  if (authDomainPrefix !== undefined && (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(authDomainPrefix) || /aws|amazon|cognito/.test(authDomainPrefix))) {
    fail('authDomainPrefix', 'lower-case letters, digits and dashes (at most 63), without "aws", "amazon" or "cognito"');
  }
  // The default prefix carries the stage; Cognito refuses these words in a prefix.
  if (authDomainPrefix === undefined && /aws|amazon|cognito/.test(stage)) fail('authDomainPrefix', `a prefix of your own: stage "${stage}" contains a word Cognito refuses in domain prefixes`);
  const authCustomDomain = asString('authCustomDomain', get('authCustomDomain'), '') || undefined;
  const authCertificateArn = asString('authCertificateArn', get('authCertificateArn'), '') || undefined;
  if (authCustomDomain !== undefined && !/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/.test(authCustomDomain)) fail('authCustomDomain', 'a domain name such as auth.crm.example.com');
  if (authCustomDomain !== undefined && !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/.test(authCertificateArn ?? '')) {
    fail('authCertificateArn', 'the ARN of an ACM certificate in us-east-1 covering authCustomDomain');
  }
  const oauthCallbackUrls = asList('oauthCallbackUrls', get('oauthCallbackUrls'), []);
  const oauthLogoutUrls = asList('oauthLogoutUrls', get('oauthLogoutUrls'), []);
  for (const [key, urls] of [['oauthCallbackUrls', oauthCallbackUrls], ['oauthLogoutUrls', oauthLogoutUrls]] as const) {
    // Cognito accepts http only for localhost.
    for (const url of urls) if (!/^(https:\/\/[^\s#]+|http:\/\/localhost(:\d+)?(\/[^\s#]*)?)$/.test(url)) fail(key, `https URLs (http only for localhost), without a fragment (got "${url}")`);
  }
  const sesTrackingDomain = asString('sesTrackingDomain', get('sesTrackingDomain'), '') || undefined;
  if (sesTrackingDomain !== undefined && !/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/.test(sesTrackingDomain)) fail('sesTrackingDomain', 'a domain name such as track.example.com');
  const supportEmail = asString('supportEmail', get('supportEmail'), '').trim().toLowerCase() || undefined;
  if (supportEmail !== undefined && !/^([^@\s]+@)?[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(supportEmail)) fail('supportEmail', 'an email address (support@help.example.com) or a domain (help.example.com) that SES receives mail for');
  const smsOriginationIdentity = asString('smsOriginationIdentity', get('smsOriginationIdentity'), '') || undefined;
  if (smsOriginationIdentity !== undefined && !/^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|sender-id|pool)\/\S+$/.test(smsOriginationIdentity)) fail('smsOriginationIdentity', 'the ARN of an End User Messaging SMS phone number, sender id or pool');
  const problemBaseUrl = asString('problemBaseUrl', get('problemBaseUrl'), '') || undefined;
  if (problemBaseUrl !== undefined && !/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?\/problems\/$/.test(problemBaseUrl)) fail('problemBaseUrl', 'an https URL ending in /problems/ that serves this API\'s problem pages');

  return {
    stage,
    alarmEmail,
    smsOriginationIdentity,
    authDomainPrefix,
    authCustomDomain,
    authCertificateArn,
    oauthCallbackUrls,
    oauthLogoutUrls,
    problemBaseUrl,
    supportEmail,
    analytics: asBoolean('analytics', get('analytics'), true),
    analyticsSchedule,
    athenaScanLimitGb,
    analyticsRestricted: asBoolean('analyticsRestricted', get('analyticsRestricted'), false),
    monitoring: asBoolean('monitoring', get('monitoring'), !isDev),
    threatProtection: asBoolean('threatProtection', get('threatProtection'), !isDev),
    cognitoEmailThroughSes: asBoolean('cognitoEmailThroughSes', get('cognitoEmailThroughSes'), !isDev),
    createSesIdentity: asBoolean('createSesIdentity', get('createSesIdentity'), false),
    sesTrackingDomain,
    jobsReservedConcurrency,
    senderEmail,
    senderIdentities,
    businessTimeZone,
    appBaseUrl,
    corsOrigins,
    logRetentionDays: logRetentionDays as RetentionDays,
    deletionProtection: asBoolean('deletionProtection', get('deletionProtection'), !isDev),
    removalPolicy: removalPolicy!,
    throttleRateLimit,
    throttleBurstLimit,
    apiKeyRateLimitPerMinute,
    mfa: mfa as CrmConfig['mfa'],
    logLevel: logLevel as CrmConfig['logLevel'],
  };
}

const REQUIRED_EXAMPLES: Record<(typeof REQUIRED_OUTSIDE_DEV)[number], string> = {
  senderEmail: 'crm@example.com',
  corsOrigins: 'https://crm.example.com',
  appBaseUrl: 'https://crm.example.com',
};

function fail(key: string, expected: string): never {
  throw new Error(`Invalid context "${key}": expected ${expected}`);
}

function asString(key: string, value: unknown, fallback: string): string {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string') fail(key, 'a string');
  return value;
}

// `-c key=value` always arrives as a string; cdk.json may hold real JSON types.
function asNumber(key: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number)) fail(key, 'a number');
  return number;
}

function asBoolean(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  fail(key, 'true | false');
}

/** A JSON array, or a comma-separated string (`-c corsOrigins=https://a.example,https://b.example`). */
function asList(key: string, value: unknown, fallback: string[]): string[] {
  if (value === undefined || value === null || value === '') return fallback;
  let list: unknown = value;
  if (typeof value === 'string') {
    list = value.trim().startsWith('[') ? JSON.parse(value) : value.split(',');
  }
  if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) fail(key, 'a list of strings');
  const items = (list as string[]).map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) fail(key, 'at least one entry');
  return items;
}
