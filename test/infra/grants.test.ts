/**
 * Least privilege per entity, on the synthesized templates: every function role holds exactly the
 * table statements lib/grants.ts derives from its FEATURES declaration — reads on the table,
 * Query on the declared indexes, and writes only in the declared partitions (LeadingKeys) — and
 * nothing else on the table. Expected statements are computed from FEATURES with symbolic ARNs
 * and compared as (action, resource, condition) triples, so merging of statements by CDK cannot
 * hide or fake a difference.
 */
import { Stack } from 'aws-cdk-lib';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { FEATURES, FEATURE_NAMES, type FeatureDef, type FeatureName } from '../../functions/api/features';
import { PARTITIONS } from '../../functions/data/keys';
import { TABLE_SPEC } from '../../functions/data/table';
import { LEADING_KEYS, LEADING_KEYS_OPERATOR, TABLE_READ_ACTIONS, TABLE_WRITE_ACTIONS, type TableGrant, stringLike, tableGrants } from '../../lib/grants';
import { builtKeys } from '../support/key-builders';
import { templatesOf } from './synth';

type Json = Record<string, any>;
interface Statement { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Json }

const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

let stacks: { stack: Stack; resources: Record<string, Json> }[];
let functions: Record<string, { role: { node: { defaultChild?: unknown } } }>;
let tableId: string;

beforeAll(async () => {
  const templates = await templatesOf();
  stacks = templates.all.map(({ stack, template }) => ({ stack, resources: template.toJSON().Resources as Record<string, Json> }));
  functions = templates.stack.functions as typeof functions;
  const tables = stacks.flatMap(({ resources }) => Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table').map(([id]) => id));
  expect(tables).toHaveLength(1);
  tableId = tables[0]!;
}, 120_000);

/** Every statement of every policy attached to a feature function's role, in whichever stack it lives. */
function statementsOf(feature: FeatureName): Statement[] {
  const role = functions[feature]!.role.node.defaultChild as CfnRole;
  const stack = Stack.of(role);
  const roleId = stack.resolve(role.logicalId) as string;
  const { resources } = stacks.find((s) => s.stack === stack)!;
  const inline = (resources[roleId]!.Properties.Policies ?? []).flatMap((policy: Json) => policy.PolicyDocument.Statement as Statement[]);
  const attached = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles ?? []).includes(`"${roleId}"`))
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

const INDEX_LABELS = Object.fromEntries(TABLE_SPEC.globalIndexes.map((index) => [index.name, `index:${index.name}`]));

/**
 * What a resource of a template statement is: `table`, `index:<name>`, `stream`, or undefined for
 * anything else. The table is recognised by its logical id, which both a same-stack reference
 * (Fn::GetAtt) and a cross-stack one (the Fn::ImportValue export name) carry.
 */
function labelOf(resource: unknown): string | undefined {
  const text = JSON.stringify(resource);
  if (!text.includes(tableId)) return undefined;
  if (text.includes('StreamArn')) return 'stream';
  const index = /\/index\/([\w-]+)/.exec(text);
  return index ? `index:${index[1]}` : 'table';
}

const conditionKey = (condition: Json | undefined) => {
  if (!condition) return '-';
  const normalised = Object.fromEntries(Object.entries(condition).map(([op, keys]) => [op, Object.fromEntries(Object.entries(keys as Json).map(([k, v]) => [k, [...asList(v as string | string[])].sort()]))]));
  return JSON.stringify(normalised);
};

/** (action, resource label, condition) of every table/index grant in the statements. */
function tableTriples(statements: { Action: string | string[]; Resource: unknown; Condition?: Json }[], label: (resource: unknown) => string | undefined): string[] {
  const triples = new Set<string>();
  for (const statement of statements) {
    for (const resource of asList(statement.Resource)) {
      const where = label(resource);
      if (where === undefined || where === 'stream') continue;
      for (const action of asList(statement.Action)) triples.add(`${action} ${where} ${conditionKey(statement.Condition)}`);
    }
  }
  return [...triples].sort();
}

const expectedStatements = (feature: FeatureDef): Statement[] =>
  tableGrants(feature, { table: 'table', indexes: INDEX_LABELS }).map((grant: TableGrant) => ({
    Effect: 'Allow', Action: grant.actions, Resource: grant.resources, ...(grant.conditions ? { Condition: grant.conditions } : {}),
  }));

/** Write statements on the table that allow `action` on partition key `pk`. */
const writesTo = (statements: Statement[], action: string, pk: string) => statements.filter((s) =>
  asList(s.Action).includes(`dynamodb:${action}`)
  && asList(s.Resource).some((r) => labelOf(r) === 'table')
  && (s.Condition?.[LEADING_KEYS_OPERATOR]?.[LEADING_KEYS] as string[] | undefined ?? ['*']).some((pattern) => stringLike(pk, pattern)));

describe('table grants per function role', () => {
  it('are exactly those derived from FEATURES (actions, table or index, partitions)', () => {
    for (const name of FEATURE_NAMES) {
      const actual = tableTriples(statementsOf(name), labelOf);
      const expected = tableTriples(expectedStatements(FEATURES[name]), (r) => String(r));
      expect(actual, name).toEqual(expected);
    }
  });

  it('hold no Scan, BatchWriteItem, DescribeTable or other table action any feature does not use', () => {
    const grantable = new Set([...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS].map((a) => `dynamodb:${a}`));
    for (const name of FEATURE_NAMES) {
      for (const triple of tableTriples(statementsOf(name), labelOf)) {
        const [action, where] = triple.split(' ') as [string, string];
        expect(grantable.has(action), `${name}: ${triple}`).toBe(true);
        if (where.startsWith('index:')) expect(action, `${name}: ${triple}`).toBe('dynamodb:Query');
      }
      const all = statementsOf(name).flatMap((s) => asList(s.Action));
      for (const forbidden of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:DescribeTable', 'dynamodb:*']) expect(all, name).not.toContain(forbidden);
    }
  });

  it('condition every write on the partition key, never on "any partition"', () => {
    for (const name of FEATURE_NAMES) {
      for (const statement of statementsOf(name)) {
        const writes = asList(statement.Action).filter((a) => TABLE_WRITE_ACTIONS.some((w) => a === `dynamodb:${w}`));
        if (writes.length === 0) continue;
        const patterns = statement.Condition?.[LEADING_KEYS_OPERATOR]?.[LEADING_KEYS] as string[] | undefined;
        expect(patterns, `${name}: ${writes.join(',')}`).toBeDefined();
        expect(Object.keys(statement.Condition!), name).toEqual([LEADING_KEYS_OPERATOR]);
        for (const pattern of asList(patterns!)) {
          expect(Object.values(PARTITIONS), `${name}: ${pattern}`).toContain(pattern);
          expect(pattern.replace(/\*/g, ''), `${name}: ${pattern}`).not.toBe('');
        }
      }
    }
  });

  it('let only tasks and notifications write user profiles (they decide where emails go)', () => {
    const writers = FEATURE_NAMES.filter((name) => TABLE_WRITE_ACTIONS.some((a) => writesTo(statementsOf(name), a, 'USER#any-user').length > 0));
    expect(writers.sort()).toEqual(['notifications', 'tasks']);
  });

  it('let only features that write an entity put audit/outbox items (domain events) into its partition', () => {
    // Audit partitions: wherever the key module builds an `AUD#…` item.
    const auditPartitions = [...new Set(builtKeys().filter((k) => k.sk.startsWith('AUD#')).map((k) => k.pk))];
    expect(auditPartitions.length).toBeGreaterThan(5);
    const auditors = FEATURE_NAMES.filter((name) => auditPartitions.some((pk) => writesTo(statementsOf(name), 'PutItem', pk).length > 0));
    const silent = FEATURE_NAMES.filter((name) => !auditors.includes(name));
    // Features without domain events of their own (yet): the authorizer (it only counts requests and
    // records last use) and the publisher only read; dashboard reads records (exports audit
    // who exported what: export.created / completed / failed); the import API keeps its job items (its
    // worker writes the records, with their audit entries, through the entity services); marketing objects (and the SES-event and SMS-reply handlers
    // that change consent and suppression) keep their own change records (consent history) but
    // publish no audit/outbox event yet — a known gap (issue 11). API keys and webhooks (the
    // deliverer too: it disables failing webhooks) write audit entries (issue 13).
    const SILENT = ['apikeys-authorizer', 'auth-portal-pre-token', 'auth-pre-token', 'dashboard', 'events-publisher', 'imports', 'marketing', 'notifications', 'ses-events', 'sms-inbound', 'system'];
    expect(silent.sort()).toEqual(SILENT.filter((n) => (FEATURE_NAMES as string[]).includes(n)));
    // The publisher turns these items into events; it must never be able to forge one.
    expect(statementsOf('events-publisher').flatMap((s) => asList(s.Action)).filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
  });
});
