import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { ClientAttributes, LambdaVersion, StringAttribute, UserPool, type UserPoolClient, type UserPoolEmail, UserPoolOperation } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledgePoolSettings, CLIENT_TOKEN_VALIDITY, userPoolSettings } from './auth';

export interface PortalAuthProps {
  mfa: 'required' | 'optional';
  deletionProtection: boolean;
  removalPolicy: RemovalPolicy;
  /**
   * The portal pool's pre-token-generation trigger (functions/auth/portal-pre-token.ts, V2_0):
   * adds the contact's `contactId` and `customerId` and the `customer` group to access tokens.
   * Without it portal tokens act for nobody (403 on every portal route).
   */
  preTokenGeneration: IFunction;
  /** As the staff pool: Plus with standard threat protection enforced; off, Essentials. */
  threatProtection?: boolean;
  /** Cognito's own emails through SES, as the staff pool sends them (Auth.emailSettings). */
  email?: UserPoolEmail;
}

/**
 * The self-service portal's own Cognito user pool: customers' contacts, kept apart from the CRM's
 * staff (docs/service.md, "Self-service portal"). A separate pool rather than a `customer` group
 * in the staff pool, so that no setting, group or client of one can ever let an identity of the
 * other in: the portal routes' JWT authorizer trusts this pool's issuer and client only, every
 * other route the staff pool's, and a contact can share an email address with a staff user.
 *
 * The service desk creates portal users (no self sign-up) with the immutable custom attribute
 * `custom:contactId` naming their CRM contact; nobody can change it afterwards, and the app client
 * may not write it. The trigger resolves the contact's customer at every sign-in and refresh, so the
 * customer is never taken from the pool or a request. Sign-in by email, the staff pool's password
 * policy and MFA setting, email-only recovery; one public SRP client with refresh tokens.
 */
export class PortalAuth extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string, props: PortalAuthProps) {
    super(scope, id);
    const threatProtection = props.threatProtection ?? false;

    this.userPool = new UserPool(this, 'UserPool', {
      ...userPoolSettings({
        mfa: props.mfa,
        threatProtection,
        email: props.email,
        deletionProtection: props.deletionProtection,
        removalPolicy: props.removalPolicy,
      }),
      // `con_` + 26 ULID characters; immutable: set once by the service desk at creation.
      customAttributes: { contactId: new StringAttribute({ minLen: 30, maxLen: 30, mutable: false }) },
    });
    this.userPool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, props.preTokenGeneration, LambdaVersion.V2_0);

    acknowledgePoolSettings(this.userPool, { mfa: props.mfa, threatProtection }, {
      threatProtectionOff: 'Threat protection (Plus feature plan) is a deployment setting, -c threatProtection=true, on by default for every stage except dev, '
        + 'and applies to the portal pool as to the staff pool; this stage turned it off. Portal users are still created by the service desk only, '
        + 'with 12-character passwords of all character classes.',
      mfaOptional: 'MFA was made optional explicitly for this stage through the "mfa" context value (default: required), for the portal pool as for the staff pool.',
    });

    this.client = this.userPool.addClient('PortalClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      // The contact link is the service desk's to set: users may not write custom:contactId.
      writeAttributes: new ClientAttributes().withStandardAttributes({ givenName: true, familyName: true }),
      readAttributes: new ClientAttributes().withStandardAttributes({ email: true, emailVerified: true, givenName: true, familyName: true }).withCustomAttributes('contactId'),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: CLIENT_TOKEN_VALIDITY,
      idTokenValidity: CLIENT_TOKEN_VALIDITY,
      refreshTokenValidity: Duration.days(30),
    });
  }
}
