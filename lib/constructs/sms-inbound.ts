import { CfnOutput, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface SmsInboundProps {
  /** The sms-inbound function (functions/marketing/sms-inbound.ts). */
  handler: IFunction;
}

/**
 * The two-way SMS channel: an SNS topic that AWS End User Messaging SMS publishes inbound messages
 * to (set its ARN as the origination number's two-way channel destination), subscribed by the
 * sms-inbound function, which turns a STOP reply into an SMS opt-out.
 *
 * Inbound messages are personal data (a phone number and its text): the topic is encrypted with a
 * customer-managed key (rotated yearly) whose policy lets the SMS service use it, accepts only TLS
 * publishers, and only End User Messaging SMS of this account may publish to it.
 */
export class SmsInbound extends Construct {
  readonly topic: Topic;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: SmsInboundProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const sms = new ServicePrincipal('sms-voice.amazonaws.com');
    this.key = new Key(this, 'Key', { enableKeyRotation: true, description: 'Encrypts inbound SMS (two-way channel topic) of the CRM' });
    this.key.addToResourcePolicy(new PolicyStatement({
      principals: [sms],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }));
    this.topic = new Topic(this, 'Topic', { masterKey: this.key, enforceSSL: true, displayName: 'CRM inbound SMS' });
    this.topic.addToResourcePolicy(new PolicyStatement({
      principals: [sms],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }));
    this.topic.addSubscription(new LambdaSubscription(props.handler));
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn, description: 'Set as the two-way channel (SNS) of the SMS origination number: STOP replies opt contacts out' });
  }
}
