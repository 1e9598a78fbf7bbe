#!/usr/bin/env node
/** CDK entry point (`cdk.json` → `npx tsx bin/crm.ts`). Configuration: lib/config.ts. */
import { buildApp } from '../lib/app';

buildApp().app.synth();
