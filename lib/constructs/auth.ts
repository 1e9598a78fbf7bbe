import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery, FeaturePlan, Mfa, UserPool, type UserPoolClient, UserPoolGroup,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES } from '../../functions/security/permissions';

export interface AuthProps {
  mfa: 'required' | 'optional';
  deletionProtection: boolean;
  removalPolicy: RemovalPolicy;
}

/**
 * Cognito user pool for CRM users. Administrators create users (no self sign-up); users sign in
 * with their email and a strong password, TOTP MFA by default. One group per role of the
 * permission matrix (ROLES), ordered so the most privileged role has the lowest precedence;
 * membership reaches the API as the `cognito:groups` claim. The app client is a public client
 * (web and mobile: no secret) using SRP and refresh tokens.
 */
export class Auth extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly groups: UserPoolGroup[];

  constructor(scope: Construct, id: string, props: AuthProps) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
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
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: props.deletionProtection,
      removalPolicy: props.removalPolicy,
    });

    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan (threat protection) is billed per monthly active user; the CRM keeps costs at zero when idle and relies on admin-created users, strong passwords and MFA. Operators can switch the pool to Plus without code changes to the API.',
    });
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
