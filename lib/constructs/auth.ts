import { Aws, CfnOutput, Duration, Fn, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AccountRecovery, FeaturePlan, type IUserPool, LambdaVersion, ManagedLoginVersion, Mfa, OAuthScope, StandardThreatProtectionMode, UserPool,
  UserPoolClient, UserPoolClientIdentityProvider, UserPoolDomain, UserPoolEmail, UserPoolGroup, UserPoolOperation, type UserPoolProps,
} from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ConfigurationSet, DkimIdentity, EasyDkimSigningKeyLength, EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { STAFF_ROLES } from '../../functions/security/permissions';

export interface AuthProps {
  mfa: 'required' | 'optional';
  deletionProtection: boolean;
  removalPolicy: RemovalPolicy;
  /**
   * The pre-token-generation trigger (functions/auth/pre-token.ts), wired with event version
   * V2_0 so it can add the verified email to *access* tokens. Without it, access tokens carry no
   * email and reminders in AWS reach users in the app only.
   */
  preTokenGeneration?: IFunction;
  /**
   * Cognito threat protection: the Plus feature plan with standard threat protection enforced
   * (risky sign-ins blocked or challenged, compromised credentials detected). Off: Essentials.
   * Default false; lib/config.ts turns it on for every stage but dev.
   */
  threatProtection?: boolean;
  /**
   * Cognito sends its own emails (invitations with temporary passwords, password-reset and
   * verification codes) through SES from `senderEmail`, instead of its default sender, which
   * allows about 50 emails a day per account. Default false. Needs `senderEmail` verified in SES
   * in the stack's region (or `createSesIdentity`).
   */
  emailThroughSes?: boolean;
  /** From-address of Cognito's emails (the CRM's sender address); its domain for the SES identity. */
  senderEmail?: string;
  /**
   * Create the SES identity for `senderEmail`'s domain (Easy DKIM, 2048-bit) and a configuration
   * set with reputation metrics, used by default for all mail from that domain. Default false:
   * the operator verified the sender in SES already. The DKIM CNAME records are stack outputs;
   * the domain is verified once they are published in DNS.
   */
  createSesIdentity?: boolean;
  /**
   * The user pool domain that serves the OAuth 2.0 endpoints (`/oauth2/authorize`, `/oauth2/token`,
   * `/logout`) and the hosted sign-in UI. Default: a Cognito prefix domain `crm-<stage>-<stack uuid>`
   * (`https://<prefix>.auth.<region>.amazoncognito.com`) — unique per stack without a hard-coded
   * name, since prefixes are global per region. `prefix`: an explicit prefix. `customDomain` with
   * `certificateArn` (ACM, us-east-1): the stage's own domain (its DNS alias is a stack output).
   */
  domain?: { prefix?: string; customDomain?: string; certificateArn?: string };
  /** Stage name, part of the default domain prefix. */
  stage?: string;
  /**
   * Callback URLs of the stage's own web client: with any, the app client also signs in through
   * the domain (authorization code with PKCE, scopes openid/email/profile). Default: none, and the
   * app client keeps SRP only. The `/docs` page has its own client (DocsSignInClient).
   */
  callbackUrls?: string[];
  /** Where the app client's `/logout` may send users back to; default: the callback URLs. */
  logoutUrls?: string[];
}

/** Scopes a sign-in through the domain may grant (functions/system/sign-in.ts OAUTH_SCOPES). */
export const OAUTH_SCOPES = [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE];
/** Access and ID token lifetime of the CRM's clients (the local issuer's OAuth tokens match it). */
export const CLIENT_TOKEN_VALIDITY = Duration.hours(1);

/** The default domain prefix: `crm-<stage>-<the stack's UUID>` (lower-case hex, ≤ 61 characters). */
export function defaultDomainPrefix(stage: string): string {
  return Fn.join('-', ['crm', stage, Fn.select(2, Fn.split('/', Aws.STACK_ID))]);
}

/**
 * Cognito user pool for CRM users. Administrators create users (no self sign-up); users sign in
 * with their email and a strong password, TOTP MFA by default. One group per role of the
 * permission matrix's staff roles (STAFF_ROLES; customers sign in through the PortalAuth pool), ordered so the most privileged role has the lowest precedence;
 * membership reaches the API as the `cognito:groups` claim. The app client is a public client
 * (web and mobile: no secret) using SRP and refresh tokens, and the OAuth 2.0 authorization code
 * flow (PKCE) through the pool's domain once the stage names its web client's callback URLs.
 * docs/auth.md explains sign-in, the trigger, threat protection and email delivery for operators.
 */
export class Auth extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly groups: UserPoolGroup[];
  /** The sender domain's SES identity, when `createSesIdentity`. */
  readonly emailIdentity?: EmailIdentity;
  /**
   * SES configuration set of the sender domain, when `createSesIdentity`: reputation metrics
   * (bounce and complaint rates in CloudWatch) for SES alarms; Cognito's emails use it too.
   */
  readonly configurationSet?: ConfigurationSet;
  /** How Cognito sends its emails, when through SES (`emailThroughSes`); the portal's pool sends the same way. */
  readonly emailSettings?: UserPoolEmail;
  /** The user pool domain serving the OAuth 2.0 endpoints and the hosted sign-in UI. */
  readonly domain: UserPoolDomain;
  /** Its base URL (`https://…`, no trailing slash): the system function's AUTH_DOMAIN_URL. */
  readonly domainUrl: string;

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);
    const threatProtection = props.threatProtection ?? false;
    const sender = props.senderEmail;
    if ((props.emailThroughSes || props.createSesIdentity) && !sender) {
      throw new Error('Auth: "senderEmail" is required when Cognito email goes through SES or the SES identity is created');
    }
    const senderDomain = sender?.slice(sender.lastIndexOf('@') + 1);

    if (props.createSesIdentity && senderDomain) {
      this.configurationSet = new ConfigurationSet(this, 'EmailConfigurationSet', {
        reputationMetrics: true,
        sendingEnabled: true,
      });
      this.emailIdentity = new EmailIdentity(this, 'SenderDomain', {
        identity: Identity.domain(senderDomain),
        dkimSigning: true,
        dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
        configurationSet: this.configurationSet,
      });
      this.emailIdentity.dkimRecords.forEach((record, index) => {
        new CfnOutput(this, `SenderDkimRecord${index + 1}`, {
          value: `${record.name} CNAME ${record.value}`,
          description: `DKIM record ${index + 1} of 3 to publish in the DNS of ${senderDomain}; SES verifies the domain once all three resolve`,
        });
      });
    }

    if (props.emailThroughSes && sender) {
      this.emailSettings = UserPoolEmail.withSES({
        fromEmail: sender,
        // Explicit because the stack may be environment-agnostic (region unknown at synth).
        sesRegion: Stack.of(this).region,
        // The ARN Cognito sends with: the domain identity when this stack creates it.
        ...(this.emailIdentity ? { sesVerifiedDomain: senderDomain } : {}),
        ...(this.configurationSet ? { configurationSetName: this.configurationSet.configurationSetName } : {}),
      });
    }

    this.userPool = new UserPool(this, 'UserPool', userPoolSettings({
      mfa: props.mfa,
      threatProtection,
      email: this.emailSettings,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    }));
    if (props.emailThroughSes && this.emailIdentity) this.userPool.node.addDependency(this.emailIdentity);

    if (props.preTokenGeneration) {
      this.userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, props.preTokenGeneration, LambdaVersion.V2_0);
    }

    acknowledgePoolSettings(this.userPool, { mfa: props.mfa, threatProtection }, {
      threatProtectionOff: 'Threat protection (Plus feature plan) is a deployment setting, -c threatProtection=true, on by default for every stage except dev; '
        + 'this stage turned it off. Essentials and Plus are both billed per monthly active user, so an idle month costs nothing either way. '
        + 'Without it, users are still admin-created only, with 12-character passwords of all character classes and TOTP MFA (required by default).',
      mfaOptional: 'MFA was made optional explicitly for this stage through the "mfa" context value (default: required).',
    });

    this.groups = STAFF_ROLES.map((role, precedence) => new UserPoolGroup(this, `Group-${role}`, {
      userPool: this.userPool,
      groupName: role,
      precedence,
      description: `CRM role "${role}" (see functions/security/permissions.ts)`,
    }));

    const custom = props.domain?.customDomain;
    if (custom && !props.domain?.certificateArn) throw new Error('Auth: a custom domain needs "certificateArn" (an ACM certificate in us-east-1)');
    this.domain = this.userPool.addDomain('Domain', {
      ...(custom
        ? { customDomain: { domainName: custom, certificate: Certificate.fromCertificateArn(this, 'DomainCertificate', props.domain!.certificateArn!) } }
        : { cognitoDomain: { domainPrefix: props.domain?.prefix ?? defaultDomainPrefix(props.stage ?? 'crm') } }),
      // The classic hosted UI needs no branding resource; managed login would.
      managedLoginVersion: ManagedLoginVersion.CLASSIC_HOSTED_UI,
    });
    this.domainUrl = custom ? `https://${custom}` : this.domain.baseUrl();
    if (custom) {
      new CfnOutput(this, 'DomainAlias', {
        value: `${custom} CNAME ${this.domain.cloudFrontEndpoint}`,
        description: 'DNS record (CNAME or alias) that points the custom sign-in domain at Cognito',
      });
    }

    const callbackUrls = props.callbackUrls ?? [];
    this.client = this.userPool.addClient('AppClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      // A public client: Cognito requires PKCE's verifier whenever the authorize request carried a challenge.
      ...(callbackUrls.length > 0
        ? {
          oAuth: {
            flows: { authorizationCodeGrant: true },
            scopes: OAUTH_SCOPES,
            callbackUrls,
            logoutUrls: props.logoutUrls?.length ? props.logoutUrls : callbackUrls,
          },
          supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
        }
        : { disableOAuth: true }),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: CLIENT_TOKEN_VALIDITY,
      idTokenValidity: CLIENT_TOKEN_VALIDITY,
      refreshTokenValidity: Duration.days(30),
    });
  }
}

export interface DocsSignInClientProps {
  userPool: IUserPool;
  /** The API's docs page (`<API URL>docs`): the one callback and logout URL. */
  docsUrl: string;
}

/**
 * The `/docs` page's own public client: authorization code grant (PKCE) through the user pool
 * domain, scopes openid/email/profile, callback and logout URL the page itself. It lives in the
 * app stack next to the API whose URL it names — the data stack's app client cannot know that URL
 * without a cross-stack cycle — and the API's JWT authorizer accepts its tokens as well. Replacing
 * it loses nothing: the page reads its id from DOCS_CLIENT_ID at run time. No SRP or password flow.
 */
export class DocsSignInClient extends Construct {
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string, props: DocsSignInClientProps) {
    super(scope, id);
    this.client = new UserPoolClient(this, 'Client', {
      userPool: props.userPool,
      generateSecret: false,
      // Only the refresh-token flow besides OAuth: users sign in through the domain's hosted UI.
      authFlows: { userSrp: false },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: OAUTH_SCOPES,
        callbackUrls: [props.docsUrl],
        logoutUrls: [props.docsUrl],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: CLIENT_TOKEN_VALIDITY,
      idTokenValidity: CLIENT_TOKEN_VALIDITY,
      // A docs session: a working day, then sign in again.
      refreshTokenValidity: Duration.hours(12),
    });
  }
}

/** What the staff and portal pools set alike (userPoolSettings); each pool takes them from its props. */
export interface PoolSettings {
  mfa: 'required' | 'optional';
  /** Plus with standard threat protection enforced; off, Essentials. */
  threatProtection: boolean;
  /** Cognito's own emails through SES (Auth.emailSettings); none: Cognito's default sender. */
  email?: UserPoolEmail;
  deletionProtection: boolean;
  removalPolicy: RemovalPolicy;
}

/**
 * The user-pool settings the staff pool (Auth) and the portal pool (PortalAuth) share, so that
 * neither can be weakened alone: admin-created users only, sign-in by an email address matched
 * case-insensitively and verified by Cognito, 12-character passwords of all character classes,
 * TOTP MFA (required unless the stage says optional), email-only recovery. The feature plan is
 * Essentials at least: V2_0 pre-token triggers (access-token claims) need it.
 */
export function userPoolSettings(settings: PoolSettings): UserPoolProps {
  return {
    selfSignUpEnabled: false,
    signInAliases: { email: true },
    signInCaseSensitive: false,
    autoVerify: { email: true },
    // A changed address takes effect only once verified; until then the old, verified one
    // stays (and stays in the token), so reminders never go to an address nobody confirmed.
    keepOriginal: { email: true },
    standardAttributes: { email: { required: true, mutable: true } },
    passwordPolicy: {
      minLength: 12,
      requireLowercase: true,
      requireUppercase: true,
      requireDigits: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(3),
    },
    mfa: settings.mfa === 'required' ? Mfa.REQUIRED : Mfa.OPTIONAL,
    mfaSecondFactor: { otp: true, sms: false },
    accountRecovery: AccountRecovery.EMAIL_ONLY,
    featurePlan: settings.threatProtection ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
    ...(settings.threatProtection ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION } : {}),
    ...(settings.email ? { email: settings.email } : {}),
    deletionProtection: settings.deletionProtection,
    removalPolicy: settings.removalPolicy,
  };
}

/** The cdk-nag findings a stage's own choice raises on a pool (threat protection off, MFA optional), acknowledged with the pool's reasons. */
export function acknowledgePoolSettings(pool: UserPool, settings: Pick<PoolSettings, 'mfa' | 'threatProtection'>, reasons: { threatProtectionOff: string; mfaOptional: string }): void {
  if (!settings.threatProtection) Validations.of(pool).acknowledge({ id: 'AwsSolutions-COG8', reason: reasons.threatProtectionOff });
  if (settings.mfa === 'optional') Validations.of(pool).acknowledge({ id: 'AwsSolutions-COG2', reason: reasons.mfaOptional });
}
