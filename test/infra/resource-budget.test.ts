/**
 * CloudFormation allows 500 resources per stack; the CRM keeps every stack under 400 so the
 * remaining capabilities (~100 more routes) fit. The user API's routes have a stack of their own
 * (lib/routes-stack.ts), apart from the functions (lib/app-stack.ts). Prints the count per stack on every run, and
 * checks that a route costs exactly one resource (the route itself: integrations and invoke
 * permissions are per function, not per route).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/api/routes';
import { templatesOf, type Templates } from './synth';

const CEILING = 400;
let built: Templates;
const counts = new Map<string, Record<string, number>>();

beforeAll(async () => {
  built = await templatesOf();
  for (const { stack, template } of built.all) {
    const byType: Record<string, number> = {};
    for (const resource of Object.values(template.toJSON().Resources as Record<string, { Type: string }>)) {
      byType[resource.Type] = (byType[resource.Type] ?? 0) + 1;
    }
    counts.set(stack.stackName, byType);
  }
  const total = (byType: Record<string, number>) => Object.values(byType).reduce((a, b) => a + b, 0);
  console.log(`CloudFormation resources per stack (ceiling ${CEILING}, hard limit 500; ${ROUTES.length} routes):\n${[...counts]
    .map(([name, byType]) => `  ${name.padEnd(22)} ${String(total(byType)).padStart(4)}  (${CEILING - total(byType)} to spare)`).join('\n')}`);
}, 120_000);

describe('resource budget', () => {
  it(`every stack stays at or under ${CEILING} resources`, () => {
    for (const [name, byType] of counts) {
      const total = Object.values(byType).reduce((a, b) => a + b, 0);
      expect(total, name).toBeLessThanOrEqual(CEILING);
    }
  });

  it('a route costs one resource: integrations and invoke permissions are per function', () => {
    const routes = counts.get(built.synthesized.routes.stackName)!;
    const routedFeatures = new Set(ROUTES.map((route) => route.feature)).size;
    expect(routes['AWS::ApiGatewayV2::Route']).toBe(ROUTES.length);
    expect(routes['AWS::ApiGatewayV2::Integration']).toBe(routedFeatures);
    expect(routes['AWS::Lambda::Permission']).toBe(routedFeatures);
    // The routes are not in the app stack, which holds the functions.
    expect(counts.get(built.stack.stackName)!['AWS::ApiGatewayV2::Route']).toBeUndefined();
  });
});
