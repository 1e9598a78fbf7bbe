import { CfnOutput, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { ReceiptRuleSet, TlsPolicy } from 'aws-cdk-lib/aws-ses';
import { Lambda, LambdaInvocationType, S3 } from 'aws-cdk-lib/aws-ses-actions';
import { Construct } from 'constructs';
import { INBOUND_PREFIX, QUARANTINE_PREFIX } from '../../functions/tickets/inbound-paths';
import { protectedBucket } from './exports-bucket';

/** How long received mail stays (its text is on the ticket by then); quarantined mail stays longer, for inspection. */
export const INBOUND_RETENTION_DAYS = 30;
export const QUARANTINE_RETENTION_DAYS = 90;

/**
 * The bucket SES stores received support mail in (raw MIME under `inbound/`), with the copies of
 * unreadable mail under `quarantine/`. A data-stack resource (raw mail is personal data and must
 * survive an app-stack replacement), always created — an empty bucket costs nothing — so turning
 * inbound mail on is a context setting, not a data-stack change. No public access, TLS only,
 * S3-managed encryption, access logs, objects expire (INBOUND/QUARANTINE_RETENTION_DAYS).
 */
export class InboundMailBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: { removalPolicy: RemovalPolicy; serverAccessLogs: Bucket }) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      ...protectedBucket(props.removalPolicy),
      serverAccessLogsBucket: props.serverAccessLogs,
      serverAccessLogsPrefix: 'inbound-mail/',
      lifecycleRules: [
        { prefix: INBOUND_PREFIX, expiration: Duration.days(INBOUND_RETENTION_DAYS) },
        { prefix: QUARANTINE_PREFIX, expiration: Duration.days(QUARANTINE_RETENTION_DAYS) },
      ],
    });
  }
}

export interface InboundMailReceiptProps {
  /** The support address (`support@help.example.com`) or a whole domain (`help.example.com`) whose mail SES receives. */
  recipient: string;
  bucket: Bucket;
  handler: IFunction;
}

/**
 * SES email receiving for the support address: a receipt rule set with one rule that stores the
 * raw message as `inbound/<SES message id>` in the inbound bucket, then invokes the inbound-mail
 * function asynchronously (Lambda's retries; its failures land in the function's failure queue).
 * TLS is required from sending servers and SES's spam and virus scan runs (verdict headers).
 *
 * The rule set gets a generated name (two stages can coexist), but SES has one *active* rule set
 * per account and region: activate it after the first deploy (docs/service.md, "Inbound email").
 * The S3 action adds the bucket-policy statement that lets SES (of this account only) write under
 * `inbound/`; the Lambda action the permission for SES to invoke the function.
 */
export class InboundMailReceipt extends Construct {
  readonly ruleSet: ReceiptRuleSet;

  constructor(scope: Construct, id: string, props: InboundMailReceiptProps) {
    super(scope, id);
    this.ruleSet = new ReceiptRuleSet(this, 'RuleSet');
    this.ruleSet.addRule('Support', {
      recipients: [props.recipient],
      scanEnabled: true,
      tlsPolicy: TlsPolicy.REQUIRE,
      actions: [
        new S3({ bucket: props.bucket, objectKeyPrefix: INBOUND_PREFIX }),
        new Lambda({ function: props.handler, invocationType: LambdaInvocationType.EVENT }),
      ],
    });
    new CfnOutput(this, 'ReceiptRuleSetName', {
      value: this.ruleSet.receiptRuleSetName,
      description: 'Activate once per account and region: aws ses set-active-receipt-rule-set --rule-set-name <this>',
    });
  }
}
