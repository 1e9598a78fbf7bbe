/**
 * Pins the logical ids of every stateful resource of the data stack. CloudFormation replaces a
 * resource whose logical id changes — for the table, the user pool or a bucket that means losing
 * the data or every user's login. A refactor (renaming a construct, moving it in the tree,
 * splitting a stack) fails here first; if a change is truly intended, it needs a migration plan
 * (a retained copy, an import), not an edit of this list.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { templatesOf } from './synth';

const PINNED: Record<string, string> = {
  DataCrmTableA051C405: 'AWS::DynamoDB::Table',
  DomainEventsBus42B15453: 'AWS::Events::EventBus',
  DomainEventsBusArchive26D681C1: 'AWS::Events::Archive',
  ExportsBucket54D5CE64: 'AWS::S3::Bucket',
  ExportsAccessLogs43BFA596: 'AWS::S3::Bucket',
  FailedEventsBucketFD68D815: 'AWS::S3::Bucket',
  // Received support mail and its quarantine (lib/constructs/inbound-mail.ts).
  InboundMailBucket6432EECF: 'AWS::S3::Bucket',
  // Ticket attachments (lib/constructs/attachments-bucket.ts).
  AttachmentsBucket134755D7: 'AWS::S3::Bucket',
  CursorSecret12D87B4E: 'AWS::SecretsManager::Secret',
  // A new key would change every email hash in the analytics lake.
  LakeHashKeySecret8E630025: 'AWS::SecretsManager::Secret',
  AuthUserPool8115E87F: 'AWS::Cognito::UserPool',
  AuthUserPoolAppClient1D18298A: 'AWS::Cognito::UserPoolClient',
  // A new domain would change the sign-in URL every client and the docs page use.
  AuthUserPoolDomain31C6792A: 'AWS::Cognito::UserPoolDomain',
  // The customers' portal pool (lib/constructs/portal-auth.ts): a new one loses every portal login.
  PortalAuthUserPool123CDF9B: 'AWS::Cognito::UserPool',
  PortalAuthUserPoolPortalClient1E1DCB04: 'AWS::Cognito::UserPoolClient',
};

/**
 * Resources of a stateful type that may live outside the data stack because replacing them loses
 * nothing: the docs page's sign-in client (app stack; the page reads its id at run time).
 */
const REPLACEABLE = [/^DocsSignInClient[0-9A-F]{8}$/];

/** Resource types that hold data or identity: every one of them must be pinned above. */
const STATEFUL_TYPES = new Set(Object.values(PINNED));

type Resources = Record<string, { Type: string }>;
let stages: Record<string, { data: Resources; others: Resources }>;

beforeAll(async () => {
  stages = {};
  for (const context of [{}, { stage: 'prod', senderEmail: 'crm@mail.example.com', corsOrigins: 'https://crm.example.com', appBaseUrl: 'https://crm.example.com' }]) {
    const built = await templatesOf(context);
    const others: Resources = {};
    for (const { stack, template } of built.all) {
      if (stack !== built.data) Object.assign(others, template.toJSON().Resources);
    }
    stages[built.data.stackName] = { data: built.dataTemplate.toJSON().Resources as Resources, others };
  }
}, 120_000);

describe('stateful resources', () => {
  it.each(['Crm-dev-Data', 'Crm-prod-Data'])('%s keeps every pinned logical id with its type', (stackName) => {
    const { data } = stages[stackName]!;
    for (const [id, type] of Object.entries(PINNED)) expect(data[id]?.Type, id).toBe(type);
  });

  it.each(['Crm-dev-Data', 'Crm-prod-Data'])('%s has no unpinned stateful resource', (stackName) => {
    const { data } = stages[stackName]!;
    const unpinned = Object.entries(data).filter(([id, r]) => STATEFUL_TYPES.has(r.Type) && !(id in PINNED));
    expect(unpinned.map(([id, r]) => `${r.Type} ${id}`)).toEqual([]);
  });

  it('no other stack holds a stateful resource (the app and monitoring stacks can be replaced freely)', () => {
    for (const { others } of Object.values(stages)) {
      const stateful = Object.entries(others).filter(([id, r]) => STATEFUL_TYPES.has(r.Type) && !REPLACEABLE.some((pattern) => pattern.test(id)));
      expect(stateful.map(([id, r]) => `${r.Type} ${id}`)).toEqual([]);
    }
  });
});
