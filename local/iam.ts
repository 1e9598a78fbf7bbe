/**
 * A local stand-in for each function's IAM role on the CRM table. In AWS a feature's role holds
 * exactly the statements lib/grants.ts derives from FEATURES; locally every handler runs in-process
 * with one DynamoDB client and DynamoDB Local authorises nothing. So the local runtime runs each
 * handler invocation as its feature (runAsFeature, called by local/lambda.ts) and checks every
 * command the shared client sends against those same statements — action, resource (table or
 * index) and `dynamodb:LeadingKeys` — refusing with the error the SDK raises in AWS
 * (`AccessDeniedException`). A grant missing from FEATURES thus fails every integration test
 * that exercises the path, not a deployment.
 *
 * Outside an invocation (seed, tests calling repositories directly, the tests' own client) there
 * is no feature and nothing is checked: those are not Lambda functions.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { FEATURES, type FeatureDef, type FeatureName } from '../functions/api/features';
import { observeDbCommands } from '../functions/data/client';
import { PARTITIONS } from '../functions/data/keys';
import { TABLE_SPEC } from '../functions/data/table';
import { LEADING_KEYS, LEADING_KEYS_OPERATOR, type TableGrant, stringLike, tableGrants } from '../lib/grants';
import { LOCAL_REGION } from './env';

const LOCAL_ACCOUNT = '000000000000';
const invocation = new AsyncLocalStorage<FeatureName>();

/** Runs `fn` as an invocation of `feature`: its DynamoDB requests are checked against its grants. */
export function runAsFeature<T>(feature: FeatureName, fn: () => T): T {
  return invocation.run(feature, fn);
}

export function currentFeature(): FeatureName | undefined {
  return invocation.getStore();
}

export const tableArn = (tableName: string) => `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${tableName}`;
const indexArn = (tableName: string, index: string) => `${tableArn(tableName)}/index/${index}`;

/** What IAM evaluates for one part of a request: an action on a resource, with its partition keys. */
export interface AuthorizationRequest {
  action: string;
  resource: string;
  /** Partition-key values the request touches; undefined = the key is absent from the request context. */
  leadingKeys?: string[];
}

type Item = Record<string, unknown>;

/** A key attribute as the document client has it (`'CUS#1'`) or already marshalled (`{ S: 'CUS#1' }`). */
function keyValue(item: unknown): string {
  const value = (item as Item | undefined)?.[TABLE_SPEC.partitionKey];
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { S?: unknown }).S === 'string') return (value as { S: string }).S;
  return String(value);
}

/** The partition value of a table Query (`pk = :v` in its key condition), if it can be read. */
function queryPartition(input: Item): string[] | undefined {
  const condition = String(input.KeyConditionExpression ?? '');
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Item;
  for (const clause of condition.split(/\s+AND\s+/i)) {
    const m = /^\(?\s*([#\w]+)\s*=\s*(:\w+)\s*\)?$/.exec(clause.trim());
    if (m && (names[m[1]!] ?? m[1]) === TABLE_SPEC.partitionKey) return [keyValue({ [TABLE_SPEC.partitionKey]: values[m[2]!] })];
  }
  return undefined;
}

/**
 * The authorisation requests IAM evaluates for a DynamoDB command: one per action and resource;
 * a transaction is authorised per contained item (Put → PutItem, ConditionCheck →
 * ConditionCheckItem, …), a batch per table with every key it names.
 */
export function authorizationRequests(command: string, input: Item): AuthorizationRequest[] {
  const action = command.replace(/Command$/, '');
  const table = (name: unknown) => tableArn(String(name));
  switch (action) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [{ action, resource: table(input.TableName), leadingKeys: [keyValue(action === 'PutItem' ? input.Item : input.Key)] }];
    case 'Query':
    case 'Scan':
      // On an index the resource is the index. Which partition value AWS puts in LeadingKeys for
      // an index Query is not documented; no statement conditions reads, so it is left absent.
      return [input.IndexName
        ? { action, resource: indexArn(String(input.TableName), String(input.IndexName)) }
        : { action, resource: table(input.TableName), ...(action === 'Query' ? { leadingKeys: queryPartition(input) } : {}) }];
    case 'BatchGetItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { Keys?: Item[] }>).map(([name, request]) => (
        { action, resource: table(name), leadingKeys: (request.Keys ?? []).map(keyValue) }));
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[]>).map(([name, requests]) => (
        { action, resource: table(name), leadingKeys: requests.map((r) => keyValue(r.PutRequest?.Item ?? r.DeleteRequest?.Key)) }));
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Record<string, Item>[]).map((entry) => {
        const [kind, part] = Object.entries(entry)[0] as [string, Item];
        const itemAction = { Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', ConditionCheck: 'ConditionCheckItem', Get: 'GetItem' }[kind] ?? kind;
        return { action: itemAction, resource: table(part.TableName), leadingKeys: [keyValue(kind === 'Put' ? part.Item : part.Key)] };
      });
    default:
      // DescribeTable, PartiQL, …: table-level actions no feature is granted.
      return [{ action, resource: table(input.TableName) }];
  }
}

/** IAM's answer for one request under Allow-only statements: some statement matches in full. */
export function isAllowed(grants: readonly TableGrant[], request: AuthorizationRequest): boolean {
  const action = `dynamodb:${request.action}`;
  return grants.some((grant) => {
    if (!grant.actions.some((pattern) => stringLike(action, pattern))) return false;
    if (!grant.resources.some((pattern) => stringLike(request.resource, pattern))) return false;
    for (const [operator, keys] of Object.entries(grant.conditions ?? {})) {
      // Fail closed on anything this stand-in cannot evaluate, rather than allow it silently.
      if (operator !== LEADING_KEYS_OPERATOR) throw new Error(`local IAM: condition operator ${operator} is not supported`);
      for (const [key, patterns] of Object.entries(keys)) {
        if (key !== LEADING_KEYS) throw new Error(`local IAM: condition key ${key} is not supported`);
        // ForAllValues: every value in the request must match a pattern (an absent key passes, as in IAM).
        if (!(request.leadingKeys ?? []).every((value) => patterns.some((pattern) => stringLike(value, pattern)))) return false;
      }
    }
    return true;
  });
}

/**
 * The feature's statements with local ARNs for the table it is configured with (TABLE_NAME).
 * Derived per request, not cached: cheap next to the request itself, and always what FEATURES says.
 */
export function localGrants(feature: FeatureName, tableName: string): TableGrant[] {
  const indexes = Object.fromEntries(TABLE_SPEC.globalIndexes.map((index) => [index.name, indexArn(tableName, index.name)]));
  return tableGrants(FEATURES[feature] as FeatureDef, { table: tableArn(tableName), indexes });
}

export interface AccessDenial {
  feature: FeatureName;
  action: string;
  resource: string;
  /** The partition families the request touches (patterns, never key values: those can be personal data). */
  leadingKeys?: string[];
}

/**
 * How a denied key is shown: its family's pattern (`UNQ#EMAIL#*`), never the value itself, which
 * can hold an email address or a phone number.
 */
function describeKey(value: string): string {
  const family = Object.entries(PARTITIONS).find(([, pattern]) => stringLike(value, pattern));
  return family ? `${family[1]} (${family[0]})` : `${value.split('#')[0]}#… (no family in PARTITIONS)`;
}

/** Throws AccessDeniedException, as DynamoDB does, when `feature` may not send this command. */
export function authorizeCommand(feature: FeatureName, command: string, input: Item, tableName: string): void {
  for (const request of authorizationRequests(command, input)) {
    if (isAllowed(localGrants(feature, tableName), request)) continue;
    const denial: AccessDenial = {
      feature,
      action: request.action,
      resource: request.resource,
      ...(request.leadingKeys ? { leadingKeys: [...new Set(request.leadingKeys.map(describeKey))] } : {}),
    };
    const error = new DynamoDBServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: `User: crm-local-${feature} is not authorized to perform: dynamodb:${request.action} on resource: ${request.resource}`
        + `${denial.leadingKeys ? ` in partitions ${denial.leadingKeys.join(', ')}` : ''} because no identity-based policy allows it;`
        + ' declare the access in FEATURES (functions/api/features.ts)',
    });
    throw Object.assign(error, { denial });
  }
}

const denials: AccessDenial[] = [];
let listener: ((denial: AccessDenial) => void) | undefined;
let registered = false;

/**
 * Checks every command of the shared DynamoDB client sent inside an invocation from now on
 * (idempotent). Each refusal is also recorded (accessDenials) and reported to `onDenied`, since
 * some callers swallow errors on purpose (releasing an idempotency key) and a missing grant must
 * not go unnoticed there.
 */
export function enforceFeatureGrants(options: { onDenied?: (denial: AccessDenial) => void } = {}): void {
  if (options.onDenied) listener = options.onDenied;
  if (registered) return;
  registered = true;
  observeDbCommands((command, input) => {
    const feature = invocation.getStore();
    if (!feature) return;
    try {
      authorizeCommand(feature, command, input as Item, process.env.TABLE_NAME ?? '');
    } catch (error) {
      const denial = (error as { denial?: AccessDenial }).denial;
      if (denial) {
        denials.push(denial);
        listener?.(denial);
      }
      throw error;
    }
  });
}

/** Every refusal since the last call, oldest first; the list is emptied. */
export function takeAccessDenials(): AccessDenial[] {
  return denials.splice(0, denials.length);
}
