/**
 * The IAM statements a feature's role gets on the CRM table, derived from its declaration in
 * FEATURES (functions/api/features.ts) and nothing else. Pure and free of CDK imports: CDK turns
 * each statement into a PolicyStatement (lib/constructs/feature-function.ts), the local runtime
 * evaluates the very same statements on every DynamoDB request a handler sends (local/iam.ts),
 * and test/infra/grants.test.ts compares the synthesized roles with them.
 *
 * - Reads: the declared actions on the table; Query on each declared index (and only there).
 * - Writes: one statement per write action, allowed only on the partition families the feature
 *   declares for that action (`ForAllValues:StringLike` on `dynamodb:LeadingKeys`, the item's
 *   partition key; AWS requires the ForAllValues modifier for this key). Transactions need no
 *   action of their own: DynamoDB authorises each contained Put/Update/Delete/ConditionCheck as
 *   PutItem/UpdateItem/DeleteItem/ConditionCheckItem on that item.
 * - Reads carry no LeadingKeys condition: list queries read index partitions (`CUSTOMERS#…`),
 *   not entity partitions, and reads decide nothing downstream the way written items do.
 * - Never Scan, BatchWriteItem or DescribeTable: no code path sends them.
 */
import type { FeatureDef, TableReadAction, TableWriteAction } from '../functions/api/features';
import { PARTITIONS, type PartitionFamily } from '../functions/data/keys';

/** ARNs (or CDK tokens, or any labels) of the table and its indexes by name. */
export interface TableArns {
  table: string;
  indexes: Readonly<Record<string, string>>;
}

/** The IAM condition operator and key of every write statement. */
export const LEADING_KEYS_OPERATOR = 'ForAllValues:StringLike';
export const LEADING_KEYS = 'dynamodb:LeadingKeys';

/** One Allow statement; structurally a CDK `PolicyStatementProps` (effect defaults to Allow). */
export interface TableGrant {
  actions: string[];
  resources: string[];
  conditions?: { [LEADING_KEYS_OPERATOR]: { [LEADING_KEYS]: string[] } };
}

/** Every table action any feature can be granted: reads on the table, Query on indexes, writes. */
export const TABLE_READ_ACTIONS: readonly TableReadAction[] = ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'];
export const TABLE_WRITE_ACTIONS: readonly TableWriteAction[] = ['PutItem', 'UpdateItem', 'DeleteItem'];

const iamAction = (action: string) => `dynamodb:${action}`;

/** The statements for `feature`; empty when it declares no table access. */
export function tableGrants(feature: Pick<FeatureDef, 'table'>, arns: TableArns): TableGrant[] {
  const access = feature.table;
  if (!access) return [];
  const grants: TableGrant[] = [];
  if (access.read.length > 0) {
    grants.push({ actions: [...new Set(access.read)].map(iamAction), resources: [arns.table] });
  }
  if (access.indexes?.length) {
    grants.push({
      actions: [iamAction('Query')],
      resources: [...new Set(access.indexes)].map((name) => {
        const arn = arns.indexes[name];
        if (arn === undefined) throw new Error(`No ARN for index ${name}`);
        return arn;
      }),
    });
  }
  for (const action of TABLE_WRITE_ACTIONS) {
    const patterns = writtenPartitions(feature, action);
    if (patterns.length === 0) continue;
    grants.push({
      actions: [iamAction(action)],
      resources: [arns.table],
      conditions: { [LEADING_KEYS_OPERATOR]: { [LEADING_KEYS]: patterns } },
    });
  }
  return grants;
}

/** The partition patterns (PARTITIONS values) `feature` may write with `action` (any write action when omitted), sorted. */
export function writtenPartitions(feature: Pick<FeatureDef, 'table'>, action?: TableWriteAction): string[] {
  const write = feature.table?.write ?? {};
  const patterns = new Set<string>();
  for (const [family, actions] of Object.entries(write) as [PartitionFamily, readonly TableWriteAction[]][]) {
    if (!(family in PARTITIONS)) throw new Error(`Unknown partition family ${family}`);
    if (action === undefined ? actions.length > 0 : actions.includes(action)) patterns.add(PARTITIONS[family]);
  }
  return [...patterns].sort();
}

/**
 * IAM's `StringLike`: `*` matches any run of characters (also none), `?` exactly one; case
 * sensitive; everything else literal.
 */
export function stringLike(value: string, pattern: string): boolean {
  const source = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 's').test(value);
}

const SHORT: Record<TableWriteAction, string> = { PutItem: 'Put', UpdateItem: 'Update', DeleteItem: 'Delete' };

/**
 * One row of the "Who writes what" table in docs/access-patterns.md (a test keeps the document
 * equal to FEATURES): feature | partitions written (actions) | reads on the table | indexes queried.
 */
export function tableAccessRow(name: string, feature: Pick<FeatureDef, 'table'>): string {
  const access = feature.table;
  const writes = Object.entries(access?.write ?? {}).map(([family, actions]) =>
    `\`${PARTITIONS[family as PartitionFamily]}\` ${(actions as readonly TableWriteAction[]).map((a) => SHORT[a]).join('/')}`);
  const cell = (items: readonly string[] | undefined) => (items?.length ? items.join(', ') : '—');
  return `| ${name} | ${cell(writes)} | ${cell(access?.read)} | ${cell(access?.indexes)} |`;
}
