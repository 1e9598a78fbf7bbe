import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ROUTES } from '../functions/api/routes';
import type { AppStack } from './app-stack';
import type { CrmConfig } from './config';
import { MachineApi } from './constructs/machine-api';

export interface MachineApiStackProps extends StackProps {
  config: CrmConfig;
  app: AppStack;
}

/**
 * The machine API (`Crm-<stage>-MachineApi`): every protected route again, behind the API key
 * authorizer (lib/constructs/machine-api.ts). A stack of its own because each route is one
 * resource: mirrored in the app stack it would halve that stack's room for routes. Stateless;
 * it only references the app stack's functions.
 */
export class MachineApiStack extends Stack {
  readonly machine: MachineApi;

  constructor(scope: Construct, id: string, props: MachineApiStackProps) {
    super(scope, id, props);
    const { config, app } = props;
    this.machine = new MachineApi(this, 'Machine', {
      routes: ROUTES,
      functions: Object.fromEntries(Object.entries(app.functions).map(([name, fn]) => [name, fn.fn])),
      authorizer: app.functions['apikeys-authorizer'].fn,
      throttleRateLimit: config.throttleRateLimit,
      throttleBurstLimit: config.throttleBurstLimit,
      logRetention: config.logRetentionDays,
      removalPolicy: config.removalPolicy,
    });
    new CfnOutput(this, 'MachineApiUrl', { value: this.machine.url, description: 'Base URL for machine clients (API keys: Authorization: ApiKey <key> or x-api-key)' });
  }
}
