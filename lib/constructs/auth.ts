import { CfnOutput, Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery, FeaturePlan, LambdaVersion, Mfa, StandardThreatProtectionMode, UserPool, type UserPoolClient,
  UserPoolEmail, UserPoolGroup, UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ConfigurationSet, DkimIdentity, EasyDkimSigningKeyLength, EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import { ROLES } from '../../functions/security/permissions';

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
}

/**
 * Cognito user pool for CRM users. Administrators create users (no self sign-up); users sign in
 * with their email and a strong password, TOTP MFA by default. One group per role of the
 * permission matrix (ROLES), ordered so the most privileged role has the lowest precedence;
 * membership reaches the API as the `cognito:groups` claim. The app client is a public client
 * (web and mobile: no secret) using SRP and refresh tokens. docs/auth.md explains sign-in,
 * the trigger, threat protection and email delivery for operators.
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

    this.userPool = new UserPool(this, 'UserPool', {
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
      mfa: props.mfa === 'required' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Essentials is the minimum: V2_0 pre-token triggers (access-token claims) need it.
      featurePlan: threatProtection ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      ...(threatProtection ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      ...(props.emailThroughSes && sender ? {
        email: UserPoolEmail.withSES({
          fromEmail: sender,
          // Explicit because the stack may be environment-agnostic (region unknown at synth).
          sesRegion: Stack.of(this).region,
          // The ARN Cognito sends with: the domain identity when this stack creates it.
          ...(this.emailIdentity ? { sesVerifiedDomain: senderDomain } : {}),
          ...(this.configurationSet ? { configurationSetName: this.configurationSet.configurationSetName } : {}),
        }),
      } : {}),
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });
    if (props.emailThroughSes && this.emailIdentity) this.userPool.node.addDependency(this.emailIdentity);

    if (props.preTokenGeneration) {
      this.userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, props.preTokenGeneration, LambdaVersion.V2_0);
    }

    if (!threatProtection) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason: 'Threat protection (Plus feature plan) is a deployment setting, -c threatProtection=true, on by default for every stage except dev; '
          + 'this stage turned it off. Essentials and Plus are both billed per monthly active user, so an idle month costs nothing either way. '
          + 'Without it, users are still admin-created only, with 12-character passwords of all character classes and TOTP MFA (required by default).',
      });
    }
    if (props.mfa === 'optional') {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason: 'MFA was made optional explicitly for this stage through the "mfa" context value (default: required).',
      });
    }

    this.groups = ROLES.map((role, precedence) => new UserPoolGroup(this, `Group-${role}`, {
      userPool: this.userPool,
      groupName: role,
      precedence,
      description: `CRM role "${role}" (see functions/security/permissions.ts)`,
    }));

    this.client = this.userPool.addClient('AppClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
  }
}
